// A fresh directory for one test, removed when the test ends.
#pragma once

#include <filesystem>
#include <string>

namespace convene::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }
  // Writes `content` to `name` below the directory, creating folders.
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace convene::testing

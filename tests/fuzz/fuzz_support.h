// Shared by the fuzz targets: where the shipped files are, and a scratch
// folder under /dev/shm (memory, so writing an input per run costs little)
// removed when the process exits.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace convene::fuzz {

// The source tree (CONVENE_SOURCE_DIR is set by tests/fuzz/CMakeLists.txt).
inline std::filesystem::path SourceDir() { return CONVENE_SOURCE_DIR; }

inline void WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline void CopyFile(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

// A folder made once per process with mkdtemp, removed at exit. A crash
// skips the exit handlers, so folders left by processes gone are removed here.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path* dir = [] {
    std::filesystem::path base = "/dev/shm";
    if (!std::filesystem::is_directory(base)) base = "/tmp";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind("convene-fuzz-", 0) != 0) continue;
      long pid = std::strtol(name.c_str() + 13, nullptr, 10);
      if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        std::filesystem::remove_all(e.path(), ec);
      }
    }
    std::string tmpl = (base / ("convene-fuzz-" + std::to_string(getpid()) + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* path = new std::filesystem::path(tmpl);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
    });
    return path;
  }();
  return *dir;
}

}  // namespace convene::fuzz

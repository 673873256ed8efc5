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

// CONVENE_FUZZ_SKIP_KNOWN=1 in the environment: step round the crashes
// already reported (docs/fuzzing.md, "Known crashes"), so that a long run can
// look for others before they are fixed. Unset, the targets call the code as
// the programs do.
inline bool SkipKnown() {
  static const bool skip = std::getenv("CONVENE_FUZZ_SKIP_KNOWN") != nullptr;
  return skip;
}

// Known: rules::ParseDuration multiplies and negates without bounds ("9999999999999h",
// "536870912y"). A run of nine digits or more can reach it.
inline bool HasLongNumber(std::string_view text) {
  size_t run = 0;
  for (char c : text) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= 9) return true;
  }
  return false;
}

// Known: rules::Expression::Parse recurses once per "(", "[" or "not", without
// a limit; some thousands of them overflow the stack.
inline bool DeeplyNested(std::string_view text) {
  size_t opened = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    opened += text[i] == '(' || text[i] == '[' || text.substr(i, 3) == "not";
  }
  return opened > 256;
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

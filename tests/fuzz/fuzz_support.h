// Shared by the fuzz targets: where the shipped files are, and a scratch
// folder under /dev/shm (memory, so writing an input per run costs little)
// removed when the process exits.
#pragma once

#include <stdlib.h>

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

// A folder made once per process with mkdtemp, removed at exit.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path* dir = [] {
    std::string tmpl = "/dev/shm/convene-fuzz-XXXXXX";
    if (!std::filesystem::is_directory("/dev/shm")) tmpl = "/tmp/convene-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* path = new std::filesystem::path(tmpl);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    });
    return path;
  }();
  return *dir;
}

}  // namespace convene::fuzz

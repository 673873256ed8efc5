// rules::LoadRuleSet on a config folder whose rules/fuzz.yaml is the input.
// The shipped partners.yaml, case_types.yaml and calendar.yaml are written
// once into a folder under /dev/shm. When the input holds a NUL byte, what
// follows the first one is panels.yaml (so panels are fuzzed too); without
// one, panels.yaml is the shipped file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <yaml-cpp/exceptions.h>

#include "rules/config_loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace fs = std::filesystem;

struct Folder {
  fs::path dir;
  std::string shipped_panels;
};

const Folder& Setup() {
  static const Folder* folder = [] {
    auto* f = new Folder;
    f->dir = convene::fuzz::ScratchDir() / "config";
    fs::create_directories(f->dir / "rules");
    fs::path shipped = convene::fuzz::SourceDir() / "config";
    for (const char* name : {"partners.yaml", "case_types.yaml", "calendar.yaml"}) {
      convene::fuzz::CopyFile(shipped / name, f->dir / name);
    }
    std::ifstream in(shipped / "panels.yaml", std::ios::binary);
    f->shipped_panels.assign(std::istreambuf_iterator<char>(in), {});
    return f;
  }();
  return *folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Folder& folder = Setup();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (convene::fuzz::SkipKnown() && convene::fuzz::HasLongNumber(input)) return 0;
  std::string_view rules = input, panels = folder.shipped_panels;
  if (size_t nul = input.find('\0'); nul != std::string_view::npos) {
    rules = input.substr(0, nul);
    panels = input.substr(nul + 1);
  }
  convene::fuzz::WriteFile(folder.dir / "rules" / "fuzz.yaml", rules);
  convene::fuzz::WriteFile(folder.dir / "panels.yaml", panels);
  convene::rules::LoadResult loaded;
  if (!convene::fuzz::SkipKnown()) {
    loaded = convene::rules::LoadRuleSet(folder.dir);
  } else {
    // Known: a YAML file that is a scalar (not a map) throws YAML::BadSubscript
    // out of the loader (rules/config_loader.cc OpenList).
    try {
      loaded = convene::rules::LoadRuleSet(folder.dir);
    } catch (const YAML::BadSubscript&) {
      return 0;
    }
  }
  if (auto* errors = std::get_if<std::vector<convene::rules::ConfigError>>(&loaded)) {
    for (const auto& e : *errors) (void)e.ToString();
  }
  return 0;
}

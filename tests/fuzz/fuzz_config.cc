// rules::LoadRuleSet on a config folder whose rules/fuzz.yaml is the input.
// partners.yaml, case_types.yaml and calendar.yaml hold the shipped files'
// data and are written once into a folder under /dev/shm. When the input
// holds a NUL byte, what follows the first one is panels.yaml (so panels are
// fuzzed too); without one, panels.yaml holds the shipped panels.
//
// Speed: parsing the four fixed files cost most of each run (yaml-cpp under
// ASan). So the folder is loaded by one rules::RuleSetLoader, as the engine's
// watcher loads it: each run reads every file, but parses again only from the
// first stage whose bytes changed. The three base files never change here, and
// panels.yaml only when the input holds a NUL. panels.yaml is written compact:
// the same YAML data re-emitted in flow style without comments (checked node
// by node against the shipped file at start; a file that does not round-trip
// is used as shipped). A file is written only when its content differs from
// what the folder holds.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/config_loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The same data: kinds, scalars, sequence items and map entries in order.
bool SameData(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!SameData(a[i], b[i])) return false;
      }
      return true;
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
        if (!SameData(i->first, j->first) || !SameData(i->second, j->second)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

// `text` (a shipped file) re-emitted in flow style, or `text` itself when the
// result does not read back as the same data.
std::string Compact(const std::string& text) {
  try {
    YAML::Node shipped = YAML::Load(text);
    YAML::Emitter out;
    out.SetMapFormat(YAML::Flow);
    out.SetSeqFormat(YAML::Flow);
    out << shipped;
    std::string compact(out.c_str(), out.size());
    if (out.good() && SameData(shipped, YAML::Load(compact))) return compact + "\n";
  } catch (const YAML::Exception&) {
  }
  return text;
}

class Folder {
 public:
  Folder() : dir_(convene::fuzz::ScratchDir() / "config") {
    fs::create_directories(dir_ / "rules");
    fs::path shipped = convene::fuzz::SourceDir() / "config";
    for (const char* name : {"partners.yaml", "case_types.yaml", "calendar.yaml"}) {
      convene::fuzz::WriteFile(dir_ / name, Compact(ReadFile(shipped / name)));
    }
    shipped_panels_ = Compact(ReadFile(shipped / "panels.yaml"));
  }

  const fs::path& dir() const { return dir_; }
  const std::string& shipped_panels() const { return shipped_panels_; }

  void Write(std::string_view rules, std::string_view panels) {
    Update(dir_ / "rules" / "fuzz.yaml", rules, &rules_);
    Update(dir_ / "panels.yaml", panels, &panels_);
  }

 private:
  // Writes `bytes` to `path` unless `*held` (what it holds) is the same.
  static void Update(const fs::path& path, std::string_view bytes, std::optional<std::string>* held) {
    if (*held && **held == bytes) return;
    convene::fuzz::WriteFile(path, bytes);
    *held = std::string(bytes);
  }

  fs::path dir_;
  std::string shipped_panels_;
  std::optional<std::string> rules_, panels_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Folder* folder = new Folder();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view rules = input, panels = folder->shipped_panels();
  if (size_t nul = input.find('\0'); nul != std::string_view::npos) {
    rules = input.substr(0, nul);
    panels = input.substr(nul + 1);
  }
  folder->Write(rules, panels);
  static auto* loader = new convene::rules::RuleSetLoader(folder->dir());
  convene::rules::LoadResult loaded = loader->Load();
  if (auto* errors = std::get_if<std::vector<convene::rules::ConfigError>>(&loaded)) {
    for (const auto& e : *errors) (void)e.ToString();
  }
  return 0;
}

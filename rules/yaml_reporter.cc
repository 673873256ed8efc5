#include "rules/yaml_reporter.h"

#include <algorithm>

namespace convene::rules {

std::string Quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::optional<YAML::Node> YamlReporter::Parse(const std::string& content) {
  try {
    return YAML::Load(content);
  } catch (const YAML::Exception& e) {
    errors_.push_back({file_, e.mark.line + 1, e.mark.column + 1, "YAML: " + e.msg});
    return std::nullopt;
  }
}

void YamlReporter::Error(const YAML::Node& at, std::string message, int column_offset) {
  YAML::Mark m = at.Mark();
  int line = m.line >= 0 ? m.line + 1 : 0;
  int column = m.column >= 0 ? m.column + 1 + column_offset : 0;
  errors_.push_back({file_, line, column, std::move(message)});
}

void YamlReporter::CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                             const std::string& what) {
  if (!map.IsMap()) return;
  for (const auto& kv : map) {
    std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string hint = DidYouMean(key, allowed);
      Error(kv.first, "unknown key '" + key + "' in " + what +
                          (hint.empty() ? " (allowed: " + Quoted(allowed) + ")"
                                        : " (did you mean '" + hint + "'?)"));
    }
  }
}

std::optional<std::string> YamlReporter::Scalar(const YAML::Node& map, const char* key,
                                                bool required, const std::string& what) {
  if (!map.IsMap()) {
    Error(map, what + " is {" + key + ": ...}, not a single value or a list");
    return std::nullopt;
  }
  YAML::Node n = map[key];
  if (!n) {
    if (required) Error(map, what + " needs '" + key + "'");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    Error(n, std::string("'") + key + "' must be a single value");
    return std::nullopt;
  }
  return n.Scalar();
}

std::vector<std::string> YamlReporter::StringList(const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (item.IsScalar()) {
        out.push_back(item.Scalar());
      } else {
        Error(item, what + ": each item must be a single value");
      }
    }
  } else {
    Error(n, what + " must be a value or a list of values");
  }
  return out;
}

}  // namespace convene::rules

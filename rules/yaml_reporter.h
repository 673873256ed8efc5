// What every YAML loader in convene shares: errors that name file:line:col,
// what is wrong and what would be right; unknown keys with a "did you mean";
// and the common shapes (a single value, a value or a list). A loader derives
// from it and sets `file_` to the file it reads. Thread-compatible.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "rules/config_loader.h"

namespace convene::rules {

class YamlReporter {
 public:
  const std::vector<ConfigError>& errors() const { return errors_; }

 protected:
  // Parses `content` (the text of `file_`); a YAML syntax error is recorded
  // with its position and gives nullopt.
  std::optional<YAML::Node> Parse(const std::string& content);
  // An error at `at`'s position (its key's, for a key node).
  void Error(const YAML::Node& at, std::string message, int column_offset = 0);
  // Reports each key of `map` not in `allowed`, with the closest allowed one.
  void CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                 const std::string& what);
  // A required or optional scalar under `key`.
  std::optional<std::string> Scalar(const YAML::Node& map, const char* key, bool required,
                                    const std::string& what);
  // A string or a list of strings.
  std::vector<std::string> StringList(const YAML::Node& n, const std::string& what);

  std::string file_;  // as errors name it
  std::vector<ConfigError> errors_;
};

// "a, b, c".
std::string Quoted(const std::vector<std::string>& items);

}  // namespace convene::rules

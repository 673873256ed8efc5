// Loads a config folder (partners.yaml, case_types.yaml, calendar.yaml,
// rules/*.yaml) into an immutable RuleSet. Every problem is collected, not
// just the first, and each names file:line:col, what is wrong and what would
// be right. yaml-cpp's exceptions stop here. Thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "rules/rule_set.h"

namespace convene::rules {

struct ConfigError {
  std::string file;  // relative to the config folder: "rules/asb.yaml"
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string message;

  std::string ToString() const;
};

struct LoadOptions {
  // Prefix of every topic; a partner's default queue is <prefix>tasks.<id>.
  std::string topic_prefix = "convene.";
};

using LoadResult = std::variant<std::shared_ptr<const RuleSet>, std::vector<ConfigError>>;

LoadResult LoadRuleSet(const std::filesystem::path& dir, const LoadOptions& options = {});

// The closest candidate to `word` within a small edit distance, or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace convene::rules

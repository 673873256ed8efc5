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


struct LoadOptions {
  // Prefix of every topic; a partner's default queue is <prefix>tasks.<id>.
  std::string topic_prefix = "convene.";
  // The year warnings about "the coming year" look at (0: the year after
  // this machine's date).
  int coming_year = 0;
};

using LoadResult = std::variant<std::shared_ptr<const RuleSet>, std::vector<ConfigError>>;

LoadResult LoadRuleSet(const std::filesystem::path& dir, const LoadOptions& options = {});

// The closest candidate to `word` within a small edit distance, or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace convene::rules

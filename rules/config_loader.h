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

// Loads the rule set of one folder again and again, as the engine does when
// its files change. A load goes in stages: calendar.yaml, partners.yaml and
// case_types.yaml; then panels.yaml; then rules/ and the checks across files.
// Each load reads every file, and parses again only from the first stage
// whose files' bytes differ from the last load's (all of them when the coming
// year has turned), so an edit to a rule does not parse the partners again.
// The result is always what LoadRuleSet gives. Thread-compatible.
class RuleSetLoader {
 public:
  explicit RuleSetLoader(std::filesystem::path dir, LoadOptions options = {});
  ~RuleSetLoader();
  RuleSetLoader(const RuleSetLoader&) = delete;
  RuleSetLoader& operator=(const RuleSetLoader&) = delete;

  LoadResult Load();

 private:
  struct Stage;

  std::filesystem::path dir_;
  LoadOptions options_;
  std::vector<Stage> kept_;  // the last load after each of its first stages
  int kept_year_ = 0;
};

// The closest candidate to `word` within a small edit distance, or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace convene::rules

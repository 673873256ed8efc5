// The policy officer's what-if: the same events through two rule sets, in
// event time, each on its own scratch store with the real engine, and what
// differs: tasks added and removed (by rule), and cases whose stage differs.
// Thread-compatible.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/event_time_run.h"
#include "rules/rule_set.h"

namespace convene::engine {

struct RuleDiff {
  std::vector<EmittedTask> added;    // made by the `to` rules only
  std::vector<EmittedTask> removed;  // made by the `from` rules only
  // The same task (rule, partner, kind, case) on a different triggering event:
  // {from, to}. A lowered threshold mostly shows up here, as earlier tasks.
  std::vector<std::pair<EmittedTask, EmittedTask>> moved;
};

struct StageDiff {
  std::string case_id;
  std::string from_stage;
  std::string to_stage;
};

struct ReplayReport {
  size_t events = 0;
  TimeMs first = 0, last = 0;  // event time covered
  size_t from_tasks = 0, to_tasks = 0;
  std::map<std::string, RuleDiff> by_rule;
  std::vector<StageDiff> stages;
};

// `events`: one message each, as they would arrive. They are applied in
// order of occurred_at (ties keep their order).
Result<ReplayReport> ReplayRules(std::shared_ptr<const rules::RuleSet> from,
                                 std::shared_ptr<const rules::RuleSet> to,
                                 std::vector<std::string> events,
                                 const std::filesystem::path& scratch);

}  // namespace convene::engine

// The policy officer's what-if: the same events through two rule sets, in
// event time, each on its own scratch store with the real engine, and what
// differs, rule by rule: how often it fired, which cases, which tasks to
// whom; and for a rule that fired on no event, why. Thread-compatible.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "policy/event_time_run.h"
#include "rules/rule_set.h"

namespace convene::policy {

struct RuleDiff {
  std::vector<EmittedTask> added;    // made by the `to` rules only
  std::vector<EmittedTask> removed;  // made by the `from` rules only
  // The same task (rule, partner, kind, case) on a different triggering event:
  // {from, to}. A lowered threshold mostly shows up here, as earlier tasks.
  std::vector<std::pair<EmittedTask, EmittedTask>> moved;
  bool empty() const { return added.empty() && removed.empty() && moved.empty(); }
};

struct StageDiff {
  std::string case_id;
  std::string from_stage;
  std::string to_stage;
};

// One rule of either set.
struct RuleChange {
  std::string id, title;
  bool in_from = false, in_to = false;
  size_t fired_from = 0, fired_to = 0;  // times its condition held for a case
  // Tasks it made, by partner: {from, to}.
  std::map<std::string, std::pair<size_t, size_t>> tasks_by_partner;
  // Cases where it fired, or its tasks, differ between the two; sorted.
  std::vector<std::string> cases;
  RuleDiff tasks;
  // A rule of the `to` set that fired on no event: why, in words.
  std::string never;

  bool changed() const { return in_from != in_to || !cases.empty() || !tasks.empty(); }
};

// Where a case is, from the event that opened it.
struct CasePlace {
  std::string postcode, ward;
};

struct ReplayReport {
  size_t events = 0;
  TimeMs first = 0, last = 0;  // event time covered
  size_t from_tasks = 0, to_tasks = 0;
  // Every rule of the `to` set in its order, then those only the `from` set has.
  std::vector<RuleChange> rules;
  std::vector<StageDiff> stages;
  // For the cases listed above: where they are, as far as the `to` config
  // shares it with any partner (a postcode no partner sees is not shown).
  std::map<std::string, CasePlace> places;
  // When each event a listed task names happened.
  std::map<std::string, TimeMs> event_times;

  const RuleChange* Find(std::string_view rule) const;
  bool changed() const;
};

// How a long replay is followed and stopped (both optional).
struct ReplayControl {
  // Checked before each event: once true, the replay ends with an error
  // saying it was interrupted.
  const std::atomic<bool>* stop = nullptr;
  // Events applied so far by the slower of the two runs; updated as they go,
  // for another thread to show.
  std::atomic<size_t>* applied = nullptr;
};

// `events`: one message each, as they would arrive. They are applied in
// order of occurred_at (ties keep their order).
Result<ReplayReport> ReplayRules(std::shared_ptr<const rules::RuleSet> from,
                                 std::shared_ptr<const rules::RuleSet> to,
                                 std::vector<std::string> events,
                                 const std::filesystem::path& scratch,
                                 const ReplayControl& control = {});

}  // namespace convene::policy

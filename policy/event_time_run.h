// Runs events through a real engine in event time, on a scratch store: the
// clock is set to each event's occurred_at as it is applied, and whatever
// falls due on the way (SLA and idle clocks) fires. What the engine would have
// published is collected from its outbox. Used by `convene rules test` and
// `convene rules replay`, so both judge rules with the engine's own code.
// Thread-compatible.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/case_store.h"
#include "engine/clock.h"
#include "engine/engine.h"

namespace convene::policy {

// A task as a partner would have received it.
struct EmittedTask {
  std::string id, to, rule, kind, priority, case_type, case_id, due_at, title, trigger_event;
};

// A rule whose condition held for a case, on an event.
struct RuleFiring {
  std::string rule, case_id, event_id;
};

class EventTimeRun {
 public:
  // Opens a fresh store in `dir` (removed first, and again on destruction).
  static Result<std::unique_ptr<EventTimeRun>> Open(std::shared_ptr<const rules::RuleSet> rules,
                                                    const std::filesystem::path& dir);
  ~EventTimeRun();

  // Moves both clocks to `t` (never back) and fires what falls due. A store
  // failure on the way is kept: status() and the next Apply return it.
  void MoveClockTo(TimeMs t);
  const Status& status() const { return status_; }
  // Applies one message; an event's occurred_at first moves the clocks.
  // Returns whether it was accepted (not rejected, not a duplicate).
  Result<bool> Apply(const std::string& payload);
  // Applies `events` in order, as Apply would one by one, but many to a
  // batch (the engine moves the clocks and fires what falls due between
  // them). `done`, when given, counts the events applied as it goes.
  Status ApplyAll(const std::vector<std::string>& events, const std::atomic<bool>* stop = nullptr,
                  std::atomic<size_t>* done = nullptr);

  TimeMs now() const { return clock_.Now(); }
  const std::vector<EmittedTask>& tasks() const { return tasks_; }
  const std::vector<RuleFiring>& firings() const { return firings_; }
  int dead_letters() const { return dead_letters_; }
  engine::Engine* engine() { return engine_.get(); }
  engine::CaseStore* store() { return store_.get(); }

 private:
  EventTimeRun(std::shared_ptr<const rules::RuleSet> rules, std::filesystem::path dir);
  // A message the engine would have published: a task or a dead letter.
  void Take(const std::string& topic, const std::string& payload);

  std::shared_ptr<const rules::RuleSet> rules_;
  std::filesystem::path dir_;
  engine::ManualClock clock_{0};
  std::unique_ptr<engine::CaseStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::map<std::string, std::string> partner_by_topic_;
  std::vector<EmittedTask> tasks_;
  std::vector<RuleFiring> firings_;
  int dead_letters_ = 0;
  int64_t offset_ = 0;
  Status status_;           // the first store failure, if any
};

}  // namespace convene::policy

// The engine: turns a batch of input records into state changes. For each
// record it validates the event (rejects go to the dead-letter topic),
// skips an event id it has already applied, correlates the event into cases
// (opening new ones), runs the rules, and records tasks and case updates in
// the outbox. Everything one batch changes — cases, processed event ids,
// indexes, tasks, outbox, consumer offsets — is written in ONE atomic
// WriteBatch; this is what makes processing exactly-once.
//
// The engine coordinates a batch and decides; what is kept is owned by its
// parts, each writing only into the batch being built: the case index
// (case_index.h), the task book (task_book.h), the meeting book
// (meeting_book.h), the timer queue (timer_queue.h), the audit trail
// (audit_trail.h), and the cases themselves (case_record.h). Each holds in
// memory only what events have asked for, read lazily; the store is the
// truth. If a batch cannot be written, the engine is unusable and the
// process must exit; a restart reads from the store what it needs.
//
// Thread-safety: ProcessBatch and the accessors are called from one thread
// (the engine loop). SetRules may be called from any thread.
#pragma once

#include <rocksdb/write_batch.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "connectors/event_source.h"
#include "connectors/record.h"
#include "engine/audit_trail.h"
#include "engine/case_index.h"
#include "engine/case_record.h"
#include "engine/case_store.h"
#include "engine/clock.h"
#include "engine/task.h"
#include "engine/meeting_book.h"
#include "engine/task_book.h"
#include "engine/timer_queue.h"
#include "rules/event.h"
#include "rules/rule_set.h"

namespace convene::engine {

struct EngineOptions {
  std::string topic_prefix = "convene.";
  // fsync each batch. Each batch is one write, so this costs one sync per
  // batch, never one per event.
  bool sync = true;
  size_t event_cache_size = 20000;
  // Cases kept in memory between batches; past this the longest-held are let
  // go (they are read back from the store when an event needs them).
  size_t case_cache_size = 100000;
  // An event whose occurred_at is further ahead of the wall clock than this is
  // rejected (SPEC 3): no single event may move event time into the future.
  TimeMs max_future_ms = 24LL * 3600 * 1000;
  // Called on the engine's thread each time a rule fires for a case (its
  // condition held and its actions run), for the policy tools' what-if. A
  // firing in a batch that then fails to be written is reported too.
  std::function<void(const std::string& rule, const std::string& case_id,
                     const std::string& event_id)>
      rule_fired;
  // Event-time runs (what-if replays): called with each event's occurred_at
  // before it is applied, to move the wall clock to it (never back); the
  // timers due by then, on both clocks, fire first, inside the batch. So a
  // batch of many events comes out as if each were its own.
  std::function<void(TimeMs occurred_at)> advance_clock;
  // Keep the audit trail (SPEC 6). Off only for scratch runs.
  bool audit = true;
  // When set, what the engine would publish (tasks, case updates, dead
  // letters) goes to this instead of the outbox, once its batch is written:
  // for runs that publish nothing (what-if replays, policy tests).
  std::function<void(const std::string& topic, const std::string& key,
                     const std::string& payload)>
      deliver;
};

// What happened, cumulatively.
struct EngineTotals {
  uint64_t records = 0;
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
  uint64_t cases_opened = 0;
  uint64_t tasks = 0;
  uint64_t batches = 0;
  // Records the broker no longer had when convene came to read them (a gap in
  // the offsets: retention deleted them first). Never expected; logged loudly.
  uint64_t lost = 0;
  std::map<std::string, uint64_t> tasks_by_partner;  // tasks issued, by partner id
  // Tasks whose title named what the partner's share does not allow, sent
  // with it withheld (rules check refuses such titles: never expected).
  uint64_t titles_withheld = 0;
  uint64_t outbox_seq = 0;  // the sequence of the last outbox message written
};

class Engine {
 public:
  // Loads the engine's memory (offsets, indexes, counters) from `store`.
  static Result<std::unique_ptr<Engine>> Open(CaseStore* store,
                                              std::shared_ptr<const rules::RuleSet> rules,
                                              const Clock* clock, EngineOptions options);
  ~Engine();

  // Applies `records` (in order) as one atomic batch.
  Status ProcessBatch(const std::vector<connectors::InputRecord>& records);

  // Fires up to `max` timers (SLA clocks, idle cases) due at the clock's now,
  // as one atomic batch; returns how many fired. Called between batches, so a
  // pile of due timers never holds events up for long.
  Result<size_t> FireDueTimers(size_t max = 1000);
  // Moves event time on without an event (policy tests' `advance`). Event time
  // is otherwise the latest occurred_at applied; idle clocks run on it.
  void AdvanceEventTime(TimeMs t);

  // Before the first batch: the broker the engine reads from is `cluster_id`
  // (`fresh`: known to be new, as an embedded broker is at every start). If
  // the stored offsets came from another broker they mean nothing here: they
  // are dropped, so the topic is read from its beginning (event-id de-dup
  // makes that safe), and every task still open is published again, since
  // the queues it was on went with the old broker (SPEC 6). Returns how many
  // tasks were published again.
  Result<size_t> AdoptBroker(const std::string& cluster_id, bool fresh);

  // The next offset to read for a partition, as stored; nullopt if never read.
  std::optional<int64_t> StoredOffset(const std::string& topic, int32_t partition) const;
  // What is durably applied: only batches already written count. Any thread.
  connectors::OffsetMap Offsets() const;

  std::shared_ptr<const rules::RuleSet> rules() const;
  void SetRules(std::shared_ptr<const rules::RuleSet> rules);

  // Totals of the batches already written. Any thread.
  EngineTotals totals() const;
  const std::string& events_topic() const { return events_topic_; }
  std::string dead_letter_topic() const { return options_.topic_prefix + "dead-letter"; }
  std::string case_updates_topic() const { return options_.topic_prefix + "case-updates"; }

 private:
  class CaseContext;
  class PastEventContext;
  struct BatchState;
  // An SLA clock that ran out: the task and which clock.
  struct Breach {
    const Task* task;
    std::string clock;             // acknowledge | complete
    const rules::TaskSpec* spec;   // the overdue task's, as its rule gives it
  };

  Engine(CaseStore* store, std::shared_ptr<const rules::RuleSet> rules, const Clock* clock,
         EngineOptions options);
  Status Recover();

  // Intake (engine.cc).
  void ProcessRecord(const connectors::InputRecord& record, const rules::RuleSet& rules);
  void DeadLetter(const connectors::InputRecord& record, const std::string& reason,
                  const rules::RuleSet& rules);
  bool AlreadyApplied(const std::string& event_id);
  void Outbox(const std::string& topic, const std::string& key, std::string payload);
  std::shared_ptr<const rules::Event> LoadEvent(const std::string& id);
  void FinishBatch(const rules::RuleSet& rules);

  // Cases and correlation (engine_cases.cc).
  CaseRecord* GetCase(const std::string& id);
  // The cases `event` joins, opening new ones as case_types.yaml says. On a
  // rejection (a task event naming an unknown task) returns the reason.
  Result<std::vector<CaseRecord*>> Correlate(const rules::Event& event,
                                             const rules::RuleSet& rules);
  // The correlation keys `event` gives at one path ("event.location.uprn=100...").
  static std::vector<std::string> KeysAt(const std::vector<std::string>& path,
                                         const rules::Event& event);
  std::vector<std::string> KeysOf(const rules::CaseType& type, const rules::Event& event) const;
  // The ids of the open cases of `type` holding any of `keys`, in id order.
  std::vector<std::string> OpenCaseIds(const rules::CaseType& type,
                                       const std::vector<std::string>& keys);
  CaseRecord* OpenCase(const rules::CaseType& type, const rules::Event& event,
                       const std::vector<std::string>& keys, const rules::RuleSet& rules);
  void AddKeys(CaseRecord* c, const std::vector<std::string>& keys);
  void CloseCase(CaseRecord* c, const std::string& reason, const std::string& event_id,
                 const std::string& rule, const rules::RuleSet& rules);
  // (Re)arms the case's idle clock after an event (close_after_idle).
  void ArmIdleTimer(CaseRecord* c, const rules::RuleSet& rules);
  // Arms the idle clock of `c` at `due` (the one armed before is left to
  // find it is no longer the case's).
  void PutIdleTimer(CaseRecord* c, TimeMs due, const rules::Duration& idle);
  int64_t CountPriorCases(const CaseRecord& c, std::string_view case_type, TimeMs from, TimeMs to);
  void Record(CaseRecord* c, const rules::Event& event, const std::string& rule,
              std::string action, std::string detail, const rules::RuleSet& rules) {
    Record(c, event.id(), rule, std::move(action), std::move(detail), rules);
  }
  void Record(CaseRecord* c, const std::string& event_id, const std::string& rule,
              std::string action, std::string detail, const rules::RuleSet& rules);
  // Marks `c` as changed by this batch, noting what changed (if anything).
  void Changed(CaseRecord* c, std::string change = {});

  // Rules and actions (engine_rules.cc).
  void ApplyRules(CaseRecord* c, const rules::Event& event, const rules::RuleSet& rules);
  // The event joins `c`: onto its timeline, then the case's rules run for it.
  void JoinEvent(CaseRecord* c, const rules::Event& event, const rules::RuleSet& rules);
  TimelineEntry EntryFor(const rules::Event& event, const rules::RuleSet& rules) const;
  // The `open: CASE_TYPE` action: the event joins the open case of that type
  // it correlates with, or opens one, and that case's rules run for it.
  void OpenFor(CaseRecord* from, const rules::Event& event, const rules::Rule& rule,
               const std::string& case_type, const rules::RuleSet& rules);
  void ApplyAction(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
                   const rules::Action& action, const rules::RuleSet& rules,
                   const Breach* breach = nullptr);
  void EmitTask(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
                const rules::Action& action, const rules::Partner& partner, std::string kind,
                std::string title, std::string priority, std::optional<TimeMs> due,
                const rules::RuleSet& rules, const Breach* breach,
                std::string_view variant = {});
  // Stores and publishes a built task; returns the batch's copy.
  const Task& PublishTask(Task t, const rules::Partner& partner);

  // Panels (engine_panels.cc).
  // The meeting of `panel` starting at `meeting` (from the meeting book);
  // null when the store cannot be read (the batch is then abandoned).
  MeetingBook::Meeting* MeetingOf(std::string_view panel, TimeMs meeting);
  // refer: the next meeting the case can make at the event's time and
  // research tasks to the members; a case heard within repeat_within comes
  // back as a repeat referral, one still waiting gains the new incident.
  void Refer(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
             const rules::Action& action, const rules::RuleSet& rules);
  // Puts `case_id` on the agenda of the first meeting from `meeting` on that
  // has not ended and has room; returns that meeting (0: none left).
  // `*passed_full` is set when a full meeting was passed over.
  TimeMs Seat(const rules::Panel& panel, TimeMs meeting, const std::string& case_id,
              const rules::RuleSet& rules, bool* passed_full = nullptr);
  // Arms a meeting's timer of `clock` ("agenda", "end", "outcome") to fire at `due`.
  void ArmMeetingTimer(const rules::Panel& panel, TimeMs meeting, std::string_view clock,
                       char kind, TimeMs due);
  // The referral of `c` to `panel` that waits for (or was heard at) `meeting`.
  Referral* ReferralAt(CaseRecord* c, const rules::Panel& panel, TimeMs meeting);
  // A task to the chair about a referral, under the rule that made it.
  void EmitReferralTask(CaseRecord* c, const Referral& r, const rules::Panel& panel,
                        std::string kind, std::string title, std::optional<TimeMs> due,
                        const std::string& variant, const rules::RuleSet& rules);
  // The chair hears of a case that joined a meeting whose agenda went out.
  void NotifyLateAgenda(CaseRecord* c, const Referral& r, const rules::Panel& panel,
                        const std::string& why, const rules::RuleSet& rules);
  // The agenda (at the cutoff): every case on the meeting, as the chair may
  // see it, in one task; once per meeting.
  void EmitAgenda(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules);
  // A task about a meeting rather than a case (its case_id is "panel/date").
  void EmitMeetingTask(const rules::Panel& panel, TimeMs meeting, const rules::Partner& chair,
                       std::string kind, std::string title, std::optional<TimeMs> due,
                       const std::string& trigger, const std::string& variant,
                       std::string context_json, const rules::RuleSet& rules);
  // The end of a meeting day: a held meeting heard its cases; a cancelled or
  // inquorate one sends those without an outcome on to the next meeting.
  void EndMeeting(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules);
  // Each case of `meeting` with no outcome recorded goes to the next meeting.
  void RollOn(const rules::Panel& panel, TimeMs meeting, const std::string& why,
              const rules::RuleSet& rules);
  // Moves one referral to the meeting after the one it is on.
  void RollReferral(CaseRecord* c, Referral* r, const rules::Panel& panel, const std::string& why,
                    const std::string& trigger, const rules::RuleSet& rules);
  // outcome_due after a held meeting: the chair is asked for each missing outcome.
  void OutcomeDue(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules);
  // panel.outcome: the referral is heard (or deferred to the next meeting);
  // each action becomes a task.
  void ApplyOutcome(CaseRecord* c, const rules::Event& event, const rules::RuleSet& rules);
  // panel.held / panel.cancelled: why it cannot be applied, if it cannot; then applying it.
  Status CheckHeld(const rules::Event& event, const rules::RuleSet& rules) const;
  void ApplyHeld(const rules::Event& event, const rules::RuleSet& rules);
  // A case.viewed event (the console): who saw which case, and what of it,
  // as an entry of the audit trail.
  void AuditView(const rules::Event& event);
  // A task event that does not change task `task` (finished, or already in
  // that state): said in its case's history.
  void LeftAsItWas(const Task& task, const rules::Event& event, const rules::RuleSet& rules);

  // Timers (engine_timers.cc).
  void PutTimer(TimeMs due, char kind, const std::string& id, const std::string& value);
  void FireTimer(std::string_view key, std::string_view value, const rules::RuleSet& rules);
  // Fires, inside the batch being built, the event-time timers due by `t`, so
  // that an event is judged after what fell due before it whatever the batching.
  void FireEventTimeTimers(TimeMs t, const rules::RuleSet& rules);
  // Fires, inside the batch, every timer due by the wall clock and event
  // time, and those they arm that are due as well.
  void FireAllDueInBatch(const rules::RuleSet& rules);
  // The timers due by `wall` (wall clock) and `event_time`, up to `max` in
  // all; none when they cannot be read (the batch is then abandoned).
  std::vector<TimerQueue::Entry> DueTimers(TimeMs wall, TimeMs event_time, size_t max);
  // Fires `due` inside the batch being built, removing each timer.
  void FireAll(const std::vector<TimerQueue::Entry>& due, const rules::RuleSet& rules);
  // Task `task_id` from the task book; none when it was never issued or the
  // store cannot be read (the batch is then abandoned).
  std::optional<Task> FindTask(const std::string& task_id);
  // task.acknowledged / completed / declined: the task's status changes.
  void UpdateTaskFromEvent(const rules::Event& event, const rules::RuleSet& rules);

  CaseStore* store_;
  // A read that failed (or found a damaged record): the batch being built is
  // abandoned and every later call returns this.
  void StoreFailed(const Status& s, const std::string& what);
  // Starts a batch decided by `rules` (recording on the audit trail a rule
  // set that decides its first).
  void BeginBatch(size_t size, const rules::RuleSet& rules);
  // Finishes and writes the batch being built, unless a read failed.
  Status CommitBatch(const rules::RuleSet& rules);
  // After a written batch: its offsets and totals, for other threads.
  void PublishProgress();
  Status store_error_;
  AuditTrail audit_;
  std::string audited_rules_;  // the rules version the trail last recorded

  const Clock* clock_;
  EngineOptions options_;
  std::string events_topic_;

  mutable std::mutex rules_mu_;
  std::shared_ptr<const rules::RuleSet> rules_;

  // Memory mirrors of the store.
  std::map<connectors::TopicPartition, int64_t> offsets_;
  std::map<std::string, uint64_t> case_seq_;  // case type -> last number used
  uint64_t outbox_seq_ = 0;
  TimeMs event_time_ = 0;  // the latest occurred_at applied
  TimerQueue timers_;
  TaskBook tasks_;  // every task issued, its status and owner
  CaseIndex index_;  // correlation keys -> cases
  std::unordered_map<std::string, CaseRecord> cases_;
  std::deque<std::string> case_order_;  // the order cases_ took them, for letting go
  MeetingBook meetings_;  // the panels' meetings: agendas, held or not
  std::unordered_map<std::string, std::shared_ptr<const rules::Event>> event_cache_;
  std::deque<std::string> event_cache_order_;

  std::unique_ptr<BatchState> batch_;
  EngineTotals totals_;  // including the batch in hand

  // Progress as of the last written batch, for other threads.
  mutable std::mutex progress_mu_;
  connectors::OffsetMap committed_offsets_;
  EngineTotals committed_totals_;
};

// The engine's event time as `store` holds it (the latest occurred_at
// applied, and never behind the wall clock when it ran live); 0 for a new
// store. For readers of a store beside or after the engine.
Result<TimeMs> ReadEventTime(const CaseStore& store);

}  // namespace convene::engine

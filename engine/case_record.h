// A case as the engine keeps it: the view rules see, the correlation keys
// that link events to it, its timeline of events, which rules fired when,
// and an append-only history of what convene did and under which rules.
//
// Stored as rows, so that a change costs what changed, not the case's size:
// the summary (view, keys, fired rules, referrals, clocks) as JSON in the
// `cases` family, each timeline entry and each history entry a row of its own
// in `timeline` and `history` (case id + sequence), written once. The engine
// keeps the timeline in memory and never reads the history back; people's
// tools read it with ReadCase. A record written before the rows (timeline and
// history inside the summary) is read as it was and moved to rows at its
// next write. Value type.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/case_store.h"
#include "rules/case_view.h"
#include "rules/status.h"

namespace convene::engine {

struct TimelineEntry {
  std::string event_id;
  std::string type;
  TimeMs occurred_at = 0;
  // Values of the paths the rules count distinct values of ("data.incident_ref"),
  // kept so that distinct() need not reload past events. nullopt: the event has
  // no value there.
  std::vector<std::pair<std::string, std::optional<std::string>>> facts;

  // The fact for `path`: the outer optional is empty when it was not recorded.
  std::optional<std::optional<std::string>> Fact(std::string_view path) const;
};

// One thing convene did on a case: who was told what, when, under which rule.
struct HistoryEntry {
  TimeMs at = 0;               // wall-clock time it was decided
  std::string event_id;        // the triggering event
  std::string rule;            // empty for intake (opened, joined)
  std::string action;          // opened, joined, task, escalate, set_stage, flag, set, notify, close
  std::string detail;          // e.g. "task t-... to housing", "stage reported -> warning"
  std::string rules_version;
};

// A referral of the case to a panel, for the meeting it could make.
struct Referral {
  std::string panel;
  TimeMs meeting = 0;        // the meeting it is (or was) to be heard at
  TimeMs first_meeting = 0;  // the meeting it was first put on, before any roll-over
  int rolled = 0;            // times it rolled to the next meeting (cancelled, inquorate, deferred)
  TimeMs referred_at = 0;  // event time
  bool repeat = false;
  bool heard = false;    // its meeting was held (or an outcome recorded): it is not waiting
  bool outcome = false;  // a panel.outcome was recorded for it
  std::string rule;     // the rule that referred, and its action, for roll-over tasks
  int action = 0;
  std::string event_id;
};

struct CaseRecord {
  rules::CaseView view;
  std::vector<std::string> keys;  // "event.location.uprn=1000..." as correlated
  std::vector<TimelineEntry> timeline;  // in the order events were applied
  std::map<std::string, TimeMs> fired;  // rule id -> event time it last fired
  // In the engine: the entries not yet written. From ReadCase with history:
  // all of them.
  std::vector<HistoryEntry> history;
  std::vector<Referral> referrals;
  TimeMs last_event_at = 0;
  TimeMs idle_due = 0;  // when the idle clock (close_after_idle) runs out; 0: not armed
  TimeMs closed_at = 0;  // event time when it closed; 0: open (or closed before this was kept)

  // Not stored: what the batch being applied has changed on this case.
  struct Pending {
    bool dirty = false;
    std::string last_event;
    std::vector<std::string> changes;
  };
  Pending pending;

  // Adds an event to the timeline (the only way to).
  void Append(TimelineEntry entry);

  // Calls fn(entry) for each timeline entry with from < occurred_at <= to,
  // the last applied first. It stops walking back as soon as no earlier entry
  // can be in the window, so the cost is the window's, not the timeline's
  // (a late event, applied after later ones, is still found).
  template <typename Fn>
  void ForEachInWindow(TimeMs from, TimeMs to, Fn fn) const {
    for (size_t i = timeline.size(); i-- > 0;) {
      if (latest_[i] <= from) return;
      const TimelineEntry& e = timeline[i];
      if (e.occurred_at > from && e.occurred_at <= to) fn(e);
    }
  }

  // The id of the event that opened the case (empty for records from before
  // it was kept: see ReadCase).
  std::string opening_event;

  // Puts the timeline and history entries not yet written into `batch`, and
  // counts them as written. Then Serialize() gives the summary that goes with them.
  void WriteRows(const CaseStore& store, rocksdb::WriteBatch* batch);
  std::string Serialize() const;
  // The summary alone (a timeline is read only from a record that holds it).
  static Result<CaseRecord> Parse(std::string_view json);

 private:
  size_t timeline_written_ = 0;  // timeline[0, timeline_written_) are rows
  uint64_t history_written_ = 0;  // history rows written before those in `history`
  friend Result<std::optional<CaseRecord>> ReadCase(const CaseStore& store, std::string_view id,
                                                    bool with_history);
  // Not stored: latest_[i] is the latest occurred_at among timeline[0..i].
  std::vector<TimeMs> latest_;
};

// The case `id` as stored: its summary and timeline, and its history when
// asked for. nullopt when there is no such case; not OK when the store
// could not be read or a record is damaged.
Result<std::optional<CaseRecord>> ReadCase(const CaseStore& store, std::string_view id,
                                           bool with_history);

}  // namespace convene::engine

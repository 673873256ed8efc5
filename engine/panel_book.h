// Reading a panel's meetings back from the store: which cases are on each
// meeting's agenda, whether it was held, and the agenda as the chair reads it.
// Used by `convene panel list` and `convene panel agenda`. Thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/case_store.h"
#include "rules/rule_set.h"

namespace convene::engine {

struct MeetingRecord {
  TimeMs start = 0;
  std::vector<std::string> case_ids;  // on its agenda, including those that rolled on
  std::string held_json;              // the panel.held record; empty: not recorded
};

// Every meeting of `panel` that has an agenda or was held, by start time.
// Not OK when the store could not be read.
Result<std::map<TimeMs, MeetingRecord>> ReadMeetings(const CaseStore& store,
                                                     std::string_view panel);

// Case counts of a meeting, as `convene panel list` shows them.
struct MeetingCounts {
  int cases = 0;     // on the agenda now (not rolled on)
  int repeats = 0;   // of which repeat referrals
  int rolled_in = 0; // of which rolled from an earlier meeting
  int outcomes = 0;  // of which a panel.outcome was recorded
  int closed = 0;    // of which the case closed with no outcome recorded
  int rolled_on = 0; // rolled to a later meeting
};
MeetingCounts CountMeeting(const CaseStore& store, const rules::Panel& panel,
                           const MeetingRecord& meeting);

// The agenda of the meeting starting at `meeting` as a person reads it: the
// meeting, its deadlines, and each case with what the chair's share allows,
// its referral, its status and the members' research.
std::string FormatAgenda(const CaseStore& store, const rules::RuleSet& rules,
                         const rules::Panel& panel, const MeetingRecord& meeting);

// "Tuesday 17 March 2026, 10:00" in the panel's time zone.
std::string LocalDateTime(const rules::Panel& panel, TimeMs t);

}  // namespace convene::engine

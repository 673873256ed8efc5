// Reading a panel's meetings back from the store: which cases are on each
// meeting's agenda, whether it was held, and the agenda as the chair reads it.
// Used by `convene panel list` and `convene panel agenda`. Thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/case_record.h"
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
// Not OK when a case could not be read.
Result<MeetingCounts> CountMeeting(const CaseStore& store, const rules::Panel& panel,
                                   const MeetingRecord& meeting);

// The meetings a chair looks at on `from`: each earlier one still holding
// cases without an outcome, then the next `count` (nothing recorded of one
// yet: an empty record). Not OK when the store could not be read.
Result<std::vector<MeetingRecord>> MeetingsToShow(const CaseStore& store, const rules::Panel& panel,
                                                  TimeMs from, int count);

// One case on a meeting's agenda as its chair reads it.
struct AgendaItem {
  rules::CaseView view;
  Referral referral;  // the one that put it on this meeting
  // Of the referring event, what the chair's share allows (path, text) and
  // the paths it withholds.
  std::vector<std::pair<std::string, std::string>> shared;
  std::vector<std::string> withheld;
  // The members' research tasks for this referral: partner, task id, status.
  struct Research {
    std::string partner, task_id, status;
  };
  std::vector<Research> research;
};

// A meeting's agenda: the cases to be heard, in the order they were referred,
// those that rolled on from it, and its panel.held record.
struct Agenda {
  TimeMs start = 0;
  std::vector<AgendaItem> cases;
  std::vector<AgendaItem> rolled_on;
  bool held = false;
  std::vector<std::string> attendees, missing;  // when held
};
// Not OK when the store could not be read or a record is damaged.
Result<Agenda> ReadAgenda(const CaseStore& store, const rules::RuleSet& rules,
                          const rules::Panel& panel, const MeetingRecord& meeting);

// The agenda of the meeting starting at `meeting` as a person reads it: the
// meeting, its deadlines, and each case with what the chair's share allows,
// its referral, its status and the members' research.
Result<std::string> FormatAgenda(const CaseStore& store, const rules::RuleSet& rules,
                                 const rules::Panel& panel, const MeetingRecord& meeting);

// "Tuesday 17 March 2026, 10:00" in the panel's time zone.
std::string LocalDateTime(const rules::Panel& panel, TimeMs t);

}  // namespace convene::engine

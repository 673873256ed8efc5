// Multi-agency panels (panels.yaml): who sits on them, when they meet, and
// which meeting a referral can still make. Immutable; thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rules/duration.h"

namespace date {
class time_zone;
}

namespace convene::rules {

struct Panel {
  std::string id;
  std::string title;
  std::vector<std::string> members;  // partner ids
  std::string chair;                 // partner id
  std::vector<std::string> quorum;   // members whose attendance is required
  int every_days = 14;               // meets every N days (0: monthly, see `week`) ...
  int weekday = 2;                   // ... on this weekday (Sunday = 0) ...
  int week = 1;                      // monthly: the Nth such weekday of the month (5: last)
  int64_t from_day = 0;              // ... from this local date (days since the epoch) ...
  int minutes = 600;                 // ... at this local time (minutes after midnight)
  std::set<int64_t> cancelled;       // local dates with no meeting
  std::set<int64_t> extra;           // local dates with an extra meeting
  Duration cutoff;                   // a referral must come this long before the meeting
  std::optional<Duration> research_due;  // research tasks due this long before it
  std::optional<Duration> agenda_due;    // the agenda due this long before it
  Duration outcome_due;                  // outcomes recorded this long after it, or the chair is asked
  std::optional<Duration> repeat_within;
  int max_cases = 0;  // cases one meeting can hear; 0: no limit
  const date::time_zone* zone = nullptr;

  // The start of the first meeting a referral made at `t` can make: the
  // earliest meeting (regular, not cancelled, or extra) with t <= start - cutoff.
  TimeMs NextMeeting(TimeMs t, const Calendars& calendars) const;
  // The start of the first meeting after the one starting at `start`, with no
  // cutoff: where a case goes when a meeting is full or did not hear it.
  // 0 when the panel has no meeting left.
  TimeMs MeetingAfter(TimeMs start) const;
  // The first meeting on `t`'s local day or after it (0: none left).
  TimeMs MeetingFrom(TimeMs t) const;
  // The start of the meeting on local day `day`.
  TimeMs MeetingAt(int64_t day) const;
  // The local day (days since the epoch) a time falls on.
  int64_t LocalDay(TimeMs t) const;
  // "2026-03-10": the local date of a meeting starting at `start`.
  std::string DateOf(TimeMs start) const;
  // The end of the local day a meeting starting at `start` is held on.
  TimeMs EndOfMeetingDay(TimeMs start) const;

 private:
  // The first local day on or after `day` with a meeting (regular and not
  // cancelled, or extra); nullopt if none within a hundred years.
  std::optional<int64_t> MeetingDayFrom(int64_t day) const;
  std::optional<int64_t> RegularDayFrom(int64_t day) const;
};

}  // namespace convene::rules

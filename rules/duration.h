// Durations as policy officers write them: "48h", "10d", "2w", "6mo", "1y",
// "10 working days", or {in: 24h, calendar: court-arrest}. Value type.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "rules/calendar.h"
#include "rules/status.h"
#include "rules/time_point.h"

namespace convene::rules {

using Calendars = std::map<std::string, std::shared_ptr<const Calendar>, std::less<>>;

struct Duration {
  enum class Kind {
    kFixed,        // exact elapsed time (h, d, w)
    kMonths,       // calendar months (mo, y)
    kWorkingDays,  // open days of a calendar, same local time of day
    kOpenTime,     // elapsed time on open days of a calendar
  };
  Kind kind = Kind::kFixed;
  int64_t amount = 0;    // ms for kFixed/kOpenTime, months for kMonths, days for kWorkingDays
  std::string calendar;  // for kWorkingDays and kOpenTime
  std::string text;      // as written, for messages

  // `t` moved forward by this duration. Calendar kinds need `calendars` to hold
  // the named calendar (checked when the configuration is loaded).
  TimeMs After(TimeMs t, const Calendars& calendars) const;
  // `t` moved back by this duration: the start of a window ending at `t`.
  TimeMs Before(TimeMs t, const Calendars& calendars) const;
};

// Parses the string forms. "N working days" uses the calendar "working-days".
Result<Duration> ParseDuration(std::string_view text);

}  // namespace convene::rules

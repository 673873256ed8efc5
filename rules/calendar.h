// Working-day calendars: a timezone, closed weekdays and holidays, as policy
// officers write them in calendar.yaml. Immutable after construction; safe to
// share between threads.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "rules/time_point.h"

namespace date {
class time_zone;
}

namespace convene::rules {

class Calendar {
 public:
  // `zone` must outlive the calendar (zones from the tz database live forever).
  // `closed` is indexed Sunday=0 .. Saturday=6; `holidays` are local dates as
  // days since the epoch, in any order (duplicates are harmless).
  Calendar(std::string name, const date::time_zone* zone, std::array<bool, 7> closed,
           std::vector<int64_t> holidays);

  const std::string& name() const { return name_; }

  // True when the local day containing `t` is neither a closed weekday nor a holiday.
  bool IsOpen(TimeMs t) const;

  // Moves `days` open days forward from `t` and lands at the same local time
  // of day (daylight saving respected).
  TimeMs AddWorkingDays(TimeMs t, int days) const;

  // Counts `amount` of elapsed time that falls on open days only: an hour on a
  // closed day does not count.
  TimeMs AddOpenTime(TimeMs t, TimeMs amount) const;

 private:
  bool IsOpenLocalDay(int64_t local_day) const;

  std::string name_;
  const date::time_zone* zone_;
  std::array<bool, 7> closed_;
  std::vector<int64_t> holidays_;  // sorted, unique
};

}  // namespace convene::rules

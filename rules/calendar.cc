#include "rules/calendar.h"

#include <algorithm>

#include <date/tz.h>

#include <chrono>

namespace convene::rules {
namespace {

using Ms = std::chrono::milliseconds;

date::local_time<Ms> ToLocal(const date::time_zone* zone, TimeMs t) {
  return zone->to_local(date::sys_time<Ms>(Ms(t)));
}

TimeMs ToSys(const date::time_zone* zone, date::local_time<Ms> local) {
  // In the autumn overlap choose the first instant; in the spring gap the
  // instant the clocks jump to.
  auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    return date::sys_time<Ms>(info.second.begin).time_since_epoch().count();
  }
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

}  // namespace

Calendar::Calendar(std::string name, const date::time_zone* zone, std::array<bool, 7> closed,
                   std::vector<int64_t> holidays)
    : name_(std::move(name)), zone_(zone), closed_(closed), holidays_(std::move(holidays)) {
  std::sort(holidays_.begin(), holidays_.end());
  holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
}

bool Calendar::IsOpenLocalDay(int64_t local_day) const {
  date::weekday wd{date::local_days{date::days{local_day}}};
  return !closed_[wd.c_encoding()] && !std::binary_search(holidays_.begin(), holidays_.end(), local_day);
}

bool Calendar::IsOpen(TimeMs t) const {
  auto local = ToLocal(zone_, t);
  return IsOpenLocalDay(date::floor<date::days>(local).time_since_epoch().count());
}

TimeMs Calendar::AddWorkingDays(TimeMs t, int days) const {
  auto local = ToLocal(zone_, t);
  auto day = date::floor<date::days>(local);
  auto time_of_day = local - day;
  int64_t d = day.time_since_epoch().count();
  int step = days >= 0 ? 1 : -1;
  for (int remaining = days >= 0 ? days : -days; remaining > 0;) {
    d += step;
    if (IsOpenLocalDay(d)) --remaining;
  }
  return ToSys(zone_, date::local_days{date::days{d}} + time_of_day);
}

TimeMs Calendar::AddOpenTime(TimeMs t, TimeMs amount) const {
  TimeMs now = t;
  TimeMs remaining = amount;
  // Each step reaches at most the next local midnight, so the loop is bounded
  // by the number of days spanned.
  while (remaining > 0) {
    auto local = ToLocal(zone_, now);
    auto day = date::floor<date::days>(local);
    int64_t d = day.time_since_epoch().count();
    TimeMs next_midnight = ToSys(zone_, date::local_days{date::days{d + 1}});
    if (!IsOpenLocalDay(d)) {
      now = next_midnight;
      continue;
    }
    TimeMs span = std::min(remaining, next_midnight - now);
    now += span;
    remaining -= span;
  }
  return now;
}

}  // namespace convene::rules

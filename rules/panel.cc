#include "rules/panel.h"

#include <date/tz.h>

namespace convene::rules {
namespace {

using Ms = std::chrono::milliseconds;

// The Nth `weekday` (Sunday = 0) of the month of `ym`; week 5 is the last.
int64_t NthWeekday(date::year_month ym, int weekday, int week) {
  date::weekday wd{static_cast<unsigned>(weekday)};
  date::sys_days d =
      week >= 5 ? date::sys_days(date::year_month_weekday_last(ym.year(), ym.month(),
                                                               date::weekday_last(wd)))
                : date::sys_days(date::year_month_weekday(
                      ym.year(), ym.month(), date::weekday_indexed(wd, static_cast<unsigned>(week))));
  return d.time_since_epoch().count();
}

constexpr int kSearchLimit = 5000;  // meetings: bounds a panel that stopped meeting

}  // namespace

TimeMs Panel::MeetingAt(int64_t day) const {
  date::local_time<Ms> local = date::local_days{date::days{day}} + std::chrono::minutes(minutes);
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

int64_t Panel::LocalDay(TimeMs t) const {
  auto local = zone->to_local(date::sys_time<Ms>{Ms{t}});
  return date::floor<date::days>(local).time_since_epoch().count();
}

std::string Panel::DateOf(TimeMs start) const {
  return date::format("%F", date::sys_days{date::days{LocalDay(start)}});
}

TimeMs Panel::EndOfMeetingDay(TimeMs start) const {
  date::local_days next{date::days{LocalDay(start) + 1}};
  return zone->to_sys(date::local_time<Ms>{next}, date::choose::earliest)
      .time_since_epoch()
      .count();
}

std::optional<int64_t> Panel::RegularDayFrom(int64_t day) const {
  day = std::max(day, from_day);
  if (every_days > 0) {
    int64_t n = (day - from_day + every_days - 1) / every_days;
    for (int i = 0; i < kSearchLimit; ++i, ++n) {
      int64_t d = from_day + n * every_days;
      if (!cancelled.count(d)) return d;
    }
    return std::nullopt;
  }
  date::year_month_day ymd{date::sys_days{date::days{day}}};
  date::year_month ym{ymd.year(), ymd.month()};
  for (int i = 0; i < kSearchLimit; ++i, ym += date::months{1}) {
    int64_t d = NthWeekday(ym, weekday, week);
    if (d >= day && !cancelled.count(d)) return d;
  }
  return std::nullopt;
}

std::optional<int64_t> Panel::MeetingDayFrom(int64_t day) const {
  std::optional<int64_t> regular = RegularDayFrom(day);
  auto extra_it = extra.lower_bound(day);
  if (extra_it != extra.end() && (!regular || *extra_it < *regular)) return *extra_it;
  return regular;
}

TimeMs Panel::NextMeeting(TimeMs t, const Calendars& calendars) const {
  // A meeting can be made only if the referral comes `cutoff` before it; a
  // meeting before t's own day never can.
  int64_t day = LocalDay(t);
  for (int i = 0; i < kSearchLimit; ++i) {
    std::optional<int64_t> d = MeetingDayFrom(day);
    if (!d) return 0;
    TimeMs start = MeetingAt(*d);
    if (cutoff.Before(start, calendars) >= t) return start;
    day = *d + 1;
  }
  return 0;
}

TimeMs Panel::MeetingFrom(TimeMs t) const {
  std::optional<int64_t> d = MeetingDayFrom(LocalDay(t));
  return d ? MeetingAt(*d) : 0;
}

TimeMs Panel::MeetingAfter(TimeMs start) const {
  std::optional<int64_t> d = MeetingDayFrom(LocalDay(start) + 1);
  return d ? MeetingAt(*d) : 0;
}

}  // namespace convene::rules

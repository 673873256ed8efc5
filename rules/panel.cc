#include "rules/panel.h"

#include <date/tz.h>

namespace convene::rules {

TimeMs Panel::MeetingAt(int64_t day) const {
  using Ms = std::chrono::milliseconds;
  date::local_time<Ms> local = date::local_days{date::days{day}} + std::chrono::minutes(minutes);
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

TimeMs Panel::NextMeeting(TimeMs t, const Calendars& calendars) const {
  std::optional<TimeMs> best;
  auto consider = [&](int64_t day) {
    TimeMs start = MeetingAt(day);
    if (cutoff.Before(start, calendars) >= t && (!best || start < *best)) best = start;
  };
  for (int64_t day : extra) consider(day);
  // Regular meetings: bounded so a panel that stopped meeting cannot loop forever.
  for (int64_t day = from_day, n = 0; n < 5000; day += every_days, ++n) {
    if (best && MeetingAt(day) >= *best) break;
    if (cancelled.count(day)) continue;
    TimeMs start = MeetingAt(day);
    if (cutoff.Before(start, calendars) >= t) {
      consider(day);
      break;
    }
  }
  return best.value_or(0);
}

}  // namespace convene::rules

#include "rules/duration.h"

#include <cctype>
#include <charconv>

namespace convene::rules {
namespace {

const Calendar* Find(const Calendars& calendars, const std::string& name) {
  auto it = calendars.find(name);
  return it == calendars.end() ? nullptr : it->second.get();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

TimeMs Duration::After(TimeMs t, const Calendars& calendars) const {
  switch (kind) {
    case Kind::kFixed:
      return t + amount;
    case Kind::kMonths:
      return AddMonths(t, static_cast<int>(amount));
    case Kind::kWorkingDays:
      if (const Calendar* c = Find(calendars, calendar)) {
        return c->AddWorkingDays(t, static_cast<int>(amount));
      }
      return t + amount * kMsPerDay;
    case Kind::kOpenTime:
      if (const Calendar* c = Find(calendars, calendar)) return c->AddOpenTime(t, amount);
      return t + amount;
  }
  return t;
}

TimeMs Duration::Before(TimeMs t, const Calendars& calendars) const {
  switch (kind) {
    case Kind::kFixed:
    case Kind::kOpenTime:
      return t - amount;
    case Kind::kMonths:
      return AddMonths(t, -static_cast<int>(amount));
    case Kind::kWorkingDays:
      if (const Calendar* c = Find(calendars, calendar)) {
        return c->AddWorkingDays(t, -static_cast<int>(amount));
      }
      return t - amount * kMsPerDay;
  }
  return t;
}

Result<Duration> ParseDuration(std::string_view input) {
  std::string_view text = Trim(input);
  Duration d;
  d.text = std::string(text);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) {
    return Status::Error("'" + d.text +
                         "' is not a duration: write a number and a unit, e.g. 48h, 10d, 2w, "
                         "6mo, 1y or '10 working days'");
  }
  std::string_view unit = Trim(std::string_view(end, text.data() + text.size() - end));
  // No legal clock or window runs for a century; past it, arithmetic on
  // times would overflow.
  constexpr int64_t kMaxYears = 100;
  const int64_t per_year = unit == "h"                  ? 366 * 24
                           : unit == "m" || unit == "min" ? 366 * 24 * 60
                           : unit == "s"                  ? 366 * 24 * 3600
                           : unit == "d"                  ? 366
                           : unit == "w"                  ? 53
                           : unit == "mo"                 ? 12
                           : unit == "y"                  ? 1
                                                          : 262;  // working days
  if (n > kMaxYears * per_year) {
    return Status::Error("'" + d.text + "' is over 100 years: no clock or window in convene is "
                         "that long");
  }
  if (unit == "h") {
    d.amount = n * kMsPerHour;
  } else if (unit == "m" || unit == "min") {
    d.amount = n * 60 * kMsPerSecond;
  } else if (unit == "s") {
    d.amount = n * kMsPerSecond;
  } else if (unit == "d") {
    d.amount = n * kMsPerDay;
  } else if (unit == "w") {
    d.amount = n * 7 * kMsPerDay;
  } else if (unit == "mo") {
    d.kind = Duration::Kind::kMonths;
    d.amount = n;
  } else if (unit == "y") {
    d.kind = Duration::Kind::kMonths;
    d.amount = n * 12;
  } else if (unit == "working days" || unit == "working day") {
    d.kind = Duration::Kind::kWorkingDays;
    d.amount = n;
    d.calendar = "working-days";
  } else {
    return Status::Error("'" + d.text + "' has unknown unit '" + std::string(unit) +
                         "': use h, d, w, mo, y or 'working days'");
  }
  return d;
}

}  // namespace convene::rules

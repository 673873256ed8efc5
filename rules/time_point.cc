#include "rules/time_point.h"

#include <date/date.h>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace convene {
namespace {

bool ReadInt(std::string_view text, size_t pos, size_t len, int* out) {
  if (pos + len > text.size()) return false;
  for (size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  auto r = std::from_chars(text.data() + pos, text.data() + pos + len, *out);
  return r.ec == std::errc();
}

std::optional<date::sys_days> ReadDate(std::string_view text) {
  int y, m, d;
  if (text.size() < 10 || !ReadInt(text, 0, 4, &y) || text[4] != '-' || !ReadInt(text, 5, 2, &m) ||
      text[7] != '-' || !ReadInt(text, 8, 2, &d)) {
    return std::nullopt;
  }
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd};
}

}  // namespace

std::optional<TimeMs> ParseRfc3339(std::string_view text) {
  auto day = ReadDate(text);
  if (!day || text.size() < 20) return std::nullopt;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  int hh, mm, ss;
  if (!ReadInt(text, 11, 2, &hh) || text[13] != ':' || !ReadInt(text, 14, 2, &mm) ||
      text[16] != ':' || !ReadInt(text, 17, 2, &ss)) {
    return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
  }
  if (pos >= text.size()) return std::nullopt;  // the offset is mandatory
  int64_t offset_minutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh, om;
    if (!ReadInt(text, pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadInt(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (int64_t{oh} * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(day->time_since_epoch()).count() +
                    int64_t{hh} * 3600 + int64_t{mm} * 60 + ss - offset_minutes * 60;
  return seconds * kMsPerSecond + millis;
}

std::string FormatRfc3339(TimeMs t) {
  // On every task and stored record: formatted by hand, as date::format goes
  // through an ostringstream.
  auto tp = date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(t));
  auto day = date::floor<date::days>(tp);
  date::year_month_day ymd{day};
  int64_t ms_of_day = (tp - day).count();
  int y = static_cast<int>(ymd.year());
  unsigned mo = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  int64_t hh = ms_of_day / kMsPerHour, mm = ms_of_day / 60000 % 60, ss = ms_of_day / 1000 % 60;
  int64_t ms = ms_of_day % 1000;
  char buf[40];
  int n;
  if (ms == 0) {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", y, mo, d,
                      static_cast<long long>(hh), static_cast<long long>(mm),
                      static_cast<long long>(ss));
  } else {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", y, mo, d,
                      static_cast<long long>(hh), static_cast<long long>(mm),
                      static_cast<long long>(ss), static_cast<long long>(ms));
  }
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<TimeMs> ParseDate(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  auto day = ReadDate(text);
  if (!day) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(day->time_since_epoch()).count();
}

TimeMs AddMonths(TimeMs t, int months) {
  auto tp = date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(t));
  auto day = date::floor<date::days>(tp);
  auto time_of_day = tp - day;
  date::year_month_day ymd{day};
  date::year_month ym = date::year_month{ymd.year(), ymd.month()} + date::months{months};
  auto last = date::year_month_day_last{ym.year(), date::month_day_last{ym.month()}}.day();
  date::year_month_day target{ym.year(), ym.month(), std::min(ymd.day(), last)};
  return (date::sys_days{target} + time_of_day).time_since_epoch().count();
}

}  // namespace convene

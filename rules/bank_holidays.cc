#include "rules/bank_holidays.h"

#include <date/date.h>

#include <algorithm>

namespace convene::rules {
namespace {

using date::days;
using date::sys_days;
using date::year_month_day;

int64_t Day(int y, unsigned m, unsigned d) {
  return sys_days{date::year{y} / m / d}.time_since_epoch().count();
}

unsigned WeekdayOf(int64_t day) {  // Sunday 0 .. Saturday 6
  return date::weekday{sys_days{days{day}}}.c_encoding();
}

// Gregorian Easter Sunday (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher").
int64_t EasterSunday(int y) {
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
  int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return Day(y, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

int64_t FirstMonday(int y, unsigned m) {
  int64_t d = Day(y, m, 1);
  while (WeekdayOf(d) != 1) ++d;
  return d;
}

int64_t LastMonday(int y, unsigned m) {
  int64_t d = sys_days{date::year{y} / m / date::last}.time_since_epoch().count();
  while (WeekdayOf(d) != 1) --d;
  return d;
}

// A fixed-date holiday on a weekend moves to the next weekday not already taken.
void AddWithSubstitute(int64_t day, std::set<int64_t>* out) {
  while (WeekdayOf(day) == 0 || WeekdayOf(day) == 6 || out->count(day)) ++day;
  out->insert(day);
}

// Consecutive fixed dates (Christmas and Boxing Day; 1 and 2 January in
// Scotland): each taken in turn, so a pair over a weekend lands on Monday and
// Tuesday in order.
void AddPair(int64_t first, std::set<int64_t>* out) {
  std::set<int64_t> pair;
  AddWithSubstitute(first, &pair);
  int64_t second = first + 1;
  while (WeekdayOf(second) == 0 || WeekdayOf(second) == 6 || pair.count(second)) ++second;
  pair.insert(second);
  out->insert(pair.begin(), pair.end());
}

struct Change {
  int64_t from;  // the day the rule gives (0: none, an added day)
  int64_t to;    // the day it was moved to (0: none, the day was dropped)
};

// Proclamations since 1978, for every nation unless a set's own list says so.
std::vector<Change> UkProclamations() {
  return {
      {Day(1995, 5, 1), Day(1995, 5, 8)},    // early May moved: VE Day 50th anniversary
      {0, Day(1999, 12, 31)},                // the Millennium
      {Day(2002, 5, 27), Day(2002, 6, 4)},   // spring moved: Golden Jubilee
      {0, Day(2002, 6, 3)},                  // Golden Jubilee
      {0, Day(2011, 4, 29)},                 // royal wedding
      {Day(2012, 5, 28), Day(2012, 6, 4)},   // spring moved: Diamond Jubilee
      {0, Day(2012, 6, 5)},                  // Diamond Jubilee
      {Day(2020, 5, 4), Day(2020, 5, 8)},    // early May moved: VE Day 75th anniversary
      {Day(2022, 5, 30), Day(2022, 6, 2)},   // spring moved: Platinum Jubilee
      {0, Day(2022, 6, 3)},                  // Platinum Jubilee
      {0, Day(2022, 9, 19)},                 // state funeral of Queen Elizabeth II
      {0, Day(2023, 5, 8)},                  // coronation of King Charles III
  };
}

std::set<int64_t> Year(std::string_view set, int y) {
  std::set<int64_t> out;
  if (y < 1978) return out;
  const bool scotland = set == "scotland";
  int64_t easter = EasterSunday(y);
  if (scotland) {
    AddPair(Day(y, 1, 1), &out);
  } else {
    AddWithSubstitute(Day(y, 1, 1), &out);
  }
  if (set == "northern-ireland") AddWithSubstitute(Day(y, 3, 17), &out);  // St Patrick's Day
  out.insert(easter - 2);                                                   // Good Friday
  if (!scotland) out.insert(easter + 1);                                    // Easter Monday
  out.insert(FirstMonday(y, 5));                                            // early May
  out.insert(LastMonday(y, 5));                                             // spring
  if (set == "northern-ireland") AddWithSubstitute(Day(y, 7, 12), &out);    // Battle of the Boyne
  out.insert(scotland ? FirstMonday(y, 8) : LastMonday(y, 8));              // summer
  if (scotland && y >= 2007) AddWithSubstitute(Day(y, 11, 30), &out);       // St Andrew's Day
  AddPair(Day(y, 12, 25), &out);                                            // Christmas, Boxing Day
  for (const Change& c : UkProclamations()) {
    int64_t in_year = c.to ? c.to : c.from;
    if (year_month_day{sys_days{days{in_year}}}.year() != date::year{y}) continue;
    if (c.from) out.erase(c.from);
    if (c.to) out.insert(c.to);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& BankHolidaySets() {
  static const std::vector<std::string> kSets = {"england-and-wales", "scotland",
                                                 "northern-ireland"};
  return kSets;
}

bool IsBankHolidaySet(std::string_view name) {
  const auto& sets = BankHolidaySets();
  return std::find(sets.begin(), sets.end(), name) != sets.end();
}

std::set<int64_t> BankHolidays(std::string_view set, int first_year, int last_year) {
  std::set<int64_t> out;
  if (!IsBankHolidaySet(set)) return out;
  for (int y = first_year; y <= last_year; ++y) {
    std::set<int64_t> year = Year(set, y);
    out.insert(year.begin(), year.end());
  }
  return out;
}

const std::vector<int64_t>& AllBankHolidays(std::string_view set) {
  static const auto* all = [] {
    auto* m = new std::vector<std::vector<int64_t>>();
    for (const auto& name : BankHolidaySets()) {
      std::set<int64_t> days = BankHolidays(name, 1978, 2200);
      m->emplace_back(days.begin(), days.end());
    }
    return m;
  }();
  static const std::vector<int64_t> none;
  const auto& names = BankHolidaySets();
  auto it = std::find(names.begin(), names.end(), set);
  return it == names.end() ? none : (*all)[it - names.begin()];
}

}  // namespace convene::rules

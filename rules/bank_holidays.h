// The bank holidays of the UK's nations, as built-in holiday sets a calendar
// can name: `holidays: [england-and-wales, 2026-12-29]`. Each set is the
// statutory rules (Banking and Financial Dealings Act 1971 and the royal
// proclamations that moved or added days since 1978, when the early May
// holiday began) with their substitute days, plus the one-off proclamations
// known when this convene was released. Pure functions; thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace convene::rules {

// "england-and-wales", "scotland", "northern-ireland".
const std::vector<std::string>& BankHolidaySets();
bool IsBankHolidaySet(std::string_view name);

// The bank holidays of `set` from `first_year` to `last_year` (inclusive), as
// days since 1970-01-01. Before 1978 the rules are not those of today: none
// are given.
std::set<int64_t> BankHolidays(std::string_view set, int first_year, int last_year);

// BankHolidays(set, 1978, 2200), sorted: from when today's rules began to
// beyond any clock convene runs. Computed once per set and kept (every config
// load names one); empty for a name that is not a set.
const std::vector<int64_t>& AllBankHolidays(std::string_view set);

}  // namespace convene::rules

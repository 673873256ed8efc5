#include "rules/duration.h"

#include <date/tz.h>
#include <gtest/gtest.h>

namespace convene::rules {
namespace {

TimeMs T(const char* s) { return *ParseRfc3339(s); }

class DurationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const date::time_zone* london = date::locate_zone("Europe/London");
    std::vector<int64_t> holidays;
    for (const char* d : {"2026-04-03", "2026-04-06", "2026-12-25", "2026-12-28"}) {
      holidays.push_back(*ParseDate(d) / kMsPerDay);
    }
    std::array<bool, 7> weekend{};
    weekend[0] = weekend[6] = true;
    calendars_["working-days"] = std::make_shared<Calendar>("working-days", london, weekend, holidays);
    std::array<bool, 7> sundays{};
    sundays[0] = true;
    calendars_["court-arrest"] = std::make_shared<Calendar>(
        "court-arrest", london, sundays,
        std::vector<int64_t>{*ParseDate("2026-04-03") / kMsPerDay, *ParseDate("2026-12-25") / kMsPerDay});
  }
  Duration D(const char* text) {
    auto d = ParseDuration(text);
    EXPECT_TRUE(d.ok()) << text;
    return *d;
  }
  Calendars calendars_;
};

TEST_F(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(D("48h").amount, 48 * kMsPerHour);
  EXPECT_EQ(D("10d").amount, 10 * kMsPerDay);
  EXPECT_EQ(D("2w").amount, 14 * kMsPerDay);
  EXPECT_EQ(D("6mo").kind, Duration::Kind::kMonths);
  EXPECT_EQ(D("1y").amount, 12);
  EXPECT_EQ(D("10 working days").kind, Duration::Kind::kWorkingDays);
  EXPECT_EQ(D("1 working day").amount, 1);
}

TEST_F(DurationTest, RejectsNonsenseWithAHint) {
  EXPECT_FALSE(ParseDuration("soon").ok());
  EXPECT_NE(ParseDuration("3 fortnights").status().message().find("unknown unit"),
            std::string::npos);
}

// Found by fuzzing: the amounts were multiplied (and negated) without bound.
TEST_F(DurationTest, ADurationOverACenturyIsRefusedNotOverflowed) {
  for (const char* text : {"9999999999999h", "999999999999999999y", "536870912y", "1201mo",
                           "30000 working days"}) {
    auto d = ParseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.status().message().find("over 100 years"), std::string::npos) << text;
  }
  EXPECT_TRUE(ParseDuration("100y").ok());
  EXPECT_TRUE(ParseDuration("876000h").ok());
}

TEST_F(DurationTest, MonthsClampToTheEndOfTheMonth) {
  EXPECT_EQ(D("6mo").After(T("2025-08-31T10:00:00Z"), calendars_), T("2026-02-28T10:00:00Z"));
  EXPECT_EQ(D("6mo").After(T("2027-08-31T10:00:00Z"), calendars_), T("2028-02-29T10:00:00Z"));
  EXPECT_EQ(D("6mo").Before(T("2026-08-31T10:00:00Z"), calendars_), T("2026-02-28T10:00:00Z"));
  EXPECT_EQ(D("1y").Before(T("2028-02-29T00:00:00Z"), calendars_), T("2027-02-28T00:00:00Z"));
}

TEST_F(DurationTest, WorkingDaysSkipWeekendsAndHolidays) {
  // Thursday 2 April 2026: Good Friday and Easter Monday are holidays.
  EXPECT_EQ(D("1 working day").After(T("2026-04-02T10:00:00+01:00"), calendars_),
            T("2026-04-07T10:00:00+01:00"));
  // Friday to Monday over a weekend.
  EXPECT_EQ(D("1 working day").After(T("2026-03-06T09:00:00Z"), calendars_),
            T("2026-03-09T09:00:00Z"));
  EXPECT_EQ(D("10 working days").After(T("2026-03-02T09:00:00Z"), calendars_),
            T("2026-03-16T09:00:00Z"));
}

TEST_F(DurationTest, WorkingDaysKeepTheLocalTimeAcrossTheClockChange) {
  // Clocks go forward on Sunday 29 March 2026: 09:00 GMT on Friday becomes
  // 09:00 BST (08:00 UTC) on Monday.
  EXPECT_EQ(D("1 working day").After(T("2026-03-27T09:00:00Z"), calendars_),
            T("2026-03-30T08:00:00Z"));
  // And back on Sunday 25 October 2026.
  EXPECT_EQ(D("1 working day").After(T("2026-10-23T08:00:00Z"), calendars_),
            T("2026-10-26T09:00:00Z"));
}

TEST_F(DurationTest, OpenTimeDisregardsSundaysAndChristmasDay) {
  Duration d;
  d.kind = Duration::Kind::kOpenTime;
  d.amount = 24 * kMsPerHour;
  d.calendar = "court-arrest";
  // Arrest at 22:00 on Saturday 19 Dec 2026: 2h on Saturday, Sunday skipped,
  // 22h on Monday.
  EXPECT_EQ(d.After(T("2026-12-19T22:00:00Z"), calendars_), T("2026-12-21T22:00:00Z"));
  // Arrest at 10:00 on Christmas Eve: 14h that day, Christmas Day skipped,
  // 10h on Boxing Day.
  EXPECT_EQ(d.After(T("2026-12-24T10:00:00Z"), calendars_), T("2026-12-26T10:00:00Z"));
}

TEST(TimePointTest, FormatsAndParsesRoundTrip) {
  EXPECT_EQ(FormatRfc3339(T("2026-03-01T14:05:00+01:00")), "2026-03-01T13:05:00Z");
  EXPECT_EQ(FormatRfc3339(T("2026-03-01T14:05:00.5Z")), "2026-03-01T14:05:00.500Z");
  EXPECT_FALSE(ParseDate("2026-02-29").has_value());
  EXPECT_TRUE(ParseDate("2028-02-29").has_value());
}

}  // namespace
}  // namespace convene::rules

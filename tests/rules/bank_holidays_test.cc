#include "rules/bank_holidays.h"

#include <gtest/gtest.h>

#include "rules/config_loader.h"
#include "rules/duration.h"
#include "rules/time_point.h"
#include "tests/support/temp_dir.h"

namespace convene::rules {
namespace {

std::set<std::string> Dates(const std::string& set, int year) {
  std::set<std::string> out;
  for (int64_t d : BankHolidays(set, year, year)) out.insert(FormatRfc3339(d * kMsPerDay).substr(0, 10));
  return out;
}

// As published by gov.uk and the Scottish Government.
TEST(BankHolidaysTest, EachNationsYearIsAsPublished) {
  EXPECT_EQ(Dates("england-and-wales", 2026),
            (std::set<std::string>{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
                                   "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"}));
  EXPECT_EQ(Dates("scotland", 2026),
            (std::set<std::string>{"2026-01-01", "2026-01-02", "2026-04-03", "2026-05-04",
                                   "2026-05-25", "2026-08-03", "2026-11-30", "2026-12-25",
                                   "2026-12-28"}));
  EXPECT_EQ(Dates("northern-ireland", 2026),
            (std::set<std::string>{"2026-01-01", "2026-03-17", "2026-04-03", "2026-04-06",
                                   "2026-05-04", "2026-05-25", "2026-07-13", "2026-08-31",
                                   "2026-12-25", "2026-12-28"}));
  // A year of proclamations: the spring holiday moved, a jubilee and a state funeral added.
  EXPECT_EQ(Dates("england-and-wales", 2022),
            (std::set<std::string>{"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02",
                                   "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19",
                                   "2022-12-26", "2022-12-27"}));
  EXPECT_EQ(Dates("scotland", 2022),
            (std::set<std::string>{"2022-01-03", "2022-01-04", "2022-04-15", "2022-05-02",
                                   "2022-06-02", "2022-06-03", "2022-08-01", "2022-09-19",
                                   "2022-11-30", "2022-12-26", "2022-12-27"}));
  EXPECT_TRUE(Dates("england-and-wales", 2020).count("2020-05-08"));   // VE Day, moved
  EXPECT_FALSE(Dates("england-and-wales", 2020).count("2020-05-04"));
  EXPECT_TRUE(Dates("england-and-wales", 2023).count("2023-05-08"));   // the coronation
  // Christmas on a Saturday: Monday and Tuesday; New Year's Day on a Saturday: Monday.
  EXPECT_TRUE(Dates("england-and-wales", 2027).count("2027-12-27"));
  EXPECT_TRUE(Dates("england-and-wales", 2027).count("2027-12-28"));
  EXPECT_TRUE(Dates("england-and-wales", 2028).count("2028-01-03"));
  EXPECT_EQ(Dates("england-and-wales", 2100).size(), 8u);  // every year, not only those listed
}

TEST(BankHolidaysTest, TenWorkingDaysOverChristmas2027EndOnTheSixthOfJanuary) {
  testing::TempDir dir;
  dir.Write("partners.yaml", "partners:\n  - {id: police, name: Police, share: [case]}\n");
  dir.Write("case_types.yaml",
            "case_types:\n  - {id: asb, opened_by: [asb.report], correlate_by: "
            "[event.location.uprn], stages: [reported]}\n");
  dir.Write("calendar.yaml",
            "timezone: Europe/London\ncalendars:\n  working-days: {closed: [saturday, sunday], "
            "holidays: [england-and-wales, 2027-12-29]}\n  explicit: {closed: [sunday], holidays: "
            "[2026-12-25]}\n  typo: {closed: [], holidays: [england-and-wale]}\n");
  LoadOptions options;
  options.coming_year = 2027;
  auto loaded = LoadRuleSet(dir.path(), options);
  auto* errors = std::get_if<std::vector<ConfigError>>(&loaded);
  ASSERT_TRUE(errors);
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_NE((*errors)[0].ToString().find("did you mean 'england-and-wales'?"), std::string::npos)
      << (*errors)[0].ToString();
  dir.Write("calendar.yaml",
            "timezone: Europe/London\ncalendars:\n  working-days: {closed: [saturday, sunday], "
            "holidays: [england-and-wales]}\n  explicit: {closed: [sunday], holidays: "
            "[2026-12-25]}\n");
  loaded = LoadRuleSet(dir.path(), options);
  auto* set = std::get_if<std::shared_ptr<const RuleSet>>(&loaded);
  ASSERT_TRUE(set);
  auto ten = ParseDuration("10 working days");
  ASSERT_TRUE(ten.ok());
  EXPECT_EQ(FormatRfc3339(ten->After(*ParseRfc3339("2027-12-20T10:00:00Z"), (*set)->calendars)),
            "2028-01-06T10:00:00Z");
  // An explicit calendar with nothing for the coming year is a warning.
  ASSERT_EQ((*set)->warnings.size(), 1u);
  EXPECT_NE((*set)->warnings[0].message.find("calendar 'explicit' lists no holidays in 2027"),
            std::string::npos)
      << (*set)->warnings[0].message;
}

}  // namespace
}  // namespace convene::rules

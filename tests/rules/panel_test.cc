#include "rules/panel.h"

#include <gtest/gtest.h>

#include "rules/config_loader.h"
#include "tests/support/temp_dir.h"

namespace convene::rules {
namespace {

TimeMs T(const char* s) { return *ParseRfc3339(s); }

class PanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("partners.yaml", "partners:\n  - {id: police}\n  - {id: idva}\n");
    dir_.Write("case_types.yaml", "case_types:\n  - {id: dv, stages: [assessed]}\n");
    dir_.Write("calendar.yaml",
               "timezone: Europe/London\ncalendars:\n"
               "  working-days: {closed: [saturday, sunday], holidays: [2026-04-03, 2026-04-06]}\n");
    dir_.Write("panels.yaml", R"(panels:
  - id: marac
    members: [police, idva]
    chair: police
    meets: {every: 2w, weekday: tuesday, from: 2026-01-06, at: "10:00"}
    cancelled: [2026-03-31]
    extra: [2026-04-09]
    cutoff: 8d
    research_due: 2 working days
)");
    auto r = LoadRuleSet(dir_.path());
    if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) {
      for (const auto& err : *e) ADD_FAILURE() << err.ToString();
      FAIL();
    }
    set_ = std::get<std::shared_ptr<const RuleSet>>(r);
    panel_ = set_->FindPanel("marac");
    ASSERT_NE(panel_, nullptr);
  }
  TimeMs Next(const char* t) { return panel_->NextMeeting(T(t), set_->calendars); }

  testing::TempDir dir_;
  std::shared_ptr<const RuleSet> set_;
  const Panel* panel_ = nullptr;
};

TEST_F(PanelTest, AReferralExactlyAtTheCutoffMakesTheMeeting) {
  // Tuesday 3 March 10:00 GMT, eight days before: 23 February 10:00.
  EXPECT_EQ(Next("2026-02-23T10:00:00Z"), T("2026-03-03T10:00:00Z"));
  EXPECT_EQ(Next("2026-02-23T10:00:01Z"), T("2026-03-17T10:00:00Z"));
}

TEST_F(PanelTest, MeetingsKeepLocalTimeAcrossTheClockChange) {
  // 17 March is GMT, 14 April is BST: 10:00 local is 09:00 UTC.
  EXPECT_EQ(Next("2026-03-01T00:00:00Z"), T("2026-03-17T10:00:00Z"));
  EXPECT_EQ(Next("2026-04-02T00:00:00Z"), T("2026-04-14T09:00:00Z"));
}

TEST_F(PanelTest, ACancelledMeetingIsSkippedAndAnExtraOneUsed) {
  // 31 March is cancelled; the extra meeting on Thursday 9 April comes first.
  EXPECT_EQ(Next("2026-03-20T00:00:00Z"), T("2026-04-09T09:00:00Z"));
  // Too late for the extra one: the regular meeting on 14 April.
  EXPECT_EQ(Next("2026-04-02T00:00:00Z"), T("2026-04-14T09:00:00Z"));
}

TEST_F(PanelTest, ResearchIsDueInWorkingDaysBeforeTheMeeting) {
  // Two working days before Tuesday 14 April: Monday 13 and Friday 10 April.
  EXPECT_EQ(panel_->research_due->Before(T("2026-04-14T09:00:00Z"), set_->calendars),
            T("2026-04-10T09:00:00Z"));
  // Before Tuesday 7 April, Easter Monday and Good Friday do not count:
  // Thursday 2 and Wednesday 1 April.
  EXPECT_EQ(panel_->research_due->Before(T("2026-04-07T09:00:00Z"), set_->calendars),
            T("2026-04-01T09:00:00Z"));
}

TEST_F(PanelTest, AnUnknownPanelInARuleIsAnErrorWithAHint) {
  dir_.Write("rules/dv.yaml", "rules:\n  - id: r\n    on: [dash.assessment]\n    then:\n      - refer: marc\n");
  auto r = LoadRuleSet(dir_.path());
  auto* e = std::get_if<std::vector<ConfigError>>(&r);
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)[0].ToString(), "rules/dv.yaml:5:16: unknown panel 'marc' (did you mean 'marac'?)");
}

TEST_F(PanelTest, TheMeetingAfterSkipsCancelledDaysAndTakesExtraOnes) {
  EXPECT_EQ(panel_->MeetingAfter(T("2026-03-03T10:00:00Z")), T("2026-03-17T10:00:00Z"));
  // 31 March is cancelled; the extra meeting on 9 April is next.
  EXPECT_EQ(panel_->MeetingAfter(T("2026-03-17T10:00:00Z")), T("2026-04-09T09:00:00Z"));
  EXPECT_EQ(panel_->MeetingAfter(T("2026-04-09T09:00:00Z")), T("2026-04-14T09:00:00Z"));
}

TEST_F(PanelTest, TheMeetingDayEndsAtLocalMidnight) {
  EXPECT_EQ(panel_->EndOfMeetingDay(T("2026-03-17T10:00:00Z")), T("2026-03-18T00:00:00Z"));
  // In summer time local midnight is 23:00 UTC.
  EXPECT_EQ(panel_->EndOfMeetingDay(T("2026-04-14T09:00:00Z")), T("2026-04-14T23:00:00Z"));
  EXPECT_EQ(panel_->DateOf(T("2026-04-14T23:30:00Z")), "2026-04-15");
}

// Writes panels.yaml with one panel meeting as `meets` says, and loads it.
class MonthlyPanelTest : public PanelTest {
 protected:
  std::variant<std::shared_ptr<const RuleSet>, std::vector<ConfigError>> Load(
      const std::string& meets, const std::string& more = "") {
    dir_.Write("panels.yaml", "panels:\n  - id: cn\n    members: [police]\n    chair: police\n"
                              "    meets: " + meets + "\n    cutoff: 7d\n" + more);
    return LoadRuleSet(dir_.path());
  }
  const Panel* Loaded(const std::string& meets) {
    auto r = Load(meets);
    if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) {
      for (const auto& err : *e) ADD_FAILURE() << err.ToString();
      return nullptr;
    }
    set_ = std::get<std::shared_ptr<const RuleSet>>(r);
    return set_->FindPanel("cn");
  }
};

TEST_F(MonthlyPanelTest, MeetsOnTheNthWeekdayOfEachMonth) {
  const Panel* p = Loaded("{every: 1mo, weekday: wednesday, week: second, from: 2026-01-01, at: \"10:00\"}");
  ASSERT_NE(p, nullptr);
  // Second Wednesdays: 14 January, 11 February, 11 March, 8 April (BST).
  EXPECT_EQ(p->NextMeeting(T("2026-01-01T00:00:00Z"), set_->calendars), T("2026-01-14T10:00:00Z"));
  EXPECT_EQ(p->NextMeeting(T("2026-01-07T10:00:01Z"), set_->calendars), T("2026-02-11T10:00:00Z"));
  EXPECT_EQ(p->MeetingAfter(T("2026-03-11T10:00:00Z")), T("2026-04-08T09:00:00Z"));
}

TEST_F(MonthlyPanelTest, TheLastWeekdayOfTheMonth) {
  const Panel* p = Loaded("{every: 1mo, weekday: friday, week: last, from: 2026-01-01, at: \"09:30\"}");
  ASSERT_NE(p, nullptr);
  // Last Fridays: 30 January, 27 February, 27 March.
  EXPECT_EQ(p->MeetingAfter(T("2026-01-30T09:30:00Z")), T("2026-02-27T09:30:00Z"));
  EXPECT_EQ(p->MeetingAfter(T("2026-02-27T09:30:00Z")), T("2026-03-27T09:30:00Z"));
}

TEST_F(MonthlyPanelTest, MistakesInMeetsAndMaxCasesAreNamed) {
  auto r = Load("{every: 2w, weekday: tuesday, week: second, from: 2026-01-06}", "    max_cases: lots\n");
  auto* e = std::get_if<std::vector<ConfigError>>(&r);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[0].ToString(), "panels.yaml:5:48: week: only for monthly meetings (every: 1mo)");
  EXPECT_EQ((*e)[1].ToString(),
            "panels.yaml:7:16: max_cases: how many cases one meeting can hear, e.g. 20");
  r = Load("{every: 1mo, weekday: tuesday, week: fifth, from: 2026-01-06}");
  e = std::get_if<std::vector<ConfigError>>(&r);
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)[0].ToString(),
            "panels.yaml:5:49: week: one of first, second, third, fourth, last, e.g. week: second");
}

}  // namespace
}  // namespace convene::rules

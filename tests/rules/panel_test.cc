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

}  // namespace
}  // namespace convene::rules

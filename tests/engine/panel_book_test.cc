// The agenda as the chair reads it, built from a store the real engine wrote.
#include "engine/panel_book.h"

#include <gtest/gtest.h>

#include "policy/event_time_run.h"
#include "rules/config_loader.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

class PanelBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = rules::LoadRuleSet(CONVENE_CONFIG_DIR);
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const rules::RuleSet>>(r));
    rules_ = std::get<std::shared_ptr<const rules::RuleSet>>(r);
    auto run = policy::EventTimeRun::Open(rules_, scratch_.path() / "store");
    ASSERT_TRUE(run.ok()) << run.status().message();
    run_ = std::move(*run);
    marac_ = rules_->FindPanel("marac");
    ASSERT_NE(marac_, nullptr);
  }
  void Dash(const std::string& id, const std::string& at, const std::string& victim, int score) {
    auto ok = run_->Apply(R"({"id":")" + id + R"(","type":"dash.assessment","occurred_at":")" + at +
                          R"(","source":"police","subjects":[{"id":"person:)" + victim +
                          R"(","role":"victim"},{"id":"person:X-)" + victim +
                          R"(","role":"perpetrator"}],"location":{"postcode":"SG1 1AA","uprn":"1"},)"
                          R"("data":{"yes_count":)" + std::to_string(score) +
                          R"(,"visible_high_risk":false,"police_callouts_12m":0}})");
    ASSERT_TRUE(ok.ok() && *ok) << id;
  }
  std::string Agenda(const char* date) {
    auto meetings = *ReadMeetings(*run_->store(), "marac");
    auto it = meetings.find(marac_->MeetingAt(*ParseDate(date) / kMsPerDay));
    if (it == meetings.end()) return "(no meeting " + std::string(date) + ")";
    auto agenda = FormatAgenda(*run_->store(), *rules_, *marac_, it->second);
    return agenda.ok() ? *agenda : agenda.status().message();
  }

  testing::TempDir scratch_;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::unique_ptr<policy::EventTimeRun> run_;
  const rules::Panel* marac_ = nullptr;
};

TEST_F(PanelBookTest, AnAgendaListsEachCaseWithWhatTheChairMaySee) {
  Dash("d1", "2026-03-02T10:00:00Z", "V1", 16);
  Dash("d2", "2026-03-04T09:00:00Z", "V2", 19);
  std::string agenda = Agenda("2026-03-17");
  EXPECT_NE(agenda.find("Tuesday 17 March 2026, 10:00 (Europe/London)"), std::string::npos) << agenda;
  EXPECT_NE(agenda.find("Referrals: by Monday 9 March 2026, 10:00 (cutoff 8d)"), std::string::npos);
  EXPECT_NE(agenda.find("Research:  by Friday 13 March 2026, 10:00"), std::string::npos);
  EXPECT_NE(agenda.find("Cases:     2 of at most 25"), std::string::npos);
  // In the order referred, each with its risk and the subjects the police may see.
  size_t first = agenda.find("1. dv-000001  dv  stage high-risk  risk high");
  size_t second = agenda.find("2. dv-000002");
  ASSERT_NE(first, std::string::npos) << agenda;
  ASSERT_NE(second, std::string::npos) << agenda;
  EXPECT_LT(first, second);
  EXPECT_NE(agenda.find("subjects: person:V1 (victim), person:X-V1 (perpetrator)"), std::string::npos)
      << agenda;
  EXPECT_NE(agenda.find("Research: adult-social-care open, childrens-social-care open"),
            std::string::npos);
  EXPECT_EQ(agenda.find("REPEAT"), std::string::npos);
}

TEST_F(PanelBookTest, ARolledCaseShowsWhereItCameFromAndWhereItWent) {
  Dash("d1", "2026-03-02T10:00:00Z", "V1", 16);
  ASSERT_TRUE(run_->Apply(R"({"id":"k1","type":"panel.cancelled","occurred_at":"2026-03-16T09:00:00Z",)"
                          R"("source":"police","data":{"panel":"marac","meeting":"2026-03-17"}})").ok());
  run_->MoveClockTo(*ParseRfc3339("2026-03-19T00:00:00Z"));
  std::string first = Agenda("2026-03-17");
  EXPECT_NE(first.find("No cases on this agenda."), std::string::npos) << first;
  EXPECT_NE(first.find("Not heard here, rolled on:\n  dv-000001 to 2026-03-31"), std::string::npos)
      << first;
  std::string next = Agenda("2026-03-31");
  EXPECT_NE(next.find("Rolled from 2026-03-17 (1 time)"), std::string::npos) << next;
  EXPECT_NE(next.find("Outcome: not yet recorded"), std::string::npos);
  MeetingCounts n = *CountMeeting(*run_->store(), *marac_,
                                  ReadMeetings(*run_->store(), "marac")->rbegin()->second);
  EXPECT_EQ(n.cases, 1);
  EXPECT_EQ(n.rolled_in, 1);
  EXPECT_EQ(n.outcomes, 0);
}

TEST_F(PanelBookTest, ARepeatReferralIsMarkedAndAHeldMeetingShowsWhoCame) {
  Dash("d1", "2026-03-02T10:00:00Z", "V1", 16);
  ASSERT_TRUE(run_->Apply(R"({"id":"o1","type":"panel.outcome","occurred_at":"2026-03-17T14:00:00Z",)"
                          R"("source":"police","data":{"panel":"marac","meeting":"2026-03-17",)"
                          R"("case_id":"dv-000001","actions":[]}})").ok());
  ASSERT_TRUE(run_->Apply(R"({"id":"h1","type":"panel.held","occurred_at":"2026-03-17T13:00:00Z",)"
                          R"("source":"police","data":{"panel":"marac","meeting":"2026-03-17",)"
                          R"("attendees":["police","idva","housing"]}})").ok());
  Dash("d2", "2026-05-01T10:00:00Z", "V1", 18);
  std::string heard = Agenda("2026-03-17");
  EXPECT_NE(heard.find("Outcome: recorded"), std::string::npos) << heard;
  EXPECT_NE(heard.find("Held:\n  attendees: housing, idva, police\n  missing: childrens-social-care"),
            std::string::npos)
      << heard;
  std::string again = Agenda("2026-05-12");
  EXPECT_NE(again.find("1. dv-000001"), std::string::npos) << again;
  EXPECT_NE(again.find("REPEAT REFERRAL"), std::string::npos) << again;
  EXPECT_NE(again.find("(1 repeat)"), std::string::npos);
}

}  // namespace
}  // namespace convene::engine

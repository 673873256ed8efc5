#include "policy/rules_replay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "rules/config_loader.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace convene::policy {
namespace {

std::shared_ptr<const rules::RuleSet> Load(const std::filesystem::path& dir) {
  auto r = rules::LoadRuleSet(dir);
  if (auto* e = std::get_if<std::vector<rules::ConfigError>>(&r)) {
    for (const auto& err : *e) ADD_FAILURE() << err.ToString();
    return nullptr;
  }
  return std::get<std::shared_ptr<const rules::RuleSet>>(r);
}

std::vector<std::string> SampleEvents() {
  return testing::Lines(testing::ReadFile(std::string(CONVENE_CONFIG_DIR) + "/samples/events.jsonl"));
}

TEST(RulesReplayTest, TheSameRulesChangeNothing) {
  auto rules = Load(CONVENE_CONFIG_DIR);
  ASSERT_TRUE(rules);
  testing::TempDir scratch;
  auto report = ReplayRules(rules, rules, SampleEvents(), scratch.path());
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_GT(report->from_tasks, 100u);
  EXPECT_EQ(report->from_tasks, report->to_tasks);
  EXPECT_FALSE(report->changed());
  EXPECT_TRUE(report->stages.empty());
  // Every rule is there, with how often it fired, the same before and after.
  const RuleChange* threshold = report->Find("asb-case-review-threshold");
  ASSERT_NE(threshold, nullptr);
  EXPECT_GT(threshold->fired_to, 0u);
  EXPECT_EQ(threshold->fired_from, threshold->fired_to);
  EXPECT_TRUE(threshold->cases.empty());
  EXPECT_TRUE(threshold->never.empty());
}

TEST(RulesReplayTest, LoweringTheCaseReviewThresholdShowsWhatItWouldHaveChanged) {
  testing::TempDir lowered;
  std::filesystem::copy(CONVENE_CONFIG_DIR, lowered.path(), std::filesystem::copy_options::recursive);
  std::string path = lowered.Sub("rules/asb.yaml");
  std::string text = testing::ReadFile(path);
  std::ofstream(path, std::ios::trunc) << std::regex_replace(
      text, std::regex(R"(("6mo"\) >= )3)"), "$012");
  auto from = Load(CONVENE_CONFIG_DIR);
  auto to = Load(lowered.path());
  ASSERT_TRUE(from && to);
  ASSERT_NE(from->version, to->version);
  testing::TempDir scratch;
  auto report = ReplayRules(from, to, SampleEvents(), scratch.path());
  ASSERT_TRUE(report.ok()) << report.status().message();
  const RuleChange* change = report->Find("asb-case-review-threshold");
  ASSERT_NE(change, nullptr);
  EXPECT_GT(change->fired_to, change->fired_from);
  EXPECT_FALSE(change->cases.empty());
  // The cases with where they are: the shipped config shares postcodes and wards.
  const auto& place = report->places.at(change->cases.front());
  EXPECT_FALSE(place.postcode.empty());
  EXPECT_FALSE(place.ward.empty());
  EXPECT_GT(change->tasks_by_partner.at("council-asb").second,
            change->tasks_by_partner.at("council-asb").first);
  const RuleDiff& diff = change->tasks;
  EXPECT_GT(diff.added.size(), 0u);   // cases that would now have a Case Review
  EXPECT_GT(diff.moved.size(), 0u);   // Case Reviews that would have come one incident sooner
  EXPECT_TRUE(diff.removed.empty());  // a lower threshold never removes one
  EXPECT_GT(report->to_tasks, report->from_tasks);
  EXPECT_FALSE(report->stages.empty());
  for (const auto& s : report->stages) EXPECT_EQ(s.to_stage, "case-review") << s.case_id;
}

// Many events to a batch (ApplyAll, as replays run) give exactly what one
// event to a batch gives: the same tasks, due at the same times, in the same
// order, and the same rejects.
TEST(RulesReplayTest, ApplyingManyToABatchGivesWhatOneAtATimeGives) {
  auto rules = Load(CONVENE_CONFIG_DIR);
  ASSERT_TRUE(rules);
  std::vector<std::string> events = SampleEvents();
  testing::TempDir scratch;
  auto one = EventTimeRun::Open(rules, scratch.Sub("one"));
  auto many = EventTimeRun::Open(rules, scratch.Sub("many"));
  ASSERT_TRUE(one.ok() && many.ok());
  for (const auto& e : events) ASSERT_TRUE((*one)->Apply(e).ok());
  ASSERT_TRUE((*many)->ApplyAll(events).ok());
  const auto& a = (*one)->tasks();
  const auto& b = (*many)->tasks();
  ASSERT_GT(a.size(), 100u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << i;
    EXPECT_EQ(a[i].due_at, b[i].due_at) << a[i].id;
    EXPECT_EQ(a[i].title, b[i].title) << a[i].id;
  }
  EXPECT_EQ((*one)->dead_letters(), (*many)->dead_letters());
  EXPECT_GT((*one)->dead_letters(), 0);
  ASSERT_EQ((*one)->firings().size(), (*many)->firings().size());
}

// A proposed rule that matches nothing is named, with why: the officer's typo
// in a type, and a condition no event meets.
TEST(RulesReplayTest, ARuleThatFiresOnNoEventIsNamedWithWhy) {
  testing::TempDir proposed;
  std::filesystem::copy(CONVENE_CONFIG_DIR, proposed.path(), std::filesystem::copy_options::recursive);
  std::ofstream(proposed.Sub("rules/new.yaml")) << R"(rules:
  - id: noise-at-night
    on: [asb.reprot]
    case: asb
    then:
      - flag: night
  - id: twenty-reports
    on: [asb.report]
    case: asb
    when: count("asb.report", "1mo") >= 20
    then:
      - flag: twenty
)";
  auto from = Load(CONVENE_CONFIG_DIR);
  auto to = Load(proposed.path());
  ASSERT_TRUE(from && to);
  testing::TempDir scratch;
  auto report = ReplayRules(from, to, SampleEvents(), scratch.path());
  ASSERT_TRUE(report.ok()) << report.status().message();
  const RuleChange* typo = report->Find("noise-at-night");
  ASSERT_NE(typo, nullptr);
  EXPECT_TRUE(typo->in_to && !typo->in_from);
  EXPECT_EQ(typo->fired_to, 0u);
  EXPECT_EQ(typo->never, "no event of its types (asb.reprot) is among these events");
  const RuleChange* high = report->Find("twenty-reports");
  ASSERT_NE(high, nullptr);
  EXPECT_NE(high->never.find("its condition never held on the "), std::string::npos) << high->never;
  EXPECT_NE(high->never.find("events of its types (asb.report) on asb cases"), std::string::npos)
      << high->never;
  // The rules in force are unchanged by the two.
  const RuleChange* threshold = report->Find("asb-case-review-threshold");
  ASSERT_NE(threshold, nullptr);
  EXPECT_FALSE(threshold->changed());
}

}  // namespace
}  // namespace convene::policy

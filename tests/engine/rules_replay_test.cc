#include "engine/rules_replay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "rules/config_loader.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
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
  EXPECT_TRUE(report->by_rule.empty());
  EXPECT_TRUE(report->stages.empty());
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
  ASSERT_TRUE(report->by_rule.count("asb-case-review-threshold"));
  const RuleDiff& diff = report->by_rule.at("asb-case-review-threshold");
  EXPECT_GT(diff.added.size(), 0u);   // cases that would now have a Case Review
  EXPECT_GT(diff.moved.size(), 0u);   // Case Reviews that would have come one incident sooner
  EXPECT_TRUE(diff.removed.empty());  // a lower threshold never removes one
  EXPECT_GT(report->to_tasks, report->from_tasks);
  EXPECT_FALSE(report->stages.empty());
  for (const auto& s : report->stages) EXPECT_EQ(s.to_stage, "case-review") << s.case_id;
}

}  // namespace
}  // namespace convene::engine

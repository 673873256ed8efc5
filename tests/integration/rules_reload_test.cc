// Live reload: a policy officer lowers a threshold in a running engine and the
// next events are judged by the new value; a broken edit is refused whole and
// the engine carries on with the rules it had.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "connectors/kafka_message_sink.h"
#include "connectors/topic_reader.h"
#include "rules/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/engine_host.h"

namespace convene {
namespace {

std::string Report(const std::string& id, const std::string& uprn, const std::string& ref,
                   const std::string& when) {
  return R"({"id":")" + id + R"(","type":"asb.report","occurred_at":")" + when +
         R"(","source":"police","location":{"uprn":")" + uprn +
         R"(","postcode":"SG1 1AA","ward":"Bedwell"},"data":{"category":"nuisance","incident_ref":")" +
         ref + R"("}})";
}

// rule id and rules_version of each council-asb task for `case_id`.
std::vector<std::pair<std::string, std::string>> ThresholdTasks(const std::string& bootstrap) {
  std::vector<std::pair<std::string, std::string>> out;
  auto tasks = connectors::ReadTopic(bootstrap, "convene.tasks.council-asb", std::chrono::seconds(10));
  if (!tasks.ok()) return out;
  for (const auto& t : *tasks) {
    rapidjson::Document d;
    d.Parse(t.c_str());
    if (json::GetString(d, "rule") == "asb-case-review-threshold" &&
        json::GetString(d, "kind") == "action") {
      out.emplace_back(std::string(json::GetString(d, "case_id")),
                       std::string(json::GetString(d, "rules_version")));
    }
  }
  return out;
}

TEST(RulesReloadTest, ALoweredThresholdAppliesToTheNextEventsAndABrokenEditIsRefused) {
  testing::TempDir config;
  std::filesystem::copy(CONVENE_CONFIG_DIR, config.path(),
                        std::filesystem::copy_options::recursive);
  auto rules = tools::LoadRulesOrReport(config.path().string(), "convene.");
  ASSERT_TRUE(rules);
  const std::string v1 = rules->version;
  auto broker = tools::StartEmbeddedBroker(rules.get(), "convene.");
  ASSERT_TRUE(broker.ok());
  testing::TempDir data;
  tools::EngineHost::Options options;
  options.data_dir = data.path().string();
  options.bootstrap = (*broker)->bootstrap();
  options.watch_config = config.path().string();
  auto host = tools::EngineHost::Start(options, rules);
  ASSERT_TRUE(host.ok());
  int64_t sent = 0;
  auto send = [&](std::vector<std::string> events) {
    ASSERT_TRUE(connectors::ProduceAll((*broker)->bootstrap(), "convene.events", events).ok());
    sent += static_cast<int64_t>(events.size());
    ASSERT_TRUE(testing::WaitFor([&] { return (*host)->CaughtUp(sent); }, std::chrono::seconds(60)));
  };

  // Two incidents at address A: below the shipped threshold of three.
  send({Report("a1", "A", "A-1", "2026-03-02T10:00:00Z"),
        Report("a2", "A", "A-2", "2026-03-09T10:00:00Z")});
  EXPECT_TRUE(ThresholdTasks((*broker)->bootstrap()).empty());

  // The policy officer lowers the threshold to two.
  std::string path = config.Sub("rules/asb.yaml");
  std::string text = testing::ReadFile(path);
  std::string lowered = std::regex_replace(
      text, std::regex(R"(distinct\("asb.report", "event.data.incident_ref", "6mo"\) >= 3)"),
      R"(distinct("asb.report", "event.data.incident_ref", "6mo") >= 2)");
  ASSERT_NE(lowered, text);
  std::ofstream(path, std::ios::trunc) << lowered;
  ASSERT_TRUE(testing::WaitFor([&] { return (*host)->engine()->rules()->version != v1; },
                               std::chrono::seconds(10)));
  const std::string v2 = (*host)->engine()->rules()->version;

  // Two incidents at address B now meet it, judged by the new rules.
  send({Report("b1", "B", "B-1", "2026-04-02T10:00:00Z"),
        Report("b2", "B", "B-2", "2026-04-09T10:00:00Z")});
  auto fired = ThresholdTasks((*broker)->bootstrap());
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].second, v2);

  // A broken edit is refused whole: the engine keeps the lowered rules.
  std::ofstream(path, std::ios::trunc) << lowered << "\n  - id: broken\n    on: [asb.report]\n"
                                       << "    when: count(\n    then: [{flag: x}]\n";
  std::this_thread::sleep_for(std::chrono::seconds(2));  // several watch intervals
  EXPECT_EQ((*host)->engine()->rules()->version, v2);
  send({Report("c1", "C", "C-1", "2026-05-02T10:00:00Z"),
        Report("c2", "C", "C-2", "2026-05-09T10:00:00Z")});
  fired = ThresholdTasks((*broker)->bootstrap());
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[1].second, v2);
  EXPECT_TRUE((*host)->Stop(std::chrono::seconds(5)).ok());
}

}  // namespace
}  // namespace convene

// The engine in-process with the embedded broker: events in through Kafka,
// tasks and dead letters out through Kafka, read back by a plain consumer.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "connectors/embedded_broker.h"
#include "connectors/kafka_event_source.h"
#include "connectors/kafka_message_sink.h"
#include "connectors/topic_reader.h"
#include "rules/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/engine_host.h"

namespace convene {
namespace {

std::string Asb(const std::string& id, const std::string& when, const std::string& ref,
                const std::string& source = "police") {
  return R"({"id":")" + id + R"(","type":"asb.report","occurred_at":")" + when +
         R"(","source":")" + source +
         R"(","subjects":[{"id":"person:P-1","role":"perpetrator"},{"id":"person:R-1","role":"reporter"}],)"
         R"("location":{"uprn":"100080012345","postcode":"SG1 1AA","ward":"Bedwell"},)"
         R"("data":{"category":"nuisance","incident_ref":")" + ref + R"(","tenancy_ref":"TEN-1"}})";
}

// librdkafka calls the rebalance callback from inside consume(): an exception
// thrown there would cross C code and end the process. It must be caught, and
// the partitions left unassigned rather than read from a wrong position.
TEST(EmbeddedEngineTest, AFailureWhilePositioningPartitionsNeverEndsTheProcess) {
  auto broker = connectors::EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok());
  ASSERT_TRUE((*broker)->CreateTopic("convene.events", 1).ok());
  std::atomic<int> asked{0};
  auto source = connectors::KafkaEventSource::Open(
      (*broker)->bootstrap(), "convene.events", "rebalance-test",
      [&](const std::string&, int32_t) -> std::optional<int64_t> {
        ++asked;
        throw std::runtime_error("the store could not be read");
      });
  ASSERT_TRUE(source.ok()) << source.status().message();
  std::vector<connectors::InputRecord> records;
  Status polled;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (polled.ok() && std::chrono::steady_clock::now() < deadline) {
    polled = (*source)->Poll(&records, 10, std::chrono::milliseconds(100));
  }
  EXPECT_GT(asked.load(), 0);  // the callback ran, and the process is still here
  // The engine is told, and stops with the reason, rather than wait for ever.
  ASSERT_FALSE(polled.ok());
  EXPECT_NE(polled.message().find("could not be positioned: the store could not be read"),
            std::string::npos)
      << polled.message();
  EXPECT_FALSE((*source)->Ready());
  EXPECT_TRUE(records.empty());
}

TEST(EmbeddedEngineTest, EventsBecomeTasksAndRejectsBecomeDeadLetters) {
  auto rules = tools::LoadRulesOrReport(CONVENE_CONFIG_DIR, "convene.");
  ASSERT_TRUE(rules);
  auto broker = tools::StartEmbeddedBroker(rules.get(), "convene.");
  ASSERT_TRUE(broker.ok()) << broker.status().message();
  testing::TempDir data;
  tools::EngineHost::Options options;
  options.data_dir = data.path().string();
  options.bootstrap = (*broker)->bootstrap();
  auto host = tools::EngineHost::Start(options, rules);
  ASSERT_TRUE(host.ok()) << host.status().message();

  std::vector<std::string> events = {
      Asb("police:1", "2026-03-02T10:00:00Z", "INC-1"),
      Asb("housing:1", "2026-03-02T12:00:00Z", "INC-1", "housing"),  // the same incident
      "{\"id\": \"broken",                                            // cut short
      Asb("police:2", "2026-03-20T10:00:00Z", "INC-2"),
      Asb("police:3", "2026-04-15T10:00:00Z", "INC-3"),
  };
  ASSERT_TRUE(connectors::ProduceAll((*broker)->bootstrap(), "convene.events", events).ok());
  ASSERT_TRUE(testing::WaitFor([&] { return (*host)->CaughtUp(5); }, std::chrono::seconds(60)));

  auto tasks = connectors::ReadTopic((*broker)->bootstrap(), "convene.tasks.council-asb",
                                     std::chrono::seconds(10));
  ASSERT_TRUE(tasks.ok());
  std::vector<std::string> rules_fired;
  for (const auto& t : *tasks) {
    rapidjson::Document d;
    d.Parse(t.c_str());
    ASSERT_TRUE(d.IsObject()) << t;
    if (json::GetString(d, "kind") == "action") rules_fired.emplace_back(json::GetString(d, "rule"));
    EXPECT_EQ(json::GetString(d, "case_id"), "asb-000001");
  }
  // Second distinct incident, then the third: the threshold fires once, on police:3.
  EXPECT_EQ(rules_fired,
            (std::vector<std::string>{"asb-second-report", "asb-case-review-threshold"}));

  auto dead = connectors::ReadTopic((*broker)->bootstrap(), "convene.dead-letter",
                                    std::chrono::seconds(10));
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  rapidjson::Document d;
  d.Parse((*dead)[0].c_str());
  EXPECT_EQ(json::GetInt(d, "offset"), 2);
  EXPECT_EQ(json::GetString(d, "original"), "{\"id\": \"broken");
  EXPECT_NE(std::string(json::GetString(d, "reason")).find("not valid JSON"), std::string::npos);

  auto updates = connectors::ReadTopic((*broker)->bootstrap(), "convene.case-updates",
                                       std::chrono::seconds(10));
  ASSERT_TRUE(updates.ok());
  EXPECT_FALSE(updates->empty());
  EXPECT_TRUE((*host)->Stop(std::chrono::seconds(5)).ok());
}

}  // namespace
}  // namespace convene

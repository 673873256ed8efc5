// The same events must make the same tasks however they are batched and
// however often the engine is stopped and reopened on its store: what the
// crash test checks with real processes, here fast and with every variation.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "engine/engine.h"
#include "rules/config_loader.h"
#include "rules/json.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

// Reports at `addresses` addresses over five months (the crash test's stream):
// most reach the ASB Case Review threshold, so panels refer, roll and agenda.
std::vector<std::string> Stream(int addresses) {
  std::vector<std::string> lines;
  const int events = addresses * 8;
  for (int i = 0; i < events; ++i) {
    int address = i % addresses;
    int n = i / addresses;
    int ref = (n == 3 && address % 3 == 0) ? n - 1 : n;
    char when[32];
    std::snprintf(when, sizeof when, "2026-%02d-%02dT%02d:%02d:00Z", 1 + n * 5 / 8,
                  1 + address % 27, 8 + address % 12, i % 60);
    lines.push_back(R"({"id":"police:S-)" + std::to_string(i) +
                    R"(","type":"asb.report","occurred_at":")" + when +
                    R"(","source":"police","subjects":[{"id":"person:P-)" + std::to_string(address) +
                    R"(","role":"perpetrator"}],"location":{"uprn":")" +
                    std::to_string(100000 + address) + R"(","postcode":"SG1 1AA","ward":"Bedwell"},)"
                    R"("data":{"category":"nuisance","incident_ref":"A)" + std::to_string(address) +
                    "-" + std::to_string(ref) + R"("}})");
  }
  return lines;
}

// Runs `lines` through an engine in batches of `batch`, reopening the engine
// on its store every `reopen_every` batches (0: never), firing due timers
// between batches as the engine loop does. Returns the task ids made.
std::set<std::string> TaskIdsOf(const std::vector<std::string>& lines, size_t batch,
                                int reopen_every) {
  auto loaded = rules::LoadRuleSet(CONVENE_CONFIG_DIR);
  auto rules = std::get<std::shared_ptr<const rules::RuleSet>>(loaded);
  testing::TempDir dir;
  auto store = CaseStore::Open(dir.path() / "store");
  EXPECT_TRUE(store.ok());
  ManualClock clock(*ParseRfc3339("2026-11-26T12:00:00Z"));
  EngineOptions options;
  options.sync = false;
  std::unique_ptr<Engine> engine;
  auto open = [&] {
    engine.reset();
    auto e = Engine::Open(store->get(), rules, &clock, options);
    EXPECT_TRUE(e.ok());
    engine = std::move(*e);
  };
  open();
  int batches = 0;
  for (size_t start = 0; start < lines.size(); start += batch) {
    std::vector<connectors::InputRecord> records;
    for (size_t i = start; i < std::min(lines.size(), start + batch); ++i) {
      records.push_back({"convene.events", 0, static_cast<int64_t>(i), "", lines[i]});
    }
    EXPECT_TRUE(engine->ProcessBatch(records).ok());
    while (*engine->FireDueTimers() > 0) {
    }
    if (reopen_every > 0 && ++batches % reopen_every == 0) open();
  }
  std::set<std::string> ids;
  EXPECT_TRUE((*store)->Scan(Family::kOutbox, "", [&](std::string_view, std::string_view v) {
    OutboxMessage m;
    if (OutboxMessage::Decode(v, &m) && m.topic.rfind("convene.tasks.", 0) == 0) ids.insert(m.key);
    return true;
  }).ok());
  engine.reset();
  return ids;
}

TEST(DeterminismTest, BatchingAndReopeningChangeNoTask) {
  auto lines = Stream(300);
  std::set<std::string> one_batch = TaskIdsOf(lines, lines.size(), 0);
  EXPECT_GT(one_batch.size(), 500u);
  EXPECT_EQ(TaskIdsOf(lines, 1, 0), one_batch);
  EXPECT_EQ(TaskIdsOf(lines, 97, 0), one_batch);
  EXPECT_EQ(TaskIdsOf(lines, 97, 3), one_batch);
  EXPECT_EQ(TaskIdsOf(lines, 13, 1), one_batch);
}

}  // namespace
}  // namespace convene::engine

// Crash safety as a user would meet it: the engine is killed with SIGKILL
// several times in the middle of a stream and restarted on the same --data and
// broker. The tasks it publishes must be exactly those of an uninterrupted run
// (by task_id; a repeat delivery is allowed), and no case may hold an event twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <map>
#include <random>
#include <set>

#include "engine/case_record.h"
#include "engine/case_store.h"
#include "rules/json.h"
#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

// The embedded broker keeps about 5 MiB per partition (decision 0003): the
// whole stream (~2.2 MiB) must fit, as it is produced before the engine starts,
// and so must each partner's queue, repeats after the kills included (checked
// below: the busiest queue, the community safety manager's, holds ~3 MiB).
constexpr int kAddresses = 800;
constexpr int kEvents = kAddresses * 8;
const std::vector<std::string> kPartners = {"council-asb", "community-safety-manager", "police",
                                            "housing"};

// Eight reports at each address over five months; most addresses reach the Case
// Review threshold, some incidents are reported twice, some events repeat.
std::vector<std::string> Stream() {
  std::mt19937 rng(7);
  std::vector<std::string> lines;
  for (int i = 0; i < kEvents; ++i) {
    int address = i % kAddresses;
    int n = i / kAddresses;
    int ref = (n == 3 && address % 3 == 0) ? n - 1 : n;  // a second report of one incident
    char when[32];
    std::snprintf(when, sizeof when, "2026-%02d-%02dT%02d:%02d:00Z", 1 + n * 5 / 8, 1 + address % 27,
                  8 + address % 12, i % 60);
    std::string id = "police:S-" + std::to_string(i);
    std::string json = R"({"id":")" + id + R"(","type":"asb.report","occurred_at":")" + when +
                       R"(","source":"police","subjects":[{"id":"person:P-)" +
                       std::to_string(address) + R"(","role":"perpetrator"}],"location":{"uprn":")" +
                       std::to_string(100000 + address) + R"(","postcode":"SG1 1AA","ward":"Bedwell"},)"
                       R"("data":{"category":"nuisance","incident_ref":"A)" +
                       std::to_string(address) + "-" + std::to_string(ref) + R"("}})";
    lines.push_back(id + "\t" + json);
    if (rng() % 50 == 0) lines.push_back(id + "\t" + json);  // delivered twice upstream
  }
  return lines;
}

// Task ids on the partners' queues; `rolled` counts the panel roll-over tasks
// (cases with no outcome by the end of their meeting day), which run on timers.
// `titles` (if given) gets each task's case and title, to say which differ.
std::multiset<std::string> TaskIds(const std::string& bootstrap, size_t* rolled = nullptr,
                                   std::map<std::string, std::string>* titles = nullptr) {
  std::multiset<std::string> ids;
  for (const auto& p : kPartners) {
    size_t bytes = 0;
    auto tasks = KcatConsume(bootstrap, "convene.tasks." + p);
    for (const auto& t : tasks) bytes += t.size();
    // Beyond about 5 MiB the embedded broker drops the oldest messages, and
    // the comparison would be of what the broker kept, not of what was made.
    EXPECT_LT(bytes, 4u << 20) << "convene.tasks." << p << " holds " << bytes
                               << " bytes: too near what the embedded broker keeps";
    for (const auto& t : tasks) {
      rapidjson::Document d;
      d.Parse(t.c_str());
      std::string id(json::GetString(d, "task_id"));
      ids.insert(id);
      if (rolled && json::GetString(d, "title").find("Record the outcome") == 0) ++*rolled;
      if (titles) {
        (*titles)[id] = std::string(json::GetString(d, "case_id")) + ": " +
                        std::string(json::GetString(d, "title")) + " [" +
                        std::string(json::GetString(d, "trigger_event")) + "]";
      }
    }
  }
  return ids;
}

// The ids in a keyed stream ("id\tjson").
std::set<std::string> StreamIds(const std::vector<std::string>& stream) {
  std::set<std::string> ids;
  for (const auto& line : stream) ids.insert(line.substr(0, line.find('\t')));
  return ids;
}

// case id -> its timeline of event ids, checking no case holds an event twice.
std::map<std::string, std::vector<std::string>> Timelines(const std::string& data_dir) {
  std::map<std::string, std::vector<std::string>> out;
  auto store = engine::CaseStore::Open(data_dir, true);
  EXPECT_TRUE(store.ok());
  if (!store.ok()) return out;
  EXPECT_TRUE((*store)->Scan(engine::Family::kCases, "", [&](std::string_view k, std::string_view v) {
    auto c = engine::CaseRecord::Parse(v);
    EXPECT_TRUE(c.ok());
    std::set<std::string> seen;
    auto& ids = out[std::string(k)];
    for (const auto& e : c->timeline) {
      EXPECT_TRUE(seen.insert(e.event_id).second) << k << " holds " << e.event_id << " twice";
      ids.push_back(e.event_id);
    }
    return true;
  }).ok());
  return out;
}

bool CaughtUp(const std::string& data, int64_t end) {
  Progress p = ReadProgress(data);
  return p.next_offset >= end && p.outbox_empty;
}

// `convene run` against `bootstrap` with state in `data`, in small batches so
// that kills land between them.
std::vector<std::string> RunCommand(const std::string& bootstrap, const std::string& data) {
  std::vector<std::string> command = EngineCommand(bootstrap, data);
  command.insert(command.end(), {"--batch-size", "100"});
  return command;
}

// Runs the engine until everything up to `end` is applied and delivered, then
// stops it cleanly.
void RunToEnd(const std::string& bootstrap, const std::string& data, int64_t end,
              const std::string& log) {
  Process run(RunCommand(bootstrap, data), log);
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(data, end); }, std::chrono::seconds(120)))
      << run.Stderr();
  run.Signal(SIGTERM);
  ASSERT_EQ(run.Wait(std::chrono::seconds(30)), 0);
}

TEST(CrashTest, KillNineMidStreamLosesNothingAndAppliesNothingTwice) {
  TempDir dir;
  std::vector<std::string> stream = Stream();
  const int64_t end = static_cast<int64_t>(stream.size());

  // The reference: one uninterrupted run.
  BrokerProcess broker_a(dir, "broker-a");
  ASSERT_TRUE(broker_a.ok());
  ASSERT_EQ(KcatProduce(broker_a.bootstrap(), "convene.events", stream, dir), 0);
  std::string data_a = dir.Sub("data-a");
  RunToEnd(broker_a.bootstrap(), data_a, end, dir.Sub("run-a"));
  if (HasFatalFailure()) return;

  // The same stream, killed with SIGKILL at arbitrary points along the way.
  BrokerProcess broker_b(dir, "broker-b");
  ASSERT_TRUE(broker_b.ok());
  ASSERT_EQ(KcatProduce(broker_b.bootstrap(), "convene.events", stream, dir), 0);
  std::string data_b = dir.Sub("data-b");
  std::mt19937 rng(42);
  int kills = 0;
  int mid_stream = 0;  // kills that left events unapplied
  for (int64_t target : {end / 6, end / 3, end / 2}) {
    Process run(RunCommand(broker_b.bootstrap(), data_b), dir.Sub("run-b-" + std::to_string(kills)));
    // Wait until the run is past `target`, plus a random moment more.
    bool reached = WaitFor([&] { return ReadProgress(data_b).next_offset >= target; },
                           std::chrono::seconds(120));
    ASSERT_TRUE(reached) << run.Stderr();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 10));
    run.Signal(SIGKILL);
    EXPECT_EQ(run.Wait(std::chrono::seconds(10)), -SIGKILL);
    ++kills;
    Progress at_kill = ReadProgress(data_b);
    std::cout << "killed at offset " << at_kill.next_offset << " of " << end << std::endl;
    if (at_kill.next_offset < end) ++mid_stream;
  }
  EXPECT_GE(mid_stream, 2);
  RunToEnd(broker_b.bootstrap(), data_b, end, dir.Sub("run-b-final"));
  if (HasFatalFailure()) return;
  EXPECT_EQ(kills, 3);

  size_t rolled = 0;
  std::map<std::string, std::string> titles;
  std::multiset<std::string> a = TaskIds(broker_a.bootstrap(), &rolled, &titles);
  std::multiset<std::string> b = TaskIds(broker_b.bootstrap(), nullptr, &titles);
  std::set<std::string> set_a(a.begin(), a.end()), set_b(b.begin(), b.end());
  EXPECT_GT(set_a.size(), 1000u);
  EXPECT_GT(rolled, 100u);  // timers fired across the kills, too
  EXPECT_EQ(set_a.size(), a.size());  // the uninterrupted run never repeats a task
  EXPECT_EQ(set_a, set_b);            // nothing lost, nothing invented
  std::vector<std::string> missing;
  std::set_difference(set_a.begin(), set_a.end(), set_b.begin(), set_b.end(),
                      std::back_inserter(missing));
  EXPECT_TRUE(missing.empty()) << missing.size() << " tasks lost, e.g. "
                              << (missing.empty() ? "" : titles[missing[0]]);
  std::vector<std::string> extra;
  std::set_difference(set_b.begin(), set_b.end(), set_a.begin(), set_a.end(),
                      std::back_inserter(extra));
  EXPECT_TRUE(extra.empty()) << extra.size() << " tasks the uninterrupted run did not make, e.g. "
                            << (extra.empty() ? "" : titles[extra[0]]);

  auto timelines_a = Timelines(data_a);
  auto timelines_b = Timelines(data_b);
  EXPECT_EQ(timelines_a.size(), static_cast<size_t>(kAddresses));
  EXPECT_EQ(timelines_a, timelines_b);
  // Every event sent is in exactly one case: none was lost on the way in.
  std::set<std::string> applied;
  for (const auto& [id, events] : timelines_a) applied.insert(events.begin(), events.end());
  EXPECT_EQ(applied, StreamIds(stream));
}

}  // namespace
}  // namespace convene::testing

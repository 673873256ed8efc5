// Crash safety as a user would meet it: the engine is killed with SIGKILL
// several times in the middle of a stream and restarted on the same --data and
// broker. The tasks it publishes must be exactly those of an uninterrupted run
// (by task_id; a repeat delivery is allowed), and no case may hold an event twice.
// The chaos test does the same to a longer stream, sent by `convene send`
// while the engine is killed again and again.
#include <gtest/gtest.h>
#include <signal.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "connectors/engine_lag.h"
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
  EXPECT_TRUE((*store)->Scan(engine::Family::kCases, "", [&](std::string_view k, std::string_view) {
    auto c = engine::ReadCase(**store, k, false);
    EXPECT_TRUE(c.ok() && c->has_value()) << k;
    if (!c.ok() || !c->has_value()) return false;
    std::set<std::string> seen;
    auto& ids = out[std::string(k)];
    for (const auto& e : (*c)->timeline) {
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
  std::string data_b = dir.Sub("data-b");
  std::mt19937 rng(42);
  int kills = 0;
  int mid_stream = 0;  // kills that left events unapplied
  // The stream goes to the broker a part at a time, each reaching a sixth
  // past the next kill's target: however fast the engine, it still has
  // events in hand when it is killed.
  size_t produced = 0;
  auto produce_to = [&](size_t upto) {
    upto = std::min(upto, stream.size());
    if (upto <= produced) return;
    std::vector<std::string> part(stream.begin() + static_cast<std::ptrdiff_t>(produced),
                                  stream.begin() + static_cast<std::ptrdiff_t>(upto));
    ASSERT_EQ(KcatProduce(broker_b.bootstrap(), "convene.events", part, dir), 0);
    produced = upto;
  };
  for (int64_t target : {end / 6, end / 3, end / 2}) {
    produce_to(static_cast<size_t>(target + end / 6));
    if (HasFatalFailure()) return;
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
  produce_to(stream.size());
  if (HasFatalFailure()) return;
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

// ---- chaos: 20,000 events, ten kills or more ------------------------------

// 1,000 addresses, twenty ASB reports each over ten months of 2026: each case
// reaches the Case Review threshold (a task with an SLA clock, a referral to
// the ASB Case Review panel, research for its members, agendas, roll-overs on
// event-time timers), and some events are sent twice. JSON lines for `send`.
std::vector<std::string> ChaosStream() {
  constexpr int kChaosAddresses = 1000;
  constexpr int kChaosEvents = 20000;
  std::mt19937 rng(11);
  std::vector<std::string> lines;
  for (int i = 0; i < kChaosEvents; ++i) {
    int address = i % kChaosAddresses;
    int n = i / kChaosAddresses;  // 0..19: about a fortnight apart
    std::time_t t = 1767614400 + int64_t{n} * 15 * 86400 + address * 37;  // from 5 January 2026
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::string json = R"({"id":"police:C-)" + std::to_string(i) +
                       R"(","type":"asb.report","occurred_at":")" + when +
                       R"(","source":"police","subjects":[{"id":"person:Q-)" +
                       std::to_string(address) + R"(","role":"perpetrator"}],"location":{"uprn":")" +
                       std::to_string(200000 + address) + R"(","postcode":"SG2 2BB","ward":"Roebuck"},)"
                       R"("data":{"category":"personal","incident_ref":"C)" +
                       std::to_string(address) + "-" + std::to_string(n) + R"("}})";
    lines.push_back(json);
    if (rng() % 40 == 0) lines.push_back(json);  // delivered twice upstream
  }
  return lines;
}

// What a run left in its store that does not depend on the wall clock: each
// task with what it says and its state; the event-time timers; the number of
// wall-clock (SLA) timers; the kinds (and tasks) of its audit entries in order.
struct Outcome {
  std::map<std::string, std::string> tasks;
  std::set<std::string> event_timers;
  size_t sla_timers = 0;
  std::vector<std::string> audit;
  bool outbox_empty = false;
};

Outcome ReadOutcome(const std::string& data_dir) {
  Outcome o;
  auto store = engine::CaseStore::Open(data_dir, true);
  EXPECT_TRUE(store.ok());
  if (!store.ok()) return o;
  EXPECT_TRUE((*store)->Scan(engine::Family::kTasks, "", [&](std::string_view k, std::string_view v) {
    rapidjson::Document d;
    d.Parse(v.data(), v.size());
    std::string text;
    for (const char* f : {"case_id", "partner", "kind", "rule", "title", "due_at", "status",
                          "trigger_event"}) {
      text += std::string(json::GetString(d, f)) + "|";
    }
    o.tasks[std::string(k)] = text;
    return true;
  }).ok());
  EXPECT_TRUE((*store)->Scan(engine::Family::kTimers, "", [&](std::string_view k, std::string_view) {
    if (k[0] == 'e') {
      o.event_timers.emplace(k);
    } else {
      ++o.sla_timers;
    }
    return true;
  }).ok());
  EXPECT_TRUE((*store)->Scan(engine::Family::kAudit, "", [&](std::string_view, std::string_view v) {
    rapidjson::Document d;
    d.Parse(v.data(), v.rfind('\n'));
    o.audit.emplace_back(std::string(json::GetString(d, "kind")) + " " +
                         std::string(json::GetString(d, "task_id")));
    return true;
  }).ok());
  auto any = (*store)->OutboxHasAny();
  o.outbox_empty = any.ok() && !*any;
  return o;
}

// `convene send` of `file` in the background: on the embedded broker it waits
// for the engine, so it goes on through the kills and ends once all is applied.
std::unique_ptr<Process> Send(const std::string& bootstrap, const std::string& file,
                              const std::string& log) {
  return std::make_unique<Process>(
      std::vector<std::string>{CONVENE_BINARY, "send", "--kafka", bootstrap, file}, log);
}

TEST(ChaosTest, TenKillsAnywhereInALongStreamChangeNothing) {
  TempDir dir;
  std::vector<std::string> stream = ChaosStream();
  {
    std::ofstream out(dir.Sub("stream.jsonl"));
    for (const auto& l : stream) out << l << "\n";
  }
  // 20,000 events are more than the embedded broker keeps: sent as the engine
  // applies them, never all at once.
  ASSERT_GT(std::filesystem::file_size(dir.Sub("stream.jsonl")), 5u << 20);
  const int64_t end = static_cast<int64_t>(stream.size());

  BrokerProcess broker_a(dir, "broker-a");
  ASSERT_TRUE(broker_a.ok());
  std::string data_a = dir.Sub("data-a");
  {
    Process run(RunCommand(broker_a.bootstrap(), data_a), dir.Sub("chaos-a"));
    auto send = Send(broker_a.bootstrap(), dir.Sub("stream.jsonl"), dir.Sub("send-a"));
    ASSERT_EQ(send->Wait(std::chrono::seconds(300)), 0) << send->Stderr();
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(data_a, end); }, std::chrono::seconds(60)));
    run.Signal(SIGTERM);
    ASSERT_EQ(run.Wait(std::chrono::seconds(30)), 0) << run.Stderr();
  }

  BrokerProcess broker_b(dir, "broker-b");
  ASSERT_TRUE(broker_b.ok());
  std::string data_b = dir.Sub("data-b");
  auto send = Send(broker_b.bootstrap(), dir.Sub("stream.jsonl"), dir.Sub("send-b"));
  // How far the engine has got, as it commits to its consumer group after
  // each batch: a quick question to the broker, where opening the store
  // beside a writer can take long enough on a loaded machine for the engine
  // to race through its backlog unseen.
  auto lag = connectors::EngineLag::Open(broker_b.bootstrap(), "convene.events");
  ASSERT_TRUE(lag.ok()) << lag.status().message();
  auto applied = [&] {
    auto a = (*lag)->Applied({0});
    return a.ok() ? a->at(0) : int64_t{0};
  };
  std::mt19937 rng(20261201);
  int kills = 0, mid_stream = 0;
  for (int k = 1; k <= 11; ++k) {
    Process run(RunCommand(broker_b.bootstrap(), data_b),
                dir.Sub("chaos-b-" + std::to_string(k)));
    int64_t target = end * k / 13;
    ASSERT_TRUE(WaitFor([&] { return applied() >= target; }, std::chrono::seconds(120)))
        << run.Stderr();
    // A random moment more: in a batch, in the relay's publishing, or in the
    // firing of the timers between batches.
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 40));
    run.Signal(SIGKILL);
    EXPECT_EQ(run.Wait(std::chrono::seconds(10)), -SIGKILL);
    ++kills;
    Progress at = ReadProgress(data_b);
    std::cout << "chaos: kill " << kills << " at offset " << at.next_offset << " of " << end
              << (at.outbox_empty ? "" : ", outbox not yet delivered") << std::endl;
    if (at.next_offset < end) ++mid_stream;
  }
  {
    Process run(RunCommand(broker_b.bootstrap(), data_b), dir.Sub("chaos-b-final"));
    ASSERT_EQ(send->Wait(std::chrono::seconds(300)), 0) << send->Stderr();
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(data_b, end); }, std::chrono::seconds(60)));
    run.Signal(SIGTERM);
    ASSERT_EQ(run.Wait(std::chrono::seconds(30)), 0) << run.Stderr();
  }
  EXPECT_GE(kills, 10);
  EXPECT_GE(mid_stream, 10);

  Outcome a = ReadOutcome(data_a);
  Outcome b = ReadOutcome(data_b);
  EXPECT_GT(a.tasks.size(), 3000u);
  EXPECT_GT(a.event_timers.size(), 0u);
  EXPECT_GT(a.sla_timers, 500u);
  EXPECT_TRUE(a.outbox_empty);
  EXPECT_TRUE(b.outbox_empty);  // every task made was delivered
  size_t differing = 0;
  std::string example;
  for (const auto& [id, text] : a.tasks) {
    auto it = b.tasks.find(id);
    if (it == b.tasks.end() || it->second != text) {
      if (example.empty()) example = id + ": " + text + " vs " +
                                     (it == b.tasks.end() ? "missing" : it->second);
      ++differing;
    }
  }
  EXPECT_EQ(a.tasks.size(), b.tasks.size());
  EXPECT_EQ(differing, 0u) << example;
  EXPECT_EQ(a.event_timers, b.event_timers);
  EXPECT_EQ(a.sla_timers, b.sla_timers);
  // The same trail, entry for entry.
  EXPECT_EQ(a.audit.size(), b.audit.size());
  for (size_t i = 0; i < std::min(a.audit.size(), b.audit.size()); ++i) {
    if (a.audit[i] != b.audit[i]) {
      ADD_FAILURE() << "audit entry " << i + 1 << ": " << a.audit[i] << " vs " << b.audit[i];
      break;
    }
  }
  EXPECT_EQ(Timelines(data_a), Timelines(data_b));
  // The audit trail of the run killed eleven times holds.
  std::string out;
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "audit", "verify", "--data", data_b}, &out), 0)
      << out;
}

}  // namespace
}  // namespace convene::testing

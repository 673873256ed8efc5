// The embedded broker loses nothing (SPEC 6), seen as a user sees it: the
// real program with its own embedded broker, `convene send`, and kcat.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <thread>

#include "rules/json.h"
#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

// `n` valid ASB reports, a few hundred bytes each, from `first` on.
void WriteEvents(const std::string& file, int first, int n) {
  std::ofstream out(file);
  for (int i = first; i < first + n; ++i) {
    char when[32];
    // Ten minutes apart from 1 March 2026: months in the past, no case idles out.
    int64_t t = 1772323200 + int64_t{i} * 600;
    std::time_t tt = static_cast<std::time_t>(t);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    out << R"({"id":"police:EMB-)" << i << R"(","type":"asb.report","occurred_at":")" << when
        << R"(","source":"police","subjects":[{"id":"person:P-)" << (i % 5000)
        << R"(","role":"perpetrator"}],"location":{"uprn":")" << (100000000 + i % 700)
        << R"(","postcode":"SG1 1AA","ward":"Bedwell"},"data":{"category":"nuisance",)"
        << R"("incident_ref":"INC-)" << i << R"(","notes":")" << std::string(150, 'n')
        << "\"}}\n";
  }
}

int Accepted(const std::string& log) {
  size_t at = log.rfind("stopped: ");
  return at == std::string::npos ? -1 : std::atoi(log.c_str() + at + 9);
}

std::set<std::string> TaskIds(const std::string& bootstrap, const std::string& topic) {
  std::set<std::string> ids;
  for (const auto& m : KcatConsume(bootstrap, topic)) {
    rapidjson::Document d;
    d.Parse(m.c_str());
    if (d.IsObject()) ids.emplace(json::GetString(d, "task_id"));
  }
  return ids;
}

// 24,000 events are about 10 MB: twice what the embedded broker keeps of a
// partition. Sent faster than the engine applies them, the oldest would be
// deleted unread; `convene send` waits instead, and says "sent" only once the
// engine has applied every one.
TEST(EmbeddedBrokerTest, EveryEventSentIsAppliedThoughTheyAreTwiceWhatTheBrokerKeeps) {
  TempDir dir;
  WriteEvents(dir.Sub("events.jsonl"), 0, 24000);
  ASSERT_GT(std::filesystem::file_size(dir.Sub("events.jsonl")), 9u << 20);
  EmbeddedEngineProcess engine(dir, "engine", dir.Sub("data"));
  ASSERT_TRUE(engine.ok());
  std::string out;
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "send", "--kafka", engine.bootstrap(),
                             dir.Sub("events.jsonl")},
                            &out, std::chrono::seconds(240)),
            0)
      << out;
  ASSERT_EQ(engine.Stop(), 0) << engine.process().Stderr();
  // "sent" came after the engine had applied everything: nothing to wait for.
  std::string log = engine.process().Stdout() + engine.process().Stderr();
  EXPECT_EQ(Accepted(log), 24000) << log.substr(log.size() > 2000 ? log.size() - 2000 : 0);
  EXPECT_EQ(log.find("were gone from the broker"), std::string::npos);
  EXPECT_EQ(ReadProgress(dir.Sub("data")).next_offset, 24000);
}

// An embedded broker is new at every start. The engine must not take its
// stored offset 2,000 for a position on the new broker (the first 2,000 new
// events would be skipped), and the tasks still open must be on the new
// broker's queues, since the old queues went with the old broker.
TEST(EmbeddedBrokerTest, ARestartReadsTheNewBrokerFromItsBeginningAndPublishesOpenTasksAgain) {
  TempDir dir;
  WriteEvents(dir.Sub("first.jsonl"), 0, 2000);
  WriteEvents(dir.Sub("second.jsonl"), 2000, 3000);
  std::set<std::string> before;
  {
    EmbeddedEngineProcess engine(dir, "engine1", dir.Sub("data"));
    ASSERT_TRUE(engine.ok());
    ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "send", "--kafka", engine.bootstrap(),
                               dir.Sub("first.jsonl")},
                              nullptr, std::chrono::seconds(120)),
              0);
    ASSERT_TRUE(WaitFor([&] { return ReadProgress(dir.Sub("data")).outbox_empty; },
                        std::chrono::seconds(30)));
    before = TaskIds(engine.bootstrap(), "convene.tasks.council-asb");
    ASSERT_FALSE(before.empty());
    ASSERT_EQ(engine.Stop(), 0);
  }
  EmbeddedEngineProcess engine(dir, "engine2", dir.Sub("data"));
  ASSERT_TRUE(engine.ok());
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "send", "--kafka", engine.bootstrap(),
                             dir.Sub("second.jsonl")},
                            nullptr, std::chrono::seconds(120)),
            0);
  ASSERT_TRUE(WaitFor([&] { return ReadProgress(dir.Sub("data")).outbox_empty; },
                      std::chrono::seconds(30)));
  std::set<std::string> after = TaskIds(engine.bootstrap(), "convene.tasks.council-asb");
  ASSERT_EQ(engine.Stop(), 0);
  std::string log = engine.process().Stdout() + engine.process().Stderr();
  EXPECT_EQ(Accepted(log), 3000) << log;
  EXPECT_NE(log.find("is not the one the stored offsets came from"), std::string::npos);
  // No case idles out or is closed in these months: every task is still open.
  for (const auto& id : before) EXPECT_TRUE(after.count(id)) << id << " was not published again";
  EXPECT_GT(after.size(), before.size());
}

// With no engine reading, `convene send` to the embedded broker does not say
// "sent": it gives up with the reason once the engine has applied nothing for
// --engine-timeout, at once for every line after the first wait.
TEST(EmbeddedBrokerTest, SendWithNoEngineReadingSaysSoAndFails) {
  TempDir dir;
  WriteEvents(dir.Sub("events.jsonl"), 0, 12000);  // ~5 MB: more than may wait unapplied
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  auto started = std::chrono::steady_clock::now();
  Process send({CONVENE_BINARY, "send", "--kafka", broker.bootstrap(), "--engine-timeout", "3",
                dir.Sub("events.jsonl")},
               dir.Sub("send"));
  EXPECT_EQ(send.Wait(std::chrono::seconds(120)), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  std::string out = send.Stdout() + send.Stderr();
  EXPECT_NE(out.find("the engine has applied none for 3 s: is convene run reading convene.events"),
            std::string::npos)
      << out.substr(0, 2000);
  EXPECT_EQ(out.find("sent 12000 events"), std::string::npos);
}

// The engine (and its embedded broker) killed while `convene send` waits on
// it: send ends within --engine-timeout, saying how many lines were applied
// and which were not. It waited in the broker's client for ever before.
TEST(EmbeddedBrokerTest, SendEndsWithinItsTimeoutWhenTheEngineIsKilled) {
  TempDir dir;
  WriteEvents(dir.Sub("events.jsonl"), 0, 30000);  // ~12 MB: send waits on the engine
  EmbeddedEngineProcess engine(dir, "engine", dir.Sub("data"));
  ASSERT_TRUE(engine.ok());
  Process send({CONVENE_BINARY, "send", "--kafka", engine.bootstrap(), "--engine-timeout", "5",
                dir.Sub("events.jsonl")},
               dir.Sub("send"));
  ASSERT_TRUE(WaitFor([&] { return ReadProgress(dir.Sub("data")).next_offset > 500; },
                      std::chrono::seconds(60)));
  engine.process().Signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(send.Wait(std::chrono::seconds(60)), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::seconds(20));
  std::string out = send.Stderr();
  EXPECT_NE(out.find(" of 30000 lines were applied by the engine; lines "), std::string::npos)
      << out.substr(0, 2000);
  EXPECT_NE(out.find(" to 30000 were not"), std::string::npos) << out.substr(0, 2000);
}

// SIGTERM (or Ctrl-C) ends `convene send` at once while it waits on an
// engine that applies nothing (here stopped with SIGSTOP).
TEST(EmbeddedBrokerTest, SendStopsOnSigtermWhileWaitingForTheEngine) {
  TempDir dir;
  WriteEvents(dir.Sub("events.jsonl"), 0, 30000);
  EmbeddedEngineProcess engine(dir, "engine", dir.Sub("data"));
  ASSERT_TRUE(engine.ok());
  Process send({CONVENE_BINARY, "send", "--kafka", engine.bootstrap(), "--engine-timeout", "600",
                dir.Sub("events.jsonl")},
               dir.Sub("send"));
  ASSERT_TRUE(WaitFor([&] { return ReadProgress(dir.Sub("data")).next_offset > 500; },
                      std::chrono::seconds(60)));
  engine.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // send is now waiting on it
  EXPECT_TRUE(send.Running());
  send.Signal(SIGTERM);
  auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(send.Wait(std::chrono::seconds(30)), 130);
  // Two seconds' grace for what is nearly done, and an offsets query in flight.
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(8));
  EXPECT_NE(send.Stderr().find("send: stopped: "), std::string::npos) << send.Stderr();
  engine.process().Signal(SIGCONT);
  EXPECT_EQ(engine.Stop(), 0);
}

}  // namespace
}  // namespace convene::testing

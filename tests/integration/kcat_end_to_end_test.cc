// As a user runs it: `convene broker` and `convene run` as separate
// processes; kcat produces the events and reads the partners' queues.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "rules/json.h"
#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

std::string Keyed(const std::string& id, const std::string& json) { return id + "\t" + json; }

std::string Asb(const std::string& id, const std::string& when, const std::string& ref) {
  return R"({"id":")" + id + R"(","type":"asb.report","occurred_at":")" + when +
         R"(","source":"police","subjects":[{"id":"person:P-9","role":"perpetrator"},)"
         R"({"id":"person:W-9","role":"witness"}],"location":{"uprn":"100080099999","postcode":"SG2 9ZZ","ward":"Shephall"},)"
         R"("data":{"category":"personal","incident_ref":")" + ref +
         R"(","tenancy_ref":"TEN-9","officer_notes":"not for partners"}})";
}

// The paths of a JSON object's leaves, e.g. "event.location.uprn".
void Leaves(const rapidjson::Value& v, const std::string& prefix, std::set<std::string>* out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      Leaves(m.value, prefix.empty() ? m.name.GetString() : prefix + "." + m.name.GetString(), out);
    }
  } else {
    out->insert(prefix);
  }
}

bool Allowed(const std::string& path, const std::vector<std::string>& share) {
  for (const auto& s : share) {
    if (path == s || path.rfind(s + ".", 0) == 0) return true;
  }
  return false;
}

TEST(KcatEndToEndTest, TasksCarryOnlySharedPathsAndRejectsAreExplained) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));

  std::vector<std::string> lines = {
      Keyed("police:E1", Asb("police:E1", "2026-05-01T10:00:00Z", "R1")),
      Keyed("police:E2", Asb("police:E2", "2026-05-08T10:00:00Z", "R2")),
      Keyed("bad", "this line is not an event"),
      Keyed("police:E3", Asb("police:E3", "2026-05-20T21:00:00Z", "R3")),
      Keyed("police:E4", R"({"id":"police:E4","type":"injunction.breach","occurred_at":"2026-05-23T22:30:00Z","source":"police","subjects":[{"id":"person:P-9","role":"perpetrator"}],"location":{"uprn":"100080099999"}})"),
  };
  ASSERT_EQ(KcatProduce(broker.bootstrap(), "convene.events", lines, dir), 0);

  // Second report, threshold (council-asb + community-safety-manager + notifies),
  // the injunction breach (police + council-asb).
  std::vector<std::string> housing, police, asb;
  ASSERT_TRUE(WaitFor(
      [&] {
        housing = KcatConsume(broker.bootstrap(), "convene.tasks.housing");
        police = KcatConsume(broker.bootstrap(), "convene.tasks.police");
        asb = KcatConsume(broker.bootstrap(), "convene.tasks.council-asb");
        return housing.size() >= 1 && police.size() >= 2 && asb.size() >= 3;
      },
      std::chrono::seconds(60)))
      << engine.Stderr();

  const std::vector<std::string> housing_share = {"case", "event.location",
                                                  "event.subjects.perpetrator",
                                                  "event.data.tenancy_ref",
                                                  "event.data.incident_ref"};
  for (const auto& t : housing) {
    rapidjson::Document d;
    d.Parse(t.c_str());
    ASSERT_TRUE(d.IsObject()) << t;
    for (const char* field : {"task_id", "case_id", "case_type", "partner", "kind", "rule",
                              "rules_version", "title", "priority", "created_at",
                              "trigger_event"}) {
      EXPECT_TRUE(d.HasMember(field) && d[field].IsString()) << field << " in " << t;
    }
    EXPECT_EQ(json::GetString(d, "partner"), "housing");
    std::set<std::string> paths;
    Leaves(d["context"], "", &paths);
    EXPECT_FALSE(paths.empty());
    for (const auto& p : paths) EXPECT_TRUE(Allowed(p, housing_share)) << p << " leaked in " << t;
    EXPECT_EQ(t.find("officer_notes"), std::string::npos);
    EXPECT_EQ(t.find("W-9"), std::string::npos);  // the witness is not shared with housing
  }

  bool court_clock = false;
  for (const auto& t : police) {
    rapidjson::Document d;
    d.Parse(t.c_str());
    if (json::GetString(d, "rule") == "asb-injunction-breach") {
      court_clock = true;
      // Saturday 23:30 BST arrest: 30 minutes of Saturday, Sunday disregarded,
      // 23.5 hours of Monday -> Monday 23:30 BST.
      EXPECT_EQ(json::GetString(d, "due_at"), "2026-05-25T22:30:00Z");
      EXPECT_EQ(json::GetString(d, "priority"), "urgent");
    }
  }
  EXPECT_TRUE(court_clock);

  auto dead = KcatConsume(broker.bootstrap(), "convene.dead-letter");
  ASSERT_EQ(dead.size(), 1u);
  rapidjson::Document d;
  d.Parse(dead[0].c_str());
  EXPECT_EQ(json::GetString(d, "original"), "this line is not an event");
  EXPECT_EQ(json::GetString(d, "key"), "bad");
  EXPECT_EQ(json::GetInt(d, "offset"), 2);
  EXPECT_NE(std::string(json::GetString(d, "reason")).find("not valid JSON"), std::string::npos);

  // `convene tasks` reads the same queue.
  std::string out;
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "tasks", "--kafka", broker.bootstrap(), "--partner",
                             "housing"},
                            &out),
            0);
  EXPECT_EQ(Lines(out).size(), housing.size());

  engine.Signal(SIGTERM);
  EXPECT_EQ(engine.Wait(std::chrono::seconds(30)), 0) << engine.Stderr();

  // The case as a coordinator sees it.
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "case", "--data", dir.Sub("data"), "asb-000001"}, &out),
            0);
  EXPECT_NE(out.find("stage case-review"), std::string::npos) << out;  // never escalated down
  EXPECT_NE(out.find("asb-case-review-threshold"), std::string::npos) << out;
}

// Inputs near and over SPEC 3's 1 MiB: none may hold up what comes after.
TEST(KcatEndToEndTest, HugeInputsAreRejectedOrTrimmedAndNothingAfterThemWaits) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  Process engine(EngineCommand(broker.bootstrap(), dir.Sub("data")), dir.Sub("engine"));
  const std::string location = R"("location":{"uprn":"100080077777","postcode":"SG2 9ZZ"})";
  const std::string perp = R"("subjects":[{"id":"person:P-77","role":"perpetrator"}])";
  std::string over = R"({"id":"police:BIG-1","type":"asb.report","occurred_at":"2026-05-01T10:00:00Z",)"
                     R"("source":"police",)" + location + R"(,"data":{"incident_ref":"R1","notes":")" +
                     std::string(1100000, 'x') + R"("}})";
  // Under 1 MiB, so accepted; police see all of `data`, far more than a task should carry.
  std::string near = R"({"id":"police:BIG-2","type":"injunction.breach","occurred_at":"2026-05-02T22:30:00Z",)"
                     R"("source":"police",)" + perp + "," + location + R"(,"data":{"notes":")" +
                     std::string(1000000, 'y') + R"("}})";
  std::string after = R"({"id":"police:AFTER-1","type":"injunction.breach","occurred_at":"2026-05-03T22:30:00Z",)"
                      R"("source":"police",)" + perp + "," + location + R"(,"data":{"notes":"small"}})";
  // The case the breaches belong to.
  std::string opens = R"({"id":"police:OPEN-1","type":"asb.report","occurred_at":"2026-04-20T10:00:00Z",)"
                      R"("source":"police",)" + perp + "," + location +
                      R"(,"data":{"category":"personal","incident_ref":"R0"}})";
  dir.Write("events.jsonl", opens + "\n" + over + "\n" + near + "\n" + after + "\n");
  std::string out;
  // `convene send` hands all three to the broker (the client allows 2 MiB).
  EXPECT_EQ(RunToCompletion({CONVENE_BINARY, "send", "--kafka", broker.bootstrap(),
                             dir.Sub("events.jsonl")},
                            &out),
            0)
      << out;
  std::vector<std::string> police, dead;
  ASSERT_TRUE(WaitFor(
      [&] {
        police = KcatConsume(broker.bootstrap(), "convene.tasks.police");
        dead = KcatConsume(broker.bootstrap(), "convene.dead-letter");
        return police.size() >= 2 && !dead.empty();
      },
      std::chrono::seconds(60)))
      << engine.Stderr();
  rapidjson::Document d;
  d.Parse(dead[0].c_str());
  EXPECT_NE(std::string(json::GetString(d, "reason")).find("1 MiB"), std::string::npos);
  EXPECT_EQ(json::GetInt(d, "original_bytes"), static_cast<int64_t>(over.size()));
  EXPECT_EQ(json::GetString(d, "original").size(), 256u << 10);
  bool trimmed = false, small = false;
  for (const auto& t : police) {
    EXPECT_LT(t.size(), 256u << 10);
    d.Parse(t.c_str());
    const auto& context = d["context"];
    if (std::string(json::GetString(d, "trigger_event")) == "police:BIG-2") {
      trimmed = context.HasMember("event_left_out") && !context.HasMember("event");
    }
    if (std::string(json::GetString(d, "trigger_event")) == "police:AFTER-1") {
      small = context.HasMember("event");
    }
  }
  EXPECT_TRUE(trimmed);
  EXPECT_TRUE(small);
}

// A poison pill: an event nested 150,000 levels deep in its data crashed the
// engine (its JSON parser ran out of stack), at every start on a broker that
// keeps it, so nothing after it was ever applied.
TEST(KcatEndToEndTest, AnEventNestedTooDeepIsADeadLetterAndTheNextIsApplied) {
  TempDir dir;
  BrokerProcess broker(dir, "broker");
  ASSERT_TRUE(broker.ok());
  const std::string deep = std::string(150000, '[') + std::string(150000, ']');
  std::string poison = R"({"id":"police:DEEP-1","type":"asb.report","occurred_at":"2026-03-02T10:00:00Z",)"
                       R"("source":"police","data":{"incident_ref":)" + deep + "}}";
  auto engine = std::make_unique<Process>(EngineCommand(broker.bootstrap(), dir.Sub("data")),
                                          dir.Sub("engine"));
  ASSERT_EQ(KcatProduce(broker.bootstrap(), "convene.events",
                        {Keyed("police:DEEP-1", poison),
                         Keyed("police:ASB-1", Asb("police:ASB-1", "2026-03-02T11:00:00Z", "R1"))},
                        dir),
            0);
  std::vector<std::string> dead, updates;
  auto applied = [&](size_t n) {
    return WaitFor(
        [&] {
          dead = KcatConsume(broker.bootstrap(), "convene.dead-letter");
          updates = KcatConsume(broker.bootstrap(), "convene.case-updates");
          return !dead.empty() && updates.size() >= n;
        },
        std::chrono::seconds(60));
  };
  ASSERT_TRUE(applied(1)) << engine->Stderr();
  rapidjson::Document d;
  d.Parse(dead[0].c_str());
  EXPECT_EQ(json::GetString(d, "original").substr(0, 20), R"({"id":"police:DEEP-1)");
  EXPECT_NE(std::string(json::GetString(d, "reason")).find("nested more than 64 levels deep"),
            std::string::npos)
      << dead[0];
  EXPECT_NE(updates[0].find("police:ASB-1"), std::string::npos) << updates[0];
  EXPECT_TRUE(engine->Running());
  // Started again on the broker that still holds it: it goes on.
  engine->Signal(SIGTERM);
  ASSERT_EQ(engine->Wait(std::chrono::seconds(30)), 0) << engine->Stderr();
  engine = std::make_unique<Process>(EngineCommand(broker.bootstrap(), dir.Sub("data")),
                                     dir.Sub("engine2"));
  ASSERT_EQ(KcatProduce(broker.bootstrap(), "convene.events",
                        {Keyed("police:ASB-2", Asb("police:ASB-2", "2026-03-03T11:00:00Z", "R2"))},
                        dir),
            0);
  ASSERT_TRUE(applied(2)) << engine->Stderr();
  EXPECT_EQ(dead.size(), 1u);
}

}  // namespace
}  // namespace convene::testing

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/store_keys.h"

#include <gtest/gtest.h>

#include "rules/config_loader.h"
#include "rules/json.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

constexpr const char* kPartners = R"(partners:
  - id: council-asb
    share: [case, event.location, event.data.incident_ref]
  - id: housing
    share: [case, event.location.postcode]
  - id: police
    share: [case, event.subjects, event.data]
)";
constexpr const char* kCaseTypes = R"(case_types:
  - id: asb
    opened_by: [asb.report]
    correlate_by: [event.location.uprn, event.subjects.perpetrator]
    stages: [reported, warning, cpn, case-review]
    close_after_idle: 60d
  - id: hate
    opened_by:
      - {type: crime.report, when: 'event.data.hate_motivation != "none"'}
    correlate_by: [event.subjects.victim]
    stages: [reported, acknowledged]
)";
constexpr const char* kCalendar = R"(timezone: Europe/London
calendars:
  working-days: {closed: [saturday, sunday], holidays: [2026-04-03, 2026-04-06]}
)";
constexpr const char* kRules = R"yaml(rules:
  - id: threshold
    on: [asb.report]
    case: asb
    when: distinct("asb.report", "event.data.incident_ref", "6mo") >= 3
    once: case
    then:
      - escalate: case-review
      - task: {to: council-asb, title: "Case Review {{case.id}} at {{event.location.postcode}}", due: 10 working days, priority: high}
      - notify: housing
  - id: warn
    on: [cpn.warning]
    case: asb
    then:
      - escalate: warning
  - id: demote
    on: [case.note]
    case: asb
    when: event.data.text == "back to reported"
    then:
      - escalate: reported
  - id: reset
    on: [case.note]
    case: asb
    when: event.data.text == "reset"
    then:
      - set_stage: reported
  - id: noisy
    on: [asb.report]
    case: asb
    when: event.data.category == "noise"
    cooldown: 30d
    then:
      - flag: noise
      - task: {to: police, title: "Noise reported"}
  - id: repeat-hate
    on: [crime.report]
    case: hate
    when: prior_cases("hate", "12mo") >= 1
    then:
      - flag: repeat-victim
  - id: review
    on: [cpn.issued]
    case: asb
    then:
      - task:
          to: council-asb
          title: "Review {{case.id}}"
          sla:
            acknowledge: 1 working day
            on_breach:
              - task: {to: police, title: "Overdue: {{task.title}} ({{task.partner}})"}
  - id: declined
    on: [task.declined]
    case: asb
    then:
      - task: {to: police, title: "Task declined on {{case.id}}"}
)yaml";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.Write("partners.yaml", kPartners);
    config_.Write("case_types.yaml", kCaseTypes);
    config_.Write("calendar.yaml", kCalendar);
    config_.Write("rules/rules.yaml", kRules);
    ReloadRules();
    ASSERT_FALSE(HasFailure());  // no test runs on a config that did not load
  }

  // Loads the config folder as it now is and reopens the engine on it.
  void ReloadRules() {
    auto loaded = rules::LoadRuleSet(config_.path());
    if (auto* errors = std::get_if<std::vector<rules::ConfigError>>(&loaded)) {
      for (const auto& e : *errors) ADD_FAILURE() << e.ToString();
      return;
    }
    rules_ = std::get<std::shared_ptr<const rules::RuleSet>>(loaded);
    OpenEngine();
  }

  void OpenEngine() {
    engine_.reset();
    store_.reset();
    CaseStore::OpenOptions options;
    options.env = env_;
    auto store = CaseStore::Open(data_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    auto engine = Engine::Open(store_.get(), rules_, &clock_, EngineOptions());
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
  }

  // Applies `payloads` as one batch at the next offsets of convene.events[0].
  void Apply(const std::vector<std::string>& payloads) {
    std::vector<connectors::InputRecord> batch;
    for (const auto& p : payloads) {
      batch.push_back({"convene.events", 0, next_offset_++, "", p});
    }
    ASSERT_TRUE(engine_->ProcessBatch(batch).ok());
  }

  static std::string Asb(const std::string& id, const std::string& when, const std::string& uprn,
                         const std::string& ref, const std::string& perp = "",
                         const std::string& category = "nuisance") {
    std::string subjects =
        perp.empty() ? "" : R"("subjects":[{"id":")" + perp + R"(","role":"perpetrator"}],)";
    return R"({"id":")" + id + R"(","type":"asb.report","occurred_at":")" + when +
           R"(","source":"police",)" + subjects + R"("location":{"uprn":")" + uprn +
           R"(","postcode":"SG1 1AA"},"data":{"incident_ref":")" + ref + R"(","category":")" +
           category + R"("}})";
  }

  // An asb.report at `uprn` naming `subjects` (Subject(...), comma-separated)
  // with `data` the members of its data object.
  static std::string Report(const std::string& id, const std::string& when,
                            const std::string& uprn, const std::string& subjects,
                            const std::string& data) {
    return R"({"id":")" + id + R"(","type":"asb.report","occurred_at":")" + when +
           R"(","source":"police",)" + (subjects.empty() ? "" : R"("subjects":[)" + subjects + "],") +
           R"("location":{"uprn":")" + uprn + R"("},"data":{)" + data + "}}";
  }
  static std::string Subject(const std::string& id, const std::string& role) {
    return R"({"id":")" + id + R"(","role":")" + role + R"("})";
  }

  std::vector<OutboxMessage> Outbox(const std::string& topic) {
    std::vector<OutboxMessage> out;
    EXPECT_TRUE(store_->Scan(Family::kOutbox, "", [&](std::string_view, std::string_view v) {
      OutboxMessage m;
      EXPECT_TRUE(OutboxMessage::Decode(v, &m));
      if (m.topic == topic) out.push_back(m);
      return true;
    }).ok());
    return out;
  }

  std::optional<CaseRecord> Case(const std::string& id) {
    auto c = ReadCase(*store_, id, /*with_history=*/true);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? *c : std::nullopt;
  }

  testing::TempDir config_;
  testing::TempDir data_;
  ManualClock clock_{*ParseRfc3339("2026-11-26T09:00:00Z")};
  rocksdb::Env* env_ = nullptr;  // the real file system
  // Outlives the store opened on it.
  std::unique_ptr<testing::FaultInjectionEnv> faults_;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::unique_ptr<CaseStore> store_;
  std::unique_ptr<Engine> engine_;
  int64_t next_offset_ = 0;
};

TEST_F(EngineTest, OpensACaseAndJoinsLaterEventsThatShareAKey) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A"),
         Asb("e2", "2026-01-06T10:00:00Z", "100", "B"),
         Asb("e3", "2026-01-07T10:00:00Z", "200", "C")});
  auto c1 = Case("asb-000001");
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->timeline.size(), 2u);
  EXPECT_EQ(c1->view.stage, "reported");
  EXPECT_EQ(c1->view.opened_at, *ParseRfc3339("2026-01-05T10:00:00Z"));
  auto c2 = Case("asb-000002");
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->timeline.size(), 1u);
  EXPECT_EQ(engine_->totals().cases_opened, 2u);
}

TEST_F(EngineTest, APerpetratorJoinsReportsAtOtherAddressesWhichDoNotBecomeKeys) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A", "person:P1")});
  Apply({Asb("e2", "2026-01-06T10:00:00Z", "200", "B", "person:P1")});
  // e2 joined by the person; address 200 is not one of the case's keys
  // (SPEC 4, v2), so a report there without a name is another case.
  Apply({Asb("e3", "2026-01-07T10:00:00Z", "200", "C")});
  auto c = Case("asb-000001");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->timeline.size(), 2u);
  ASSERT_TRUE(Case("asb-000002"));
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 1u);
}

TEST_F(EngineTest, AnEventJoinsEveryOpenCaseSharingAKey) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A", "person:P1"),
         Asb("e2", "2026-01-05T11:00:00Z", "200", "B", "person:P2"),
         Asb("e3", "2026-01-06T10:00:00Z", "100", "C", "person:P2")});
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 2u);
}

TEST_F(EngineTest, OpenedByHonoursItsCondition) {
  auto crime = [](const std::string& id, const std::string& motivation) {
    return R"({"id":")" + id +
           R"(","type":"crime.report","occurred_at":"2026-02-01T10:00:00Z","source":"police",)"
           R"("subjects":[{"id":"person:V1","role":"victim"}],"data":{"hate_motivation":")" +
           motivation + R"("}})";
  };
  Apply({crime("c1", "none")});
  EXPECT_FALSE(Case("hate-000001"));
  Apply({crime("c2", "race")});
  EXPECT_TRUE(Case("hate-000001"));
}

// Defence in depth behind `rules check`: a title that names what a
// partner's share does not allow (here a share narrowed in memory after the
// check) goes out with the value withheld, and is counted.
TEST_F(EngineTest, ATitleNamingWhatTheShareDoesNotAllowIsSentWithItWithheld) {
  config_.Write("partners.yaml", R"(partners:
  - id: council-asb
    share: [case, event.location, event.data.incident_ref]
  - id: housing
    share: [case, case.subjects, event.location.postcode]
  - id: police
    share: [case, case.subjects, event.subjects, event.data]
)");
  config_.Write("rules/leak.yaml", R"(rules:
  - id: leak
    on: [asb.report]
    case: asb
    then:
      - task: {to: [housing, police], title: "Leak {{case.subjects}}"}
)");
  ReloadRules();
  ASSERT_FALSE(HasFailure());
  auto narrowed = std::make_shared<rules::RuleSet>(*rules_);
  for (auto& p : narrowed->partners) {
    if (p.id == "housing") p.share = {{"case"}, {"event", "location", "postcode"}};
  }
  rules_ = narrowed;
  OpenEngine();
  Apply({Asb("police:1", "2026-03-01T10:00:00Z", "100", "R1", "person:VICTIM-SECRET-1")});
  auto housing = Outbox("convene.tasks.housing");
  auto police = Outbox("convene.tasks.police");
  ASSERT_EQ(housing.size(), 1u);
  ASSERT_EQ(police.size(), 1u);
  rapidjson::Document d;
  d.Parse(housing[0].payload.c_str());
  EXPECT_EQ(json::GetString(d, "title"), "Leak [withheld]");
  EXPECT_EQ(housing[0].payload.find("VICTIM-SECRET"), std::string::npos) << housing[0].payload;
  d.Parse(police[0].payload.c_str());
  EXPECT_EQ(json::GetString(d, "title"), "Leak person:VICTIM-SECRET-1");
  EXPECT_EQ(engine_->totals().titles_withheld, 1u);
}

TEST_F(EngineTest, TheSameEventIdIsAppliedOnce) {
  std::string e = Asb("e1", "2026-01-05T10:00:00Z", "100", "A");
  Apply({e, e});
  Apply({e});
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 1u);
  EXPECT_EQ(engine_->totals().duplicates, 2u);
  EXPECT_EQ(engine_->totals().accepted, 1u);
}

TEST_F(EngineTest, RejectedInputGoesToDeadLetterAndTheRestIsApplied) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A"), "this is not json",
         Asb("e2", "2026-01-06T10:00:00Z", "100", "B")});
  auto dead = Outbox("convene.dead-letter");
  ASSERT_EQ(dead.size(), 1u);
  rapidjson::Document d;
  d.Parse(dead[0].payload.c_str());
  EXPECT_NE(std::string(json::GetString(d, "reason")).find("not valid JSON"), std::string::npos);
  EXPECT_EQ(json::GetString(d, "original"), "this is not json");
  EXPECT_EQ(json::GetInt(d, "offset"), 1);
  EXPECT_EQ(json::GetString(d, "topic"), "convene.events");
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(engine_->StoredOffset("convene.events", 0), 3);
}

TEST_F(EngineTest, AnEventFarInTheFutureIsRejectedAndClosesNoCase) {
  Apply({Asb("e1", "2026-11-20T10:00:00Z", "100", "A")});
  // Were event time moved to 9999, every open case would close as idle.
  Apply({Asb("e2", "9999-12-31T00:00:00Z", "200", "B"),
         Asb("e3", "2026-11-27T09:00:01Z", "300", "C")});  // a day ahead and a second
  ASSERT_TRUE(engine_->FireDueTimers().ok());
  auto dead = Outbox("convene.dead-letter");
  ASSERT_EQ(dead.size(), 2u);
  for (const auto& m : dead) {
    rapidjson::Document d;
    d.Parse(m.payload.c_str());
    EXPECT_NE(std::string(json::GetString(d, "reason")).find("more than 24h ahead"),
              std::string::npos)
        << json::GetString(d, "reason");
  }
  EXPECT_EQ(Case("asb-000001")->view.status, "open");
  EXPECT_FALSE(Case("asb-000002"));
  // An event within the day ahead (a clock a little fast) is accepted.
  Apply({Asb("e4", "2026-11-27T08:59:59Z", "100", "D")});
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(engine_->totals().rejected, 2u);
}

TEST_F(EngineTest, AnEventBefore1900IsRejected) {
  Apply({Asb("e1", "0001-01-01T00:00:00Z", "100", "A")});
  auto dead = Outbox("convene.dead-letter");
  ASSERT_EQ(dead.size(), 1u);
  rapidjson::Document d;
  d.Parse(dead[0].payload.c_str());
  EXPECT_NE(std::string(json::GetString(d, "reason")).find("before 1900"), std::string::npos);
  EXPECT_FALSE(Case("asb-000001"));
}

// A read that fails is never taken for "not there": were it, the event below
// would open a second case for an address that already has one.
TEST_F(EngineTest, AFailedReadStopsTheBatchAndAppliesNothingOfIt) {
  faults_ = std::make_unique<testing::FaultInjectionEnv>();
  testing::FaultInjectionEnv& faults = *faults_;
  env_ = faults.env();
  OpenEngine();
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A", "person:P1")});
  ASSERT_TRUE(store_->db()->Flush(rocksdb::FlushOptions()).ok());
  OpenEngine();  // nothing cached: the case must be read from its table file
  faults.FailReads(true);
  std::vector<connectors::InputRecord> batch = {
      {"convene.events", 0, next_offset_++, "", Asb("e2", "2026-01-06T10:00:00Z", "100", "B")},
      {"convene.events", 0, next_offset_++, "", Asb("e3", "2026-01-06T11:00:00Z", "300", "C")}};
  Status s = engine_->ProcessBatch(batch);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected read failure"), std::string::npos) << s.message();
  EXPECT_GT(faults.failed_reads(), 0);
  // The engine is stopped: it answers nothing more on a store it cannot trust.
  EXPECT_FALSE(engine_->ProcessBatch(batch).ok());
  faults.FailReads(false);
  OpenEngine();
  EXPECT_EQ(engine_->StoredOffset("convene.events", 0), 1);
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 1u);
  EXPECT_FALSE(Case("asb-000002"));
  // Read again from the stored offset, the same events apply as they should.
  ASSERT_TRUE(engine_->ProcessBatch(batch).ok());
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 1u);
}

TEST_F(EngineTest, TheAuditTrailChainsEveryTaskWithheldFieldAndRuleSetAndShowsTampering) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A", "person:P1", "noise")});
  Apply({Asb("e2", "2026-03-02T10:00:00Z", "100", "B", "person:P1", "noise")});
  std::vector<std::string> kinds;
  ASSERT_TRUE(store_->Scan(Family::kAudit, "", [&](std::string_view, std::string_view v) {
    rapidjson::Document d;
    d.Parse(v.data(), v.rfind('\n'));
    kinds.emplace_back(json::GetString(d, "kind"));
    return true;
  }).ok());
  ASSERT_GE(kinds.size(), 3u);
  EXPECT_EQ(kinds[0], "rules");  // the rule set that made the first decision
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "task"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "withheld"), kinds.end());
  auto ok = AuditTrail::Verify(*store_);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->broken, "");
  EXPECT_EQ(ok->entries, kinds.size());
  // The chain goes on across a restart.
  OpenEngine();
  Apply({Asb("e3", "2026-03-03T10:00:00Z", "100", "C", "person:P1", "noise")});
  EXPECT_GT(AuditTrail::Verify(*store_)->entries, kinds.size());
  EXPECT_EQ(AuditTrail::Verify(*store_)->broken, "");

  // Someone edits entry 2 in place: its hash no longer fits.
  auto second = store_->Get(Family::kAudit, EncodeU64(2));
  ASSERT_TRUE(second.ok() && second->has_value());
  std::string edited = **second;
  edited.replace(edited.find("\"at\":\"") + 6, 4, "2001");
  rocksdb::WriteBatch b;
  b.Put(store_->handle(Family::kAudit), EncodeU64(2), edited);
  ASSERT_TRUE(store_->Write(&b).ok());
  auto broken = AuditTrail::Verify(*store_);
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->entries, 1u);
  EXPECT_EQ(broken->broken.substr(0, 19), "entry 2 was changed") << broken->broken;
  // Put back, then take entry 3 out: the gap is named.
  rocksdb::WriteBatch restore;
  restore.Put(store_->handle(Family::kAudit), EncodeU64(2), **second);
  restore.Delete(store_->handle(Family::kAudit), EncodeU64(3));
  ASSERT_TRUE(store_->Write(&restore).ok());
  EXPECT_EQ(AuditTrail::Verify(*store_)->broken.substr(0, 18), "entry 3 is missing");
}

// The console sends case.viewed before it shows a case: the audit trail says
// who saw which case and what of it, once however often the event comes, and
// the case itself is not touched.
TEST_F(EngineTest, ACaseViewedInTheConsoleIsAnAuditEntryAndNothingElse) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A", "person:P1", "noise")});
  const std::string case_id = "asb-000001";
  ASSERT_TRUE(Case(case_id));
  size_t timeline = Case(case_id)->timeline.size();
  std::string viewed = R"({"id":"console:v1","type":"case.viewed","occurred_at":"2026-03-01T11:00:00Z",)"
                       R"("source":"housing","data":{"case_id":"asb-000001","by":"a@housing.test",)"
                       R"("shown":["e1"],"withheld":["event.subjects"]}})";
  Apply({viewed});
  Apply({viewed});  // again: applied once
  Apply({R"({"id":"console:v2","type":"case.viewed","occurred_at":"2026-03-01T11:00:00Z",)"
         R"("source":"housing","data":{}})"});  // names no case: rejected
  std::vector<std::string> views;
  ASSERT_TRUE(store_->Scan(Family::kAudit, "", [&](std::string_view, std::string_view v) {
    rapidjson::Document d;
    d.Parse(v.data(), v.rfind('\n'));
    if (json::GetString(d, "kind") == "viewed") views.push_back(json::Serialize(d));
    return true;
  }).ok());
  ASSERT_EQ(views.size(), 1u);
  for (const char* part : {R"("case_id":"asb-000001")", R"("partner":"housing")",
                           R"("by":"a@housing.test")", R"("viewed_at":"2026-03-01T11:00:00Z")",
                           R"("shown":["e1"])", R"("withheld":["event.subjects"])"}) {
    EXPECT_NE(views[0].find(part), std::string::npos) << part << " in " << views[0];
  }
  EXPECT_EQ(Case(case_id)->timeline.size(), timeline);
  EXPECT_EQ(engine_->totals().rejected, 1u);
  EXPECT_EQ(AuditTrail::Verify(*store_)->broken, "");
}

// count() with where: and same: over a real case's timeline: at one address,
// an adult's incident does not count toward the child, nor another child's.
TEST_F(EngineTest, ConditionalCountsCountOnlyTheMatchingEvents) {
  config_.Write("rules/rules.yaml", R"(rules:
  - id: young-person-twice
    on: [asb.report]
    case: asb
    when: 'count("asb.report", "3mo", same: "event.subjects.young_person", where: event.data.age < 18) >= 2'
    then:
      - flag: young-person-twice
)");
  ReloadRules();
  auto report = [](const std::string& id, const std::string& when, const std::string& person,
                   int age) {
    return Report(id, when, "100", Subject(person, "young_person"),
                  R"("age":)" + std::to_string(age));
  };
  Apply({report("e1", "2026-03-01T10:00:00Z", "person:C", 15),
         report("e2", "2026-03-10T10:00:00Z", "person:A", 34)});   // an adult at the address
  Apply({report("e3", "2026-03-20T10:00:00Z", "person:D", 16)});   // another child
  OpenEngine();  // what is counted is read back from the store
  EXPECT_TRUE(Case("asb-000001")->view.flags.empty());
  Apply({report("e4", "2026-04-02T10:00:00Z", "person:C", 15)});   // the child's second
  EXPECT_EQ(Case("asb-000001")->view.flags, std::vector<std::string>{"young-person-twice"});
}

// What a count() with where: or same: reads of each counted event is kept
// with the timeline when the event joins, so past events are not read again;
// an event applied before a rule asked for a path is read itself.
TEST_F(EngineTest, ConditionalCountsKeepWhatTheyReadOnTheTimeline) {
  auto rule = [](const std::string& where) {
    return R"(rules:
  - id: young-person-twice
    on: [asb.report]
    case: asb
    when: 'count("asb.report", "3mo", same: "event.subjects.young_person", where: )" + where +
           R"() >= 2'
    then:
      - flag: young-person-twice
)";
  };
  config_.Write("rules/rules.yaml", rule("event.data.age < 18"));
  ReloadRules();
  auto report = [](const std::string& id, const std::string& when, const std::string& person,
                   int age) {
    return Report(id, when, "100", Subject(person, "young_person"),
                  R"("age":)" + std::to_string(age));
  };
  Apply({report("e1", "2026-03-01T10:00:00Z", "person:C", 15)});
  auto c = Case("asb-000001");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->timeline[0].Fact("=event.data.age"), std::optional<std::string>("n15"));
  EXPECT_EQ(c->timeline[0].Fact("=event.subjects.young_person"),
            std::optional<std::string>("Lperson:C"));
  // A rule that reads a path the timeline does not hold (data.school_year).
  config_.Write("rules/rules.yaml", rule("event.data.age < 16 and not exists(event.data.school_year)"));
  ReloadRules();
  Apply({report("e2", "2026-03-10T10:00:00Z", "person:C", 15)});
  EXPECT_EQ(Case("asb-000001")->view.flags, std::vector<std::string>{"young-person-twice"});

  // Each kind of value reads back as itself.
  for (const rules::Value& v :
       {rules::Value(std::string("a b")), rules::Value(std::string()), rules::Value(true),
        rules::Value(false), rules::Value(15.0), rules::Value(-0.1), rules::Value(1e300),
        rules::Value(rules::Value::List{rules::Value(std::string("x")), rules::Value(std::string(""))}),
        rules::Value(rules::Value::List{rules::Value(1.0), rules::Value(std::string("y"))}),
        rules::Value(rules::Value::List{rules::Value(std::string("has\x1fsep"))}),
        rules::Value(rules::Value::List{})}) {
    rules::Value back = DecodeFact(EncodeFact(v));
    EXPECT_EQ(back.ToJson(), v.ToJson()) << EncodeFact(v);
  }
}

// "Five different complainants about this location": a joint complaint
// naming three reporters counts three, also when read back from the store.
TEST_F(EngineTest, DistinctCountsEachReporterOfAJointComplaint) {
  config_.Write("rules/rules.yaml", R"(rules:
  - id: complainants
    on: [asb.report]
    case: asb
    when: distinct("asb.report", "event.subjects.reporter", "6mo") >= 4
    then:
      - flag: four-complainants
)");
  ReloadRules();
  auto report = [](const std::string& id, const std::string& when,
                   const std::vector<std::string>& reporters) {
    std::string subjects;
    for (const auto& r : reporters) {
      subjects += std::string(subjects.empty() ? "" : ",") + Subject(r, "reporter");
    }
    return Report(id, when, "100", subjects, "");
  };
  Apply({report("e1", "2026-03-01T10:00:00Z", {"person:R1", "person:R2", "person:R3"})});
  EXPECT_TRUE(Case("asb-000001")->view.flags.empty());
  OpenEngine();
  Apply({report("e2", "2026-03-05T10:00:00Z", {"person:R2"})});  // no one new
  EXPECT_TRUE(Case("asb-000001")->view.flags.empty());
  Apply({report("e3", "2026-03-09T10:00:00Z", {"person:R4"})});
  EXPECT_EQ(Case("asb-000001")->view.flags, std::vector<std::string>{"four-complainants"});
}

// open: the event also joins (or opens) a case of another type, whose own
// rules then run for it: a youth case from an ASB report about a child.
TEST_F(EngineTest, OpenJoinsOrOpensACaseOfAnotherTypeWhoseRulesRun) {
  config_.Write("case_types.yaml", R"(case_types:
  - id: asb
    opened_by: [asb.report]
    correlate_by: [event.location.uprn]
    stages: [reported]
  - id: youth
    opened_by: []
    correlate_by: [event.subjects.young_person]
    stages: [referred]
)");
  config_.Write("rules/rules.yaml", R"(rules:
  - id: a-child-is-involved
    on: [asb.report]
    case: asb
    when: event.data.age < 18
    then:
      - open: youth
  - id: youth-referral
    on: [asb.report]
    case: youth
    then:
      - flag: referred-to-youth-service
)");
  ReloadRules();
  if (HasFailure()) return;
  auto report = [](const std::string& id, const std::string& uprn, const std::string& person,
                   int age) {
    return Report(id, "2026-03-01T10:00:00Z", uprn, Subject(person, "young_person"),
                  R"("age":)" + std::to_string(age));
  };
  Apply({report("e1", "100", "person:A", 34)});  // an adult: no youth case
  EXPECT_FALSE(Case("youth-000001"));
  Apply({report("e2", "100", "person:C", 15), report("e3", "200", "person:C", 15)});
  auto youth = Case("youth-000001");
  ASSERT_TRUE(youth);
  // Both of the child's reports, at two addresses, are on the one youth case.
  ASSERT_EQ(youth->timeline.size(), 2u);
  EXPECT_EQ(youth->timeline[0].event_id, "e2");
  EXPECT_EQ(youth->timeline[1].event_id, "e3");
  EXPECT_EQ(youth->view.flags, std::vector<std::string>{"referred-to-youth-service"});
  EXPECT_FALSE(Case("youth-000002"));
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 1u);
}

// SPEC 4 (v2): a case keeps the keys of the event that opened it, so a busy
// address does not snowball through everyone reported there; `link:` adds a
// key on purpose.
TEST_F(EngineTest, ACaseKeepsTheKeysOfItsOpeningEventAndLinkAddsOneOnPurpose) {
  config_.Write("case_types.yaml", R"(case_types:
  - id: asb
    opened_by: [asb.report]
    correlate_by: [event.location.uprn, event.subjects.perpetrator]
    stages: [reported]
)");
  config_.Write("rules/rules.yaml", R"(rules:
  - id: confirmed-perpetrator
    on: [asb.report]
    case: asb
    when: event.data.confirmed == true
    then:
      - link: event.subjects.perpetrator
)");
  ReloadRules();
  if (HasFailure()) return;
  auto report = [](const std::string& id, const std::string& uprn, const std::string& person,
                   bool confirmed) {
    return Report(id, "2026-03-01T10:00:00Z", uprn, Subject(person, "perpetrator"),
                  std::string(R"("confirmed":)") + (confirmed ? "true" : "false"));
  };
  // P1 at 100 opens a case; P2 at 100 joins it by the address, but P2 is not a key.
  Apply({report("e1", "100", "person:P1", false), report("e2", "100", "person:P2", false)});
  ASSERT_TRUE(Case("asb-000001"));
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(Case("asb-000001")->keys,
            (std::vector<std::string>{"event.location.uprn=100",
                                      "event.subjects.perpetrator=person:P1"}));
  // P2 elsewhere is another case; P1 elsewhere joins the first by the person.
  Apply({report("e3", "200", "person:P2", false), report("e4", "300", "person:P1", false)});
  ASSERT_TRUE(Case("asb-000002"));
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 1u);
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 3u);
  EXPECT_FALSE(Case("asb-000003"));
  // Confirmed at 100, P3 is linked to the case: P3 at 400 then joins it.
  Apply({report("e5", "100", "person:P3", true)});
  Apply({report("e6", "400", "person:P3", false)});
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 5u);
  EXPECT_FALSE(Case("asb-000003"));
  OpenEngine();  // the linked key is kept across a restart
  Apply({report("e7", "500", "person:P3", false)});
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 6u);
  EXPECT_FALSE(Case("asb-000003"));
}

// Windows are walked from the timeline's end and left early: an event applied
// late (after later ones) is still counted when it is in the window, and one
// just outside it is not.
TEST_F(EngineTest, AWindowCountsALateEventInItAndNotOneJustOutside) {
  config_.Write("rules/rules.yaml", R"(rules:
  - id: three-in-a-month
    on: [asb.report]
    case: asb
    when: count("asb.report", "30d") >= 3
    then:
      - flag: three-in-a-month
  - id: two-at-night-in-a-month
    on: [asb.report]
    case: asb
    when: 'distinct("asb.report", "event.data.incident_ref", "30d", where: event.data.night == true) >= 2'
    then:
      - flag: two-at-night
)");
  ReloadRules();
  if (HasFailure()) return;
  auto report = [](const std::string& id, const std::string& when, bool night) {
    return Report(id, when, "100", "",
                  R"("incident_ref":")" + id + R"(","night":)" + (night ? "true" : "false"));
  };
  Apply({report("e1", "2026-03-10T10:00:00Z", true), report("e2", "2026-03-20T10:00:00Z", false)});
  // Sent in late: 1 March is in the 30 days before 25 March; 20 February is not.
  Apply({report("e3", "2026-02-20T10:00:00Z", true)});
  Apply({report("e4", "2026-03-01T10:00:00Z", false)});
  EXPECT_TRUE(Case("asb-000001")->view.flags.empty());
  Apply({report("e5", "2026-03-25T10:00:00Z", false)});
  // e5: e1, e2, e4 and itself in 30 days: three and more; at night only e1 (e3 is outside).
  EXPECT_EQ(Case("asb-000001")->view.flags, std::vector<std::string>{"three-in-a-month"});
  Apply({report("e6", "2026-03-26T10:00:00Z", true)});
  EXPECT_EQ(Case("asb-000001")->view.flags,
            (std::vector<std::string>{"three-in-a-month", "two-at-night"}));
}

// A case's timeline and history are rows, written once each: a change writes
// what changed, and a record from before the rows (both inside it) is read as
// it was and moved to rows at its next write.
TEST_F(EngineTest, TimelineAndHistoryAreRowsAndAnOlderWholeRecordMovesToThem) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A")});
  Apply({Asb("e2", "2026-01-06T10:00:00Z", "100", "B")});
  auto summary = store_->Get(Family::kCases, "asb-000001");
  ASSERT_TRUE(summary.ok() && summary->has_value());
  EXPECT_EQ((*summary)->find("\"timeline\""), std::string::npos) << **summary;
  EXPECT_EQ((*summary)->find("\"history\""), std::string::npos) << **summary;
  size_t rows = 0;
  ASSERT_TRUE(store_->Scan(Family::kTimeline, "", [&](std::string_view, std::string_view) {
    ++rows;
    return true;
  }).ok());
  EXPECT_EQ(rows, 2u);
  auto c = Case("asb-000001");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->timeline.size(), 2u);
  EXPECT_EQ(c->opening_event, "e1");
  size_t history = c->history.size();
  EXPECT_GE(history, 1u);  // opened

  // A record as convene wrote them before: timeline and history inside.
  engine_.reset();
  rocksdb::WriteBatch old;
  old.Put(store_->handle(Family::kCases), "asb-000009",
          R"({"case":{"id":"asb-000009","type":"asb","stage":"reported","status":"open"},)"
          R"("subjects":[],"keys":["event.location.uprn=900"],"last_event_at":1767607200000,)"
          R"("idle_due":0,"opened_at_ms":1767607200000,)"
          R"("timeline":[["x1","asb.report",1767607200000,{}]],"fired":{},"referrals":[],)"
          R"("history":[{"at":"2026-01-05T10:00:00Z","event":"x1","action":"opened","detail":"opened by asb.report x1","rules_version":"v0"}]})");
  old.Put(store_->handle(Family::kIndexes), IndexKey('o', "asb", "event.location.uprn=900", "asb-000009"), "");
  ASSERT_TRUE(store_->Write(&old).ok());
  OpenEngine();
  auto before = Case("asb-000009");
  ASSERT_TRUE(before);
  ASSERT_EQ(before->timeline.size(), 1u);
  EXPECT_EQ(before->opening_event, "x1");
  Apply({Asb("e3", "2026-01-07T10:00:00Z", "900", "C")});
  auto after = Case("asb-000009");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->timeline.size(), 2u);
  EXPECT_EQ(after->timeline[0].event_id, "x1");
  EXPECT_EQ(after->timeline[1].event_id, "e3");
  ASSERT_GE(after->history.size(), 1u);
  EXPECT_EQ(after->history[0].detail, "opened by asb.report x1");
  summary = store_->Get(Family::kCases, "asb-000009");
  EXPECT_EQ((*summary)->find("\"timeline\":["), std::string::npos) << "moved to rows";
  EXPECT_EQ((*summary)->find("\"history\":["), std::string::npos) << "moved to rows";
  OpenEngine();  // read back from rows alone
  auto again = Case("asb-000009");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->timeline.size(), 2u);
  EXPECT_EQ(again->history.size(), after->history.size());
}

// Rows are binary (records.proto); rows a store holds as JSON from before are
// read beside them, and a damaged row is an error, not a shorter timeline.
TEST_F(EngineTest, BinaryRowsAreReadBesideJsonRowsAndADamagedOneIsAnError) {
  engine_.reset();
  rocksdb::WriteBatch old;
  old.Put(store_->handle(Family::kCases), "asb-000009",
          R"({"case":{"id":"asb-000009","type":"asb","stage":"reported","status":"open"},)"
          R"("subjects":[],"keys":["event.location.uprn=900"],"last_event_at":1767607200000,)"
          R"("idle_due":0,"opened_at_ms":1767607200000,"opening_event":"x1",)"
          R"("timeline_rows":1,"history_rows":1,"fired":{},"referrals":[]})");
  old.Put(store_->handle(Family::kTimeline), CaseRowKey("asb-000009", 0),
          R"(["x1","asb.report",1767607200000,{"data.incident_ref":"R1","data.gone":null}])");
  old.Put(store_->handle(Family::kHistory), CaseRowKey("asb-000009", 0),
          R"({"at":"2026-01-05T10:00:00Z","event":"x1","action":"opened","detail":"opened by asb.report x1","rules_version":"v0"})");
  old.Put(store_->handle(Family::kIndexes), IndexKey('o', "asb", "event.location.uprn=900", "asb-000009"), "");
  ASSERT_TRUE(store_->Write(&old).ok());
  OpenEngine();
  Apply({Asb("e3", "2026-01-07T10:00:00Z", "900", "R2", "", "noise")});  // rule noisy fires
  auto row = store_->Get(Family::kTimeline, CaseRowKey("asb-000009", 1));
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((**row)[0], '\x01') << "written binary";
  auto c = Case("asb-000009");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->timeline.size(), 2u);
  EXPECT_EQ(c->timeline[0].Fact("data.incident_ref"), std::optional<std::string>("R1"));
  EXPECT_EQ(c->timeline[0].Fact("data.gone"), std::make_optional(std::optional<std::string>()));
  EXPECT_EQ(c->timeline[1].event_id, "e3");
  EXPECT_EQ(c->timeline[1].occurred_at, *ParseRfc3339("2026-01-07T10:00:00Z"));
  EXPECT_EQ(c->timeline[1].Fact("data.incident_ref"), std::optional<std::string>("R2"));
  ASSERT_GE(c->history.size(), 2u);
  EXPECT_EQ(c->history[0].detail, "opened by asb.report x1");
  EXPECT_EQ(c->history[1].event_id, "e3");

  // A binary row cut short inside its event id. (Damage on disk is found by
  // RocksDB's block checksums before a row is decoded.)
  engine_.reset();
  rocksdb::WriteBatch damage;
  damage.Put(store_->handle(Family::kTimeline), CaseRowKey("asb-000009", 1), (**row).substr(0, 3));
  ASSERT_TRUE(store_->Write(&damage).ok());
  auto damaged = ReadCase(*store_, "asb-000009", /*with_history=*/false);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), Status::Code::kCorruption);
  EXPECT_NE(damaged.status().message().find("asb-000009: a damaged row"), std::string::npos);
}

// Cases past the cache's size are let go after a batch and read back from
// the store when an event needs them: nothing about them is lost.
TEST_F(EngineTest, CasesLetGoFromMemoryAreReadBackWhole) {
  engine_.reset();
  EngineOptions options;
  options.case_cache_size = 2;
  auto engine = Engine::Open(store_.get(), rules_, &clock_, options);
  ASSERT_TRUE(engine.ok());
  engine_ = std::move(*engine);
  for (int i = 0; i < 6; ++i) {
    std::string n = std::to_string(i);
    Apply({Asb("a" + n, "2026-01-05T10:00:00Z", "10" + n, "A" + n)});
  }
  // asb-000001 was let go long since; its next events find it whole.
  Apply({Asb("b0", "2026-01-06T10:00:00Z", "100", "B0")});
  Apply({Asb("c0", "2026-01-07T10:00:00Z", "100", "C0")});
  auto c = Case("asb-000001");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->timeline.size(), 3u);
  EXPECT_EQ(c->timeline[0].event_id, "a0");
  EXPECT_EQ(c->timeline[2].event_id, "c0");
  EXPECT_FALSE(Case("asb-000007"));  // no second case for the same address
}

TEST_F(EngineTest, RecordsTheBrokerNoLongerHadAreCountedAsLost) {
  next_offset_ = 7;  // offsets 0..6 were deleted by retention before the engine read them
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A")});
  EXPECT_EQ(engine_->totals().lost, 7u);
  next_offset_ = 10;
  Apply({Asb("e2", "2026-01-06T10:00:00Z", "100", "B")});
  EXPECT_EQ(engine_->totals().lost, 9u);
  EXPECT_EQ(engine_->StoredOffset("convene.events", 0), 11);
}

TEST_F(EngineTest, ABinaryPayloadIsKeptAsBase64) {
  Apply({std::string("\xff\x00\x01", 3)});
  auto dead = Outbox("convene.dead-letter");
  ASSERT_EQ(dead.size(), 1u);
  rapidjson::Document d;
  d.Parse(dead[0].payload.c_str());
  EXPECT_EQ(json::GetString(d, "original_base64"), "/wAB");
}

TEST_F(EngineTest, CaseReviewThresholdCountsAnIncidentReportedTwiceOnce) {
  Apply({Asb("e1", "2026-03-02T10:00:00Z", "100", "INC-1"),
         Asb("e2", "2026-03-03T10:00:00Z", "100", "INC-1"),  // same incident, second agency
         Asb("e3", "2026-03-04T10:00:00Z", "100", "INC-2")});
  EXPECT_TRUE(Outbox("convene.tasks.council-asb").empty());
  Apply({Asb("e4", "2026-04-01T10:00:00Z", "100", "INC-3")});
  auto tasks = Outbox("convene.tasks.council-asb");
  ASSERT_EQ(tasks.size(), 1u);
  rapidjson::Document t;
  t.Parse(tasks[0].payload.c_str());
  EXPECT_EQ(json::GetString(t, "task_id"), MakeTaskId("asb-000001", "threshold", 1, "e4", "council-asb"));
  EXPECT_EQ(json::GetString(t, "kind"), "action");
  EXPECT_EQ(json::GetString(t, "priority"), "high");
  EXPECT_EQ(json::GetString(t, "title"), "Case Review asb-000001 at SG1 1AA");
  EXPECT_EQ(json::GetString(t, "rules_version"), rules_->version);
  // 1 April 2026 (Wednesday, 11:00 BST) + 10 working days, skipping Good Friday
  // and Easter Monday: Friday 17 April at the same local time.
  EXPECT_EQ(json::GetString(t, "due_at"), "2026-04-17T10:00:00Z");
  EXPECT_EQ(json::GetString(t, "created_at"), "2026-11-26T09:00:00Z");
  EXPECT_EQ(Case("asb-000001")->view.stage, "case-review");
  // The notify went to housing, with only what housing may see.
  auto notes = Outbox("convene.tasks.housing");
  ASSERT_EQ(notes.size(), 1u);
  rapidjson::Document n;
  n.Parse(notes[0].payload.c_str());
  EXPECT_EQ(json::GetString(n, "kind"), "notify");
  EXPECT_TRUE(n["context"]["event"]["location"].HasMember("postcode"));
  EXPECT_FALSE(n["context"]["event"]["location"].HasMember("uprn"));
  EXPECT_FALSE(n["context"]["event"].HasMember("data"));
  // once: case — a fifth incident does not fire it again.
  Apply({Asb("e5", "2026-04-02T10:00:00Z", "100", "INC-4")});
  EXPECT_EQ(Outbox("convene.tasks.council-asb").size(), 1u);
}

TEST_F(EngineTest, EscalationOnlyMovesUpButSetStageMovesAnywhere) {
  auto event = [](const std::string& id, const std::string& type, const std::string& text) {
    return R"({"id":")" + id + R"(","type":")" + type +
           R"(","occurred_at":"2026-03-05T10:00:00Z","source":"police","location":{"uprn":"100"},)"
           R"("data":{"text":")" + text + R"("}})";
  };
  Apply({Asb("e1", "2026-03-02T10:00:00Z", "100", "A"), event("w1", "cpn.warning", "")});
  EXPECT_EQ(Case("asb-000001")->view.stage, "warning");
  Apply({event("n1", "case.note", "back to reported")});
  EXPECT_EQ(Case("asb-000001")->view.stage, "warning");
  Apply({event("n2", "case.note", "reset")});
  EXPECT_EQ(Case("asb-000001")->view.stage, "reported");
}

TEST_F(EngineTest, CooldownHoldsARuleBack) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A", "", "noise"),
         Asb("e2", "2026-03-10T10:00:00Z", "100", "B", "", "noise"),
         Asb("e3", "2026-04-05T10:00:00Z", "100", "C", "", "noise")});
  auto tasks = Outbox("convene.tasks.police");
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_NE(tasks[0].payload.find("\"trigger_event\":\"e1\""), std::string::npos);
  EXPECT_NE(tasks[1].payload.find("\"trigger_event\":\"e3\""), std::string::npos);
  auto flags = Case("asb-000001")->view.flags;
  EXPECT_EQ(flags, std::vector<std::string>{"noise"});
}

TEST_F(EngineTest, StateAndOffsetsSurviveAReopen) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A"),
         Asb("e2", "2026-03-02T10:00:00Z", "200", "B")});
  OpenEngine();
  EXPECT_EQ(engine_->StoredOffset("convene.events", 0), 2);
  Apply({Asb("e3", "2026-03-03T10:00:00Z", "100", "C"),
         Asb("e4", "2026-03-04T10:00:00Z", "300", "D"),
         Asb("e1", "2026-03-01T10:00:00Z", "100", "A")});  // replayed: already applied
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_TRUE(Case("asb-000003"));  // the sequence carried on
  EXPECT_EQ(engine_->totals().duplicates, 1u);
}

TEST_F(EngineTest, TaskEventsUpdateTheTaskAndRulesCanReact) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A", "", "noise")});
  std::string task_id = MakeTaskId("asb-000001", "noisy", 1, "e1", "police");
  Apply({R"({"id":"d1","type":"task.declined","occurred_at":"2026-03-02T10:00:00Z","source":"police","data":{"task_id":")" +
         task_id + R"(","by":"PC 123","note":"not police matter"}})"});
  auto record = store_->Get(Family::kTasks, task_id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ(Task::FromRecord(**record)->status, "declined");
  auto tasks = Outbox("convene.tasks.police");
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_NE(tasks[1].payload.find("Task declined on asb-000001"), std::string::npos);
  // A task event for a task that does not exist is rejected with the reason.
  Apply({R"({"id":"d2","type":"task.completed","occurred_at":"2026-03-02T10:00:00Z","source":"police","data":{"task_id":"t-nope"}})"});
  auto dead = Outbox("convene.dead-letter");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].payload.find("unknown task 't-nope'"), std::string::npos);
  // Nor may another partner act on police's task: rejected, the task as it was.
  Apply({R"({"id":"d3","type":"task.completed","occurred_at":"2026-03-02T11:00:00Z","source":"housing","data":{"task_id":")" +
         task_id + R"("}})"});
  dead = Outbox("convene.dead-letter");
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_NE(dead[1].payload.find("is police's; source 'housing' may not act on it"), std::string::npos)
      << dead[1].payload;
  EXPECT_EQ(Task::FromRecord(**store_->Get(Family::kTasks, task_id))->status, "declined");
}

TEST_F(EngineTest, AClosedCaseTakesNoMoreEvents) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A")});
  Apply({R"({"id":"x1","type":"case.closed","occurred_at":"2026-03-05T10:00:00Z","source":"council-asb","data":{"case_id":"asb-000001","reason":"resolved"}})"});
  EXPECT_EQ(Case("asb-000001")->view.status, "closed");
  Apply({Asb("e2", "2026-03-06T10:00:00Z", "100", "B")});
  EXPECT_EQ(Case("asb-000001")->timeline.size(), 2u);
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 1u);
  // The closure is reopened by nothing: after a restart the index agrees.
  OpenEngine();
  Apply({Asb("e3", "2026-03-07T10:00:00Z", "100", "C")});
  EXPECT_EQ(Case("asb-000002")->timeline.size(), 2u);
}

TEST_F(EngineTest, PriorCasesSeesEarlierCasesSharingAKey) {
  auto crime = [](const std::string& id, const std::string& when) {
    return R"({"id":")" + id + R"(","type":"crime.report","occurred_at":")" + when +
           R"(","source":"police","subjects":[{"id":"person:V1","role":"victim"}],"data":{"hate_motivation":"race"}})";
  };
  Apply({crime("c1", "2026-01-01T10:00:00Z")});
  Apply({R"({"id":"x1","type":"case.closed","occurred_at":"2026-02-01T10:00:00Z","source":"police","data":{"case_id":"hate-000001"}})"});
  Apply({crime("c2", "2026-03-01T10:00:00Z")});
  auto second = Case("hate-000002");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->view.flags, std::vector<std::string>{"repeat-victim"});
  EXPECT_TRUE(Case("hate-000001")->view.flags.empty());
}

// A cpn.issued at uprn `uprn`, which arms the `review` rule's SLA clock.
std::string Issued(const std::string& id, const std::string& uprn) {
  return R"({"id":")" + id +
         R"(","type":"cpn.issued","occurred_at":"2026-11-25T10:00:00Z","source":"council-asb","location":{"uprn":")" +
         uprn + R"("}})";
}

TEST_F(EngineTest, ADeadlineThatPassedWhileStoppedFiresAtStart) {
  // Thursday 26 Nov 2026 09:00: acknowledge within 1 working day -> Friday 09:00.
  Apply({Asb("e1", "2026-11-20T10:00:00Z", "100", "A"), Issued("n1", "100")});
  ASSERT_EQ(*engine_->FireDueTimers(), 0u);
  OpenEngine();  // the engine stops...
  clock_.Set(*ParseRfc3339("2026-11-30T08:00:00Z"));  // ...and starts again after the deadline
  auto fired = engine_->FireDueTimers();
  ASSERT_TRUE(fired.ok());
  EXPECT_EQ(*fired, 1u);
  auto tasks = Outbox("convene.tasks.police");
  ASSERT_EQ(tasks.size(), 1u);
  rapidjson::Document d;
  d.Parse(tasks[0].payload.c_str());
  EXPECT_EQ(json::GetString(d, "title"), "Overdue: Review asb-000001 (council-asb)");
  EXPECT_EQ(json::GetString(d, "kind"), "escalation");
  EXPECT_EQ(*engine_->FireDueTimers(), 0u);  // fired once, gone
}

TEST_F(EngineTest, AcknowledgingATaskStopsItsClock) {
  Apply({Asb("e1", "2026-11-20T10:00:00Z", "100", "A"), Issued("n1", "100")});
  std::string task_id = MakeTaskId("asb-000001", "review", 0, "n1", "council-asb");
  Apply({R"({"id":"a1","type":"task.acknowledged","occurred_at":"2026-11-26T10:00:00Z","source":"council-asb","data":{"task_id":")" +
         task_id + R"("}})"});
  clock_.Set(*ParseRfc3339("2026-12-10T08:00:00Z"));
  ASSERT_EQ(*engine_->FireDueTimers(), 1u);
  EXPECT_TRUE(Outbox("convene.tasks.police").empty());
}

// A late or repeated task event does not take a task back: once completed
// it stays completed, and the first acknowledgement keeps its time.
TEST_F(EngineTest, AFinishedTaskIsNotReopenedByALaterEvent) {
  Apply({Asb("e1", "2026-11-20T10:00:00Z", "100", "A"), Issued("n1", "100")});
  std::string task_id = MakeTaskId("asb-000001", "review", 0, "n1", "council-asb");
  auto event = [&](const std::string& id, const std::string& type, const std::string& at) {
    return R"({"id":")" + id + R"(","type":")" + type + R"(","occurred_at":")" + at +
           R"(","source":"council-asb","data":{"task_id":")" + task_id + R"("}})";
  };
  Apply({event("a1", "task.acknowledged", "2026-11-21T10:00:00Z")});
  Apply({event("a2", "task.acknowledged", "2026-11-22T10:00:00Z")});
  Apply({event("c1", "task.completed", "2026-11-23T10:00:00Z")});
  Apply({event("a3", "task.acknowledged", "2026-11-24T10:00:00Z"),
         event("d1", "task.declined", "2026-11-24T11:00:00Z"),
         event("k1", "task.claimed", "2026-11-24T12:00:00Z")});
  auto task = ReadTask(*store_, task_id);
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ((*task)->status, "completed");
  EXPECT_EQ((*task)->acknowledged_at, *ParseRfc3339("2026-11-21T10:00:00Z"));
  EXPECT_EQ((*task)->finished_at, *ParseRfc3339("2026-11-23T10:00:00Z"));
  EXPECT_EQ((*task)->claimed_by, "");
  int ignored = 0;
  auto c = Case("asb-000001");  // held: the loop below must not range over a temporary
  ASSERT_TRUE(c);
  for (const auto& h : c->history) ignored += h.action == "ignored";
  EXPECT_EQ(ignored, 4);  // a2, a3, d1, k1
}

TEST_F(EngineTest, AnIdleCaseClosesOnEventTime) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A")});
  // The wall clock is far ahead, but no event time has passed: nothing closes.
  EXPECT_EQ(*engine_->FireDueTimers(), 0u);
  engine_->AdvanceEventTime(*ParseRfc3339("2026-03-06T10:00:00Z"));
  EXPECT_EQ(*engine_->FireDueTimers(), 1u);
  EXPECT_EQ(Case("asb-000001")->view.status, "closed");
  Apply({Asb("e2", "2026-03-07T10:00:00Z", "100", "B")});
  EXPECT_TRUE(Case("asb-000002"));
}

TEST_F(EngineTest, ANewEventPushesTheIdleClockBack) {
  Apply({Asb("e1", "2026-01-05T10:00:00Z", "100", "A")});
  Apply({Asb("e2", "2026-02-05T10:00:00Z", "100", "B")});
  // The clock armed at e1 runs out (e1 + 60 days, this config's
  // close_after_idle) and finds e2: it moves itself on, the case stays open.
  engine_->AdvanceEventTime(*ParseRfc3339("2026-03-06T10:00:00Z"));
  EXPECT_LE(*engine_->FireDueTimers(), 1u);
  EXPECT_EQ(Case("asb-000001")->view.status, "open");
  EXPECT_EQ(*engine_->FireDueTimers(), 0u);  // moved on, not due again yet
  EXPECT_EQ(Case("asb-000001")->view.status, "open");
  // It closes once 60 days have passed since e2.
  engine_->AdvanceEventTime(*ParseRfc3339("2026-04-06T10:00:00Z"));
  EXPECT_EQ(*engine_->FireDueTimers(), 1u);
  EXPECT_EQ(Case("asb-000001")->view.status, "closed");
}

TEST_F(EngineTest, ThousandsOfDueTimersFireInBoundedChunks) {
  std::vector<std::string> batch;
  for (int i = 0; i < 2500; ++i) {
    std::string n = std::to_string(i), report = "e", notice = "n";
    report += n;
    notice += n;
    batch.push_back(Asb(report, "2026-11-20T10:00:00Z", n, "A"));
    batch.push_back(Issued(notice, n));
  }
  Apply(batch);
  clock_.Set(*ParseRfc3339("2026-12-01T08:00:00Z"));
  EXPECT_EQ(*engine_->FireDueTimers(1000), 1000u);
  EXPECT_EQ(*engine_->FireDueTimers(1000), 1000u);
  EXPECT_EQ(*engine_->FireDueTimers(1000), 500u);
  EXPECT_EQ(Outbox("convene.tasks.police").size(), 2500u);
}

TEST_F(EngineTest, TheHistoryRecordsWhatWasWithheld) {
  Apply({Asb("e1", "2026-03-01T10:00:00Z", "100", "A", "person:P1", "noise")});
  auto c = Case("asb-000001");
  ASSERT_TRUE(c);
  bool found = false;
  for (const auto& h : c->history) {
    if (h.action == "task" && h.rule == "noisy") {
      found = true;
      EXPECT_NE(h.detail.find("withheld: event.location"), std::string::npos) << h.detail;
      EXPECT_EQ(h.rules_version, rules_->version);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace convene::engine

#include "engine/policy_test_runner.h"

#include <algorithm>
#include <functional>
#include <map>

#include "engine/engine.h"
#include "rules/json.h"

namespace convene::engine {
namespace {

struct EmittedTask {
  std::string id, to, rule, kind, priority, case_type, due_at, title, case_id;
};

bool Matches(const rules::TaskMatcher& m, const EmittedTask& t) {
  auto eq = [](const std::optional<std::string>& want, const std::string& got) {
    return !want || *want == got;
  };
  return eq(m.to, t.to) && eq(m.rule, t.rule) && eq(m.kind, t.kind) &&
         eq(m.priority, t.priority) && eq(m.case_type, t.case_type) && eq(m.due_at, t.due_at) &&
         (!m.title_contains || t.title.find(*m.title_contains) != std::string::npos);
}

std::string Describe(const EmittedTask& t) {
  std::string s = "{to: " + t.to + ", rule: " + t.rule + ", kind: " + t.kind +
                  ", priority: " + t.priority + ", case: " + t.case_id;
  if (!t.due_at.empty()) s += ", due_at: " + t.due_at;
  return s + ", title: \"" + t.title + "\"}";
}

// Each matcher must match a different task: a maximum bipartite matching.
// Returns, per matcher, the index of its task or -1.
std::vector<int> MatchTasks(const std::vector<rules::TaskMatcher>& matchers,
                            const std::vector<EmittedTask>& tasks) {
  std::vector<int> task_owner(tasks.size(), -1), result(matchers.size(), -1);
  std::function<bool(size_t, std::vector<bool>&)> augment = [&](size_t m, std::vector<bool>& seen) {
    for (size_t t = 0; t < tasks.size(); ++t) {
      if (seen[t] || !Matches(matchers[m], tasks[t])) continue;
      seen[t] = true;
      if (task_owner[t] < 0 || augment(static_cast<size_t>(task_owner[t]), seen)) {
        task_owner[t] = static_cast<int>(m);
        result[m] = static_cast<int>(t);
        return true;
      }
    }
    return false;
  };
  for (size_t m = 0; m < matchers.size(); ++m) {
    std::vector<bool> seen(tasks.size(), false);
    augment(m, seen);
  }
  return result;
}

class TestRun {
 public:
  TestRun(std::shared_ptr<const rules::RuleSet> rules, const rules::PolicyTest& test,
          const std::filesystem::path& dir)
      : rules_(std::move(rules)), test_(test), dir_(dir), clock_(0) {
    for (const auto& p : rules_->partners) partner_by_topic_[p.topic] = p.id;
  }

  PolicyTestResult Run() {
    PolicyTestResult result;
    result.test = &test_;
    std::filesystem::remove_all(dir_);
    auto store = CaseStore::Open(dir_);
    if (!store.ok()) return Fail(result, store.status().message());
    store_ = std::move(*store);
    EngineOptions options;
    options.sync = false;  // a scratch store: nothing to make durable
    auto engine = Engine::Open(store_.get(), rules_, &clock_, options);
    if (!engine.ok()) return Fail(result, engine.status().message());
    engine_ = std::move(*engine);
    for (const auto& step : test_.steps) {
      if (Status s = Step(step, &result); !s.ok()) result.failures.push_back(s.message());
    }
    Check(&result);
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
    result.passed = result.failures.empty();
    return result;
  }

 private:
  PolicyTestResult Fail(PolicyTestResult& r, const std::string& why) {
    r.failures.push_back(why);
    return r;
  }

  void MoveClockTo(TimeMs t) {
    if (t > clock_.Now()) clock_.Set(t);
    // In a test, time is event time: both clocks move together.
    engine_->AdvanceEventTime(clock_.Now());
    while (true) {
      auto fired = engine_->FireDueTimers();
      if (!fired.ok() || *fired == 0) break;
    }
    Drain();
  }

  Status Step(const rules::TestStep& step, PolicyTestResult* result) {
    std::string where = test_.file + ":" + std::to_string(step.line) + ": ";
    switch (step.kind) {
      case rules::TestStep::Kind::kAdvance:
        MoveClockTo(step.advance.After(clock_.Now(), rules_->calendars));
        return Status::Ok();
      case rules::TestStep::Kind::kAt:
        MoveClockTo(step.at);
        return Status::Ok();
      case rules::TestStep::Kind::kRaw:
        return Apply(step.json, "");
      case rules::TestStep::Kind::kEvent:
        break;
    }
    rapidjson::Document d;
    d.Parse(step.json.c_str());
    if (auto t = ParseRfc3339(json::GetString(d, "occurred_at"))) {
      if (clock_.Now() == 0) clock_.Set(*t);
      MoveClockTo(*t);
    }
    if (!step.task_rule.empty()) {
      const EmittedTask* newest = nullptr;
      for (const auto& t : tasks_) {
        if (t.rule == step.task_rule && t.to == step.task_partner && Open(t.id)) newest = &t;
      }
      if (!newest) {
        (void)result;
        return Status::Error(where + "no open task from rule '" + step.task_rule + "' to '" +
                             step.task_partner + "' for this " +
                             std::string(json::GetString(d, "type")) + " to name");
      }
      auto& a = d.GetAllocator();
      d["data"].RemoveMember("rule");
      d["data"].RemoveMember("to");
      d["data"].AddMember("task_id", rapidjson::Value(newest->id.c_str(), a), a);
    }
    return Apply(json::Serialize(d), std::string(json::GetString(d, "id")));
  }

  bool Open(const std::string& task_id) {
    auto rec = store_->Get(Family::kTasks, task_id);
    if (!rec.ok() || !rec->has_value()) return false;
    auto t = Task::FromRecord(**rec);
    return t.ok() && (t->status == "open" || t->status == "acknowledged");
  }

  Status Apply(const std::string& payload, const std::string& event_id) {
    uint64_t rejected = engine_->totals().rejected;
    Status s = engine_->ProcessBatch({{engine_->events_topic(), 0, offset_++, event_id, payload}});
    if (!s.ok()) return s;
    if (engine_->totals().rejected == rejected && !event_id.empty()) last_events_.push_back(event_id);
    Drain();
    return Status::Ok();
  }

  // Reads what the engine queued for publishing, as partners would receive it.
  void Drain() {
    rocksdb::WriteBatch done;
    store_->Scan(Family::kOutbox, "", [&](std::string_view key, std::string_view value) {
      OutboxMessage m;
      if (OutboxMessage::Decode(value, &m)) {
        if (m.topic == engine_->dead_letter_topic()) {
          ++dead_letters_;
        } else if (auto p = partner_by_topic_.find(m.topic); p != partner_by_topic_.end()) {
          rapidjson::Document d;
          d.Parse(m.payload.c_str());
          EmittedTask t;
          t.id = json::GetString(d, "task_id");
          t.to = p->second;
          t.rule = json::GetString(d, "rule");
          t.kind = json::GetString(d, "kind");
          t.priority = json::GetString(d, "priority");
          t.case_type = json::GetString(d, "case_type");
          t.case_id = json::GetString(d, "case_id");
          t.due_at = json::GetString(d, "due_at");
          t.title = json::GetString(d, "title");
          tasks_.push_back(std::move(t));
        }
      }
      done.Delete(store_->handle(Family::kOutbox), rocksdb::Slice(key.data(), key.size()));
      return true;
    });
    (void)store_->Write(&done, false);
  }

  // The case the last accepted event joined.
  std::optional<CaseRecord> LastCase() {
    for (auto it = last_events_.rbegin(); it != last_events_.rend(); ++it) {
      std::optional<CaseRecord> found;
      store_->Scan(Family::kCases, "", [&](std::string_view, std::string_view v) {
        auto c = CaseRecord::Parse(v);
        if (!c.ok()) return true;
        for (const auto& e : c->timeline) {
          if (e.event_id == *it) {
            found = std::move(*c);
            return false;
          }
        }
        return true;
      });
      if (found) return found;
    }
    return std::nullopt;
  }

  void Check(PolicyTestResult* r) {
    const rules::TestExpect& x = test_.expect;
    auto fail = [r](std::string s) { r->failures.push_back(std::move(s)); };
    std::vector<int> matched = MatchTasks(x.tasks, tasks_);
    std::vector<bool> used(tasks_.size(), false);
    for (size_t m = 0; m < x.tasks.size(); ++m) {
      if (matched[m] < 0) {
        fail("expected a task " + x.tasks[m].Describe() + ": no other emitted task matches");
      } else {
        used[static_cast<size_t>(matched[m])] = true;
      }
    }
    bool any_missing = std::count(matched.begin(), matched.end(), -1) > 0;
    if (x.no_tasks && !tasks_.empty()) {
      fail("expected no tasks, got " + std::to_string(tasks_.size()) + ":");
      for (const auto& t : tasks_) fail("  " + Describe(t));
    } else if (x.only || any_missing) {
      std::vector<std::string> extra;
      for (size_t i = 0; i < tasks_.size(); ++i) {
        if (!used[i]) extra.push_back("  " + Describe(tasks_[i]));
      }
      if (!extra.empty() && x.only) fail("extra tasks (only: true):");
      if (!extra.empty() && !x.only) fail("tasks emitted that no matcher took:");
      if (!extra.empty()) {
        for (auto& e : extra) fail(std::move(e));
      }
    }
    if (x.cases && static_cast<int>(engine_->totals().cases_opened) != *x.cases) {
      fail("cases: expected " + std::to_string(*x.cases) + " opened, got " +
           std::to_string(engine_->totals().cases_opened));
    }
    if (x.dead_letters && dead_letters_ != *x.dead_letters) {
      fail("dead_letters: expected " + std::to_string(*x.dead_letters) + ", got " +
           std::to_string(dead_letters_));
    }
    if (x.stage || x.flags || x.risk) {
      auto c = LastCase();
      if (!c) {
        fail("expected a case (stage/flags/risk), but the events joined none");
        return;
      }
      if (x.stage && c->view.stage != *x.stage) {
        fail("stage of " + c->view.id + ": expected " + *x.stage + ", got " + c->view.stage);
      }
      if (x.flags) {
        auto want = *x.flags, got = c->view.flags;
        std::sort(want.begin(), want.end());
        std::sort(got.begin(), got.end());
        if (want != got) {
          auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (const auto& f : v) s += (s.empty() ? "" : ", ") + f;
            return "[" + s + "]";
          };
          fail("flags of " + c->view.id + ": expected " + join(want) + ", got " + join(got));
        }
      }
      if (x.risk) {
        auto it = c->view.fields.find("risk");
        std::string got = it == c->view.fields.end() ? "(none)" : it->second;
        if (got != *x.risk) fail("risk of " + c->view.id + ": expected " + *x.risk + ", got " + got);
      }
    }
  }

  std::shared_ptr<const rules::RuleSet> rules_;
  const rules::PolicyTest& test_;
  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<CaseStore> store_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, std::string> partner_by_topic_;
  std::vector<EmittedTask> tasks_;
  std::vector<std::string> last_events_;
  int dead_letters_ = 0;
  int64_t offset_ = 0;
};

}  // namespace

std::vector<PolicyTestResult> RunPolicyTests(std::shared_ptr<const rules::RuleSet> rules,
                                             const std::vector<rules::PolicyTest>& tests,
                                             const std::filesystem::path& scratch) {
  std::vector<PolicyTestResult> results;
  for (size_t i = 0; i < tests.size(); ++i) {
    results.push_back(TestRun(rules, tests[i], scratch / ("test-" + std::to_string(i))).Run());
  }
  return results;
}

}  // namespace convene::engine

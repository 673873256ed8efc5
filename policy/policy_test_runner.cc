#include "policy/policy_test_runner.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "engine/engine.h"
#include "policy/event_time_run.h"
#include "rules/json.h"

namespace convene::policy {

using engine::CaseRecord;
using engine::Family;
using engine::Referral;
using engine::CaseStore;
using engine::Engine;
using engine::EngineOptions;
using engine::ReadCase;
namespace {

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
      : rules_(std::move(rules)), test_(test), dir_(dir) {}

  PolicyTestResult Run() {
    PolicyTestResult result;
    result.test = &test_;
    auto run = EventTimeRun::Open(rules_, dir_);
    if (!run.ok()) {
      result.failures.push_back(run.status().message());
      return result;
    }
    run_ = std::move(*run);
    for (const auto& step : test_.steps) {
      if (Status s = Step(step); !s.ok()) result.failures.push_back(s.message());
    }
    Check(&result);
    if (!run_->status().ok()) result.failures.push_back(run_->status().message());
    if (!scan_error_.ok()) {
      result.failures.push_back("the run's store could not be read: " + scan_error_.message());
    }
    run_.reset();
    result.passed = result.failures.empty();
    return result;
  }

 private:
  Status Step(const rules::TestStep& step) {
    switch (step.kind) {
      case rules::TestStep::Kind::kAdvance:
        run_->MoveClockTo(step.advance.After(run_->now(), rules_->calendars));
        return Status::Ok();
      case rules::TestStep::Kind::kAt:
        run_->MoveClockTo(step.at);
        return Status::Ok();
      case rules::TestStep::Kind::kRaw:
        return Apply(step.json, "");
      case rules::TestStep::Kind::kEvent:
        break;
    }
    rapidjson::Document d;
    (void)json::Parse(&d, step.json);  // the engine says what is wrong with it
    if (!step.task_rule.empty()) {
      // The newest open task from that rule to that partner, as of the event.
      if (auto t = ParseRfc3339(json::GetString(d, "occurred_at"))) run_->MoveClockTo(*t);
      const EmittedTask* newest = nullptr;
      for (const auto& t : run_->tasks()) {
        if (t.rule == step.task_rule && t.to == step.task_partner && Open(t.id)) newest = &t;
      }
      if (!newest) {
        return Status::Error(test_.file + ":" + std::to_string(step.line) +
                             ": no open task from rule '" + step.task_rule + "' to '" +
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

  // Whether the task is still open; a read that fails is a failure of the
  // test (as in ScanCases), never "not open".
  bool Open(const std::string& task_id) {
    auto t = engine::ReadTask(*run_->store(), task_id);
    if (!t.ok()) {
      if (scan_error_.ok()) scan_error_ = t.status();
      return false;
    }
    return t->has_value() && engine::IsOpenStatus((*t)->status);
  }

  Status Apply(const std::string& payload, const std::string& event_id) {
    auto accepted = run_->Apply(payload);
    if (!accepted.ok()) return accepted.status();
    if (*accepted) last_events_.push_back(event_id);
    return Status::Ok();
  }

  // Every case of the run, until `fn` returns false; a failed scan is a
  // failure of the test, never a shorter answer.
  void ScanCases(const std::function<bool(const CaseRecord&)>& fn) {
    Status s = run_->store()->Scan(Family::kCases, "", [&](std::string_view id, std::string_view) {
      auto c = ReadCase(*run_->store(), id, false);
      if (!c.ok()) {
        if (scan_error_.ok()) scan_error_ = c.status();
        return false;
      }
      return !c->has_value() || fn(**c);
    });
    if (!s.ok() && scan_error_.ok()) scan_error_ = s;
  }

  // The case the last accepted event joined.
  std::optional<CaseRecord> LastCase() {
    for (auto it = last_events_.rbegin(); it != last_events_.rend(); ++it) {
      std::optional<CaseRecord> found;
      ScanCases([&](const CaseRecord& c) {
        for (const auto& e : c.timeline) {
          if (e.event_id == *it) {
            found = c;
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
    const std::vector<EmittedTask>& tasks = run_->tasks();
    std::vector<int> matched = MatchTasks(x.tasks, tasks);
    std::vector<bool> used(tasks.size(), false);
    for (size_t m = 0; m < x.tasks.size(); ++m) {
      if (matched[m] < 0) {
        fail("expected a task " + x.tasks[m].Describe() + ": no other emitted task matches");
      } else {
        used[static_cast<size_t>(matched[m])] = true;
      }
    }
    bool any_missing = std::count(matched.begin(), matched.end(), -1) > 0;
    if (x.no_tasks && !tasks.empty()) {
      fail("expected no tasks, got " + std::to_string(tasks.size()) + ":");
      for (const auto& t : tasks) fail("  " + Describe(t));
    } else if (x.only || any_missing) {
      std::vector<std::string> extra;
      for (size_t i = 0; i < tasks.size(); ++i) {
        if (!used[i]) extra.push_back("  " + Describe(tasks[i]));
      }
      if (!extra.empty() && x.only) fail("extra tasks (only: true):");
      if (!extra.empty() && !x.only) fail("tasks emitted that no matcher took:");
      if (!extra.empty()) {
        for (auto& e : extra) fail(std::move(e));
      }
    }
    uint64_t opened = run_->engine()->totals().cases_opened;
    if (x.cases && static_cast<int>(opened) != *x.cases) {
      fail("cases: expected " + std::to_string(*x.cases) + " opened, got " +
           std::to_string(opened));
    }
    if (x.dead_letters && run_->dead_letters() != *x.dead_letters) {
      fail("dead_letters: expected " + std::to_string(*x.dead_letters) + ", got " +
           std::to_string(run_->dead_letters()));
    }
    if (x.referrals) {
      std::vector<Referral> made;
      ScanCases([&](const CaseRecord& c) {
        made.insert(made.end(), c.referrals.begin(), c.referrals.end());
        return true;
      });
      std::vector<bool> taken(made.size(), false);
      for (const auto& m : *x.referrals) {
        bool found = false;
        for (size_t i = 0; i < made.size() && !found; ++i) {
          // The meeting a referral was made for, or the one it rolled on to.
          auto is = [&](TimeMs t) {
            std::string meeting = FormatRfc3339(t);
            return m.meeting->size() == 10 ? meeting.substr(0, 10) == *m.meeting
                                           : meeting == *m.meeting;
          };
          bool meeting_ok =
              !m.meeting || is(made[i].first_meeting) || is(made[i].meeting);
          if (!taken[i] && (!m.panel || *m.panel == made[i].panel) && meeting_ok) {
            taken[i] = found = true;
          }
        }
        if (!found) {
          std::string got;
          for (const auto& r : made) {
            got += (got.empty() ? "" : ", ") + r.panel + " " + FormatRfc3339(r.first_meeting);
            if (r.meeting != r.first_meeting) got += " (rolled to " + FormatRfc3339(r.meeting) + ")";
          }
          fail("expected a referral to " + m.panel.value_or("any panel") + " for " +
               m.meeting.value_or("any meeting") + "; referrals made: " +
               (got.empty() ? "none" : got));
        }
      }
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
  std::unique_ptr<EventTimeRun> run_;
  Status scan_error_;
  std::vector<std::string> last_events_;
};

}  // namespace

namespace {

// Keeps the warnings logged while a test runs, instead of printing them.
class WarningsOfATest : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> Take() { return std::exchange(lines_, {}); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level < spdlog::level::warn) return;
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

}  // namespace

std::vector<PolicyTestResult> RunPolicyTests(const std::shared_ptr<const rules::RuleSet>& rules,
                                             const std::vector<rules::PolicyTest>& tests,
                                             const std::filesystem::path& scratch,
                                             const std::atomic<bool>* stop) {
  std::vector<PolicyTestResult> results;
  // Tests run one at a time on this thread, so the default logger's sinks
  // can be borrowed for the run.
  auto logger = spdlog::default_logger();
  auto capture = std::make_shared<WarningsOfATest>();
  std::vector<spdlog::sink_ptr> saved = logger->sinks();
  logger->sinks() = {capture};
  for (size_t i = 0; i < tests.size() && !(stop && stop->load()); ++i) {
    results.push_back(TestRun(rules, tests[i], scratch / ("test-" + std::to_string(i))).Run());
    results.back().warnings = capture->Take();
  }
  logger->sinks() = saved;
  return results;
}

}  // namespace convene::policy

#include "engine/rules_replay.h"

#include <algorithm>
#include <set>

#include "rules/json.h"

namespace convene::engine {
namespace {

// What makes two runs' tasks "the same decision".
std::string Identity(const EmittedTask& t) {
  return t.rule + '\x1f' + t.to + '\x1f' + t.kind + '\x1f' + t.case_id + '\x1f' + t.trigger_event;
}

struct RunResult {
  std::vector<EmittedTask> tasks;
  std::map<std::string, std::string> stages;
};

Result<RunResult> RunOnce(std::shared_ptr<const rules::RuleSet> rules,
                          const std::vector<std::string>& events,
                          const std::filesystem::path& dir) {
  auto run = EventTimeRun::Open(std::move(rules), dir);
  if (!run.ok()) return run.status();
  for (const auto& e : events) {
    auto applied = (*run)->Apply(e);
    if (!applied.ok()) return applied.status();
  }
  RunResult result;
  result.tasks = (*run)->tasks();
  (*run)->store()->Scan(Family::kCases, "", [&](std::string_view k, std::string_view v) {
    auto c = CaseRecord::Parse(v);
    if (c.ok()) result.stages[std::string(k)] = c->view.stage;
    return true;
  });
  return result;
}

}  // namespace

Result<ReplayReport> ReplayRules(std::shared_ptr<const rules::RuleSet> from,
                                 std::shared_ptr<const rules::RuleSet> to,
                                 std::vector<std::string> events,
                                 const std::filesystem::path& scratch) {
  ReplayReport report;
  report.events = events.size();
  std::vector<std::pair<TimeMs, size_t>> order;
  for (size_t i = 0; i < events.size(); ++i) {
    rapidjson::Document d;
    d.Parse(events[i].data(), events[i].size());
    TimeMs t = 0;
    if (!d.HasParseError() && d.IsObject()) {
      t = ParseRfc3339(json::GetString(d, "occurred_at")).value_or(0);
    }
    order.emplace_back(t, i);
    if (t != 0) {
      report.first = report.first == 0 ? t : std::min(report.first, t);
      report.last = std::max(report.last, t);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> sorted;
  sorted.reserve(events.size());
  for (const auto& [t, i] : order) sorted.push_back(std::move(events[i]));

  auto a = RunOnce(std::move(from), sorted, scratch / "from");
  if (!a.ok()) return a.status();
  auto b = RunOnce(std::move(to), sorted, scratch / "to");
  if (!b.ok()) return b.status();
  report.from_tasks = a->tasks.size();
  report.to_tasks = b->tasks.size();

  std::set<std::string> in_a, in_b;
  for (const auto& t : a->tasks) in_a.insert(Identity(t));
  for (const auto& t : b->tasks) in_b.insert(Identity(t));
  for (const auto& t : b->tasks) {
    if (!in_a.count(Identity(t))) report.by_rule[t.rule].added.push_back(t);
  }
  for (const auto& t : a->tasks) {
    if (!in_b.count(Identity(t))) report.by_rule[t.rule].removed.push_back(t);
  }
  // Pair up what was removed and added for the same case: the task moved.
  for (auto& [rule, diff] : report.by_rule) {
    auto same_task = [](const EmittedTask& x, const EmittedTask& y) {
      return x.to == y.to && x.kind == y.kind && x.case_id == y.case_id;
    };
    for (auto r = diff.removed.begin(); r != diff.removed.end();) {
      auto a_it = std::find_if(diff.added.begin(), diff.added.end(),
                               [&](const EmittedTask& t) { return same_task(*r, t); });
      if (a_it == diff.added.end()) {
        ++r;
        continue;
      }
      diff.moved.emplace_back(*r, *a_it);
      diff.added.erase(a_it);
      r = diff.removed.erase(r);
    }
  }
  for (const auto& [id, stage] : a->stages) {
    auto it = b->stages.find(id);
    if (it != b->stages.end() && it->second != stage) report.stages.push_back({id, stage, it->second});
  }
  return report;
}

}  // namespace convene::engine

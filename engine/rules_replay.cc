#include "engine/rules_replay.h"

#include <algorithm>
#include <future>
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
  Status s = (*run)->store()->Scan(Family::kCases, "", [&](std::string_view k, std::string_view v) {
    auto c = CaseRecord::Parse(v);
    if (c.ok()) result.stages[std::string(k)] = c->view.stage;
    return true;
  });
  if (!s.ok()) return s;
  if (!(*run)->status().ok()) return (*run)->status();
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

  // The two runs share nothing: one on each core.
  auto run_from = std::async(std::launch::async, [&] { return RunOnce(from, sorted, scratch / "from"); });
  auto b = RunOnce(std::move(to), sorted, scratch / "to");
  auto a = run_from.get();
  if (!a.ok()) return a.status();
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
    auto same_task = [](const EmittedTask& t) {
      return t.to + '\x1f' + t.kind + '\x1f' + t.case_id;
    };
    std::multimap<std::string, size_t> added_by_task;
    for (size_t i = 0; i < diff.added.size(); ++i) added_by_task.emplace(same_task(diff.added[i]), i);
    std::vector<bool> added_taken(diff.added.size(), false);
    std::vector<EmittedTask> removed;
    for (auto& r : diff.removed) {
      auto it = added_by_task.find(same_task(r));
      if (it == added_by_task.end()) {
        removed.push_back(std::move(r));
        continue;
      }
      added_taken[it->second] = true;
      diff.moved.emplace_back(std::move(r), diff.added[it->second]);
      added_by_task.erase(it);
    }
    std::vector<EmittedTask> added;
    for (size_t i = 0; i < diff.added.size(); ++i) {
      if (!added_taken[i]) added.push_back(std::move(diff.added[i]));
    }
    diff.added = std::move(added);
    diff.removed = std::move(removed);
  }
  for (const auto& [id, stage] : a->stages) {
    auto it = b->stages.find(id);
    if (it != b->stages.end() && it->second != stage) report.stages.push_back({id, stage, it->second});
  }
  return report;
}

}  // namespace convene::engine

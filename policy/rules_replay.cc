#include "policy/rules_replay.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "rules/json.h"
#include "rules/share.h"

namespace convene::policy {

using engine::CaseRecord;
using engine::CaseStore;
using engine::Family;
namespace {

// What makes two runs' tasks "the same decision".
std::string Identity(const EmittedTask& t) {
  return t.rule + '\x1f' + t.to + '\x1f' + t.kind + '\x1f' + t.case_id + '\x1f' + t.trigger_event;
}

struct RunResult {
  std::vector<EmittedTask> tasks;
  std::vector<RuleFiring> firings;
  std::map<std::string, std::string> stages;
  std::map<std::string, CasePlace> places;
};

Result<RunResult> RunOnce(std::shared_ptr<const rules::RuleSet> rules,
                          const std::vector<std::string>& events,
                          const std::filesystem::path& dir, const ReplayControl& control,
                          std::atomic<size_t>* done) {
  auto run = EventTimeRun::Open(std::move(rules), dir);
  if (!run.ok()) return run.status();
  if (Status s = (*run)->ApplyAll(events, control.stop, done); !s.ok()) return s;
  RunResult result;
  result.tasks = (*run)->tasks();
  result.firings = (*run)->firings();
  CaseStore* store = (*run)->store();
  Status unreadable;  // a case or event that could not be read: the report would be wrong
  Status s = store->Scan(Family::kCases, "", [&](std::string_view k, std::string_view v) {
    auto c = CaseRecord::Parse(v);
    if (!c.ok()) {
      unreadable = c.status().Prefixed("case " + std::string(k) + ": ");
      return false;
    }
    result.stages[std::string(k)] = c->view.stage;
    if (c->opening_event.empty()) return true;
    auto raw = store->Get(Family::kEvents, c->opening_event);
    if (!raw.ok()) {
      unreadable = raw.status().Prefixed("event " + c->opening_event + ": ");
      return false;
    }
    if (!raw->has_value()) return true;
    rapidjson::Document d;
    d.Parse((*raw)->data(), (*raw)->size());
    if (d.IsObject() && d.HasMember("location")) {
      result.places[std::string(k)] = {std::string(json::GetString(d["location"], "postcode")),
                                       std::string(json::GetString(d["location"], "ward"))};
    }
    return true;
  });
  if (!s.ok()) return s;
  if (!unreadable.ok()) return unreadable;
  if (!(*run)->status().ok()) return (*run)->status();
  return result;
}

// Splits what one rule's tasks did differently: added, removed, and (paired up
// for the same case, partner and kind) moved to another event.
RuleDiff DiffTasks(const std::vector<const EmittedTask*>& a,
                   const std::vector<const EmittedTask*>& b) {
  RuleDiff diff;
  std::set<std::string> in_a, in_b;
  for (const auto* t : a) in_a.insert(Identity(*t));
  for (const auto* t : b) in_b.insert(Identity(*t));
  std::vector<EmittedTask> added, removed;
  for (const auto* t : b) {
    if (!in_a.count(Identity(*t))) added.push_back(*t);
  }
  for (const auto* t : a) {
    if (!in_b.count(Identity(*t))) removed.push_back(*t);
  }
  auto same_task = [](const EmittedTask& t) { return t.to + '\x1f' + t.kind + '\x1f' + t.case_id; };
  std::multimap<std::string, size_t> added_by_task;
  for (size_t i = 0; i < added.size(); ++i) added_by_task.emplace(same_task(added[i]), i);
  std::vector<bool> taken(added.size(), false);
  for (auto& r : removed) {
    auto it = added_by_task.find(same_task(r));
    if (it == added_by_task.end()) {
      diff.removed.push_back(std::move(r));
      continue;
    }
    taken[it->second] = true;
    diff.moved.emplace_back(std::move(r), added[it->second]);
    added_by_task.erase(it);
  }
  for (size_t i = 0; i < added.size(); ++i) {
    if (!taken[i]) diff.added.push_back(std::move(added[i]));
  }
  return diff;
}

// Why a rule fired on none of `types` (event type -> how many).
std::string WhyNever(const rules::Rule& rule, const std::map<std::string, size_t>& types,
                     TimeMs first, TimeMs last) {
  size_t n = 0;
  for (const auto& [type, count] : types) {
    if (rule.on.Matches(type)) n += count;
  }
  std::string on;
  for (const auto& p : rule.on.patterns()) on += (on.empty() ? "" : ", ") + p;
  if (n == 0) return "no event of its types (" + on + ") is among these events";
  if (rule.effective_from && *rule.effective_from > last) {
    return "it takes effect on " + FormatRfc3339(*rule.effective_from).substr(0, 10) +
           ", after the last event";
  }
  if (rule.effective_until && *rule.effective_until <= first) {
    return "it ended on " + FormatRfc3339(*rule.effective_until).substr(0, 10) +
           ", before the first event";
  }
  std::string came = std::to_string(n) + " event" + (n == 1 ? "" : "s") + " of its types (" + on + ")";
  if (!rule.when) {
    return came + " came, but it fired on none: none joined " +
           (rule.case_type.empty() ? std::string("a case")
                                   : (std::string("aeiou").find(rule.case_type[0]) == std::string::npos
                                          ? "a "
                                          : "an ") +
                                         rule.case_type + " case") +
           (rule.once_per_case || rule.cooldown ? ", or once/cooldown held it back" : "");
  }
  std::string what = came + (rule.case_type.empty() ? "" : " on " + rule.case_type + " cases");
  return "its condition never held on the " + what + ": " + rule.when->text();
}

}  // namespace

const RuleChange* ReplayReport::Find(std::string_view rule) const {
  for (const auto& r : rules) {
    if (r.id == rule) return &r;
  }
  return nullptr;
}

bool ReplayReport::changed() const {
  return !stages.empty() ||
         std::any_of(rules.begin(), rules.end(), [](const RuleChange& r) { return r.changed(); });
}

Result<ReplayReport> ReplayRules(std::shared_ptr<const rules::RuleSet> from,
                                 std::shared_ptr<const rules::RuleSet> to,
                                 std::vector<std::string> events,
                                 const std::filesystem::path& scratch,
                                 const ReplayControl& control) {
  ReplayReport report;
  report.events = events.size();
  std::vector<std::pair<TimeMs, size_t>> order;
  std::map<std::string, size_t> types;
  std::map<std::string, TimeMs> times;
  for (size_t i = 0; i < events.size(); ++i) {
    rapidjson::Document d;
    TimeMs t = 0;
    if (json::Parse(&d, events[i]).ok() && d.IsObject()) {
      t = ParseRfc3339(json::GetString(d, "occurred_at")).value_or(0);
      ++types[std::string(json::GetString(d, "type"))];
      times[std::string(json::GetString(d, "id"))] = t;
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
  std::atomic<size_t> done_a{0}, done_b{0};
  std::atomic<bool> finished{false};
  std::thread progress;
  if (control.applied) {
    progress = std::thread([&] {
      while (!finished.load()) {
        control.applied->store(std::min(done_a.load(), done_b.load()));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  auto run_from = std::async(std::launch::async,
                             [&] { return RunOnce(from, sorted, scratch / "from", control, &done_a); });
  auto b = RunOnce(to, sorted, scratch / "to", control, &done_b);
  auto a = run_from.get();
  finished = true;
  if (progress.joinable()) progress.join();
  if (control.applied) control.applied->store(std::min(done_a.load(), done_b.load()));
  if (!a.ok()) return a.status();
  if (!b.ok()) return b.status();
  report.from_tasks = a->tasks.size();
  report.to_tasks = b->tasks.size();

  // The rules, in the `to` set's order, then those the `from` set alone has.
  std::map<std::string, size_t> index;
  auto entry = [&](const rules::Rule& rule) -> RuleChange& {
    auto [it, added] = index.emplace(rule.id, report.rules.size());
    if (added) {
      report.rules.emplace_back();
      report.rules.back().id = rule.id;
      report.rules.back().title = rule.title;
    }
    return report.rules[it->second];
  };
  for (const auto& r : to->rules) entry(r).in_to = true;
  for (const auto& r : from->rules) entry(r).in_from = true;
  // Tasks not made by a rule (panel outcomes, agendas: "panel:marac") are the
  // panels' own, and counted under their name.
  auto find = [&](const std::string& id) -> RuleChange& {
    auto [it, added] = index.emplace(id, report.rules.size());
    if (added) {
      report.rules.emplace_back();
      RuleChange& c = report.rules.back();
      c.id = id;
      c.in_from = c.in_to = true;
      const rules::Panel* panel = id.rfind("panel:", 0) == 0 ? to->FindPanel(id.substr(6)) : nullptr;
      if (!panel) panel = id.rfind("panel:", 0) == 0 ? from->FindPanel(id.substr(6)) : nullptr;
      if (panel) c.title = panel->title + ": its own tasks (agendas, outcomes)";
    }
    return report.rules[it->second];
  };

  std::map<std::string, std::set<std::pair<std::string, std::string>>> fired_a, fired_b;
  for (const auto& f : a->firings) fired_a[f.rule].emplace(f.case_id, f.event_id);
  for (const auto& f : b->firings) fired_b[f.rule].emplace(f.case_id, f.event_id);
  std::map<std::string, std::vector<const EmittedTask*>> tasks_a, tasks_b;
  for (const auto& t : a->tasks) tasks_a[t.rule].push_back(&t);
  for (const auto& t : b->tasks) tasks_b[t.rule].push_back(&t);
  for (const auto& [rule, _] : tasks_a) find(rule);
  for (const auto& [rule, _] : tasks_b) find(rule);

  std::set<std::string> listed;
  for (auto& change : report.rules) {
    const auto& fa = fired_a[change.id];
    const auto& fb = fired_b[change.id];
    change.fired_from = fa.size();
    change.fired_to = fb.size();
    for (const auto* t : tasks_a[change.id]) ++change.tasks_by_partner[t->to].first;
    for (const auto* t : tasks_b[change.id]) ++change.tasks_by_partner[t->to].second;
    change.tasks = DiffTasks(tasks_a[change.id], tasks_b[change.id]);
    std::set<std::string> cases;
    for (const auto& f : fa) {
      if (!fb.count(f)) cases.insert(f.first);
    }
    for (const auto& f : fb) {
      if (!fa.count(f)) cases.insert(f.first);
    }
    for (const auto& t : change.tasks.added) cases.insert(t.case_id);
    for (const auto& t : change.tasks.removed) cases.insert(t.case_id);
    for (const auto& [was, now] : change.tasks.moved) cases.insert(now.case_id);
    change.cases.assign(cases.begin(), cases.end());
    listed.insert(cases.begin(), cases.end());
    if (change.in_to && change.fired_to == 0 && change.id.rfind("panel:", 0) != 0) {
      if (const rules::Rule* rule = to->FindRule(change.id)) {
        change.never = WhyNever(*rule, types, report.first, report.last);
      }
    }
    // When each listed task's event happened.
    auto note_time = [&](const EmittedTask& t) {
      if (auto it = times.find(t.trigger_event); it != times.end()) report.event_times.insert(*it);
    };
    for (const auto& t : change.tasks.added) note_time(t);
    for (const auto& t : change.tasks.removed) note_time(t);
    for (const auto& [was, now] : change.tasks.moved) {
      note_time(was);
      note_time(now);
    }
  }

  for (const auto& [id, stage] : a->stages) {
    auto it = b->stages.find(id);
    if (it != b->stages.end() && it->second != stage) {
      report.stages.push_back({id, stage, it->second});
      listed.insert(id);
    }
  }

  // Where each listed case is, as far as the config shares it with anyone.
  auto shared = [&](const char* field) {
    return std::any_of(to->partners.begin(), to->partners.end(), [&](const rules::Partner& p) {
      return rules::Shares(p, {"event", "location", field});
    });
  };
  bool postcode = shared("postcode"), ward = shared("ward");
  for (const auto& id : listed) {
    const CasePlace* p = nullptr;
    if (auto it = b->places.find(id); it != b->places.end()) {
      p = &it->second;
    } else if (auto in_a = a->places.find(id); in_a != a->places.end()) {
      p = &in_a->second;
    }
    if (p) report.places[id] = {postcode ? p->postcode : "", ward ? p->ward : ""};
  }
  return report;
}

}  // namespace convene::policy

// Correlation: which cases an event joins, and opening and closing cases.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "rules/json.h"

namespace convene::engine {
namespace {


// An expression context for opened_by conditions: the event, no case yet.
class EventOnlyContext : public rules::EvalContext {
 public:
  EventOnlyContext(const rules::Event& event, const rules::Calendars& calendars)
      : event_(event), calendars_(calendars) {}
  rules::Value Resolve(const std::vector<std::string>& path) const override {
    if (path[0] != "event") return rules::Value();
    return event_.Resolve({path.begin() + 1, path.end()});
  }
  int64_t Count(const rules::TypeFilter&, TimeMs, TimeMs) const override { return 0; }
  int64_t Distinct(const rules::TypeFilter&, const std::vector<std::string>&, TimeMs,
                   TimeMs) const override {
    return 0;
  }
  int64_t PriorCases(std::string_view, TimeMs, TimeMs) const override { return 0; }
  TimeMs Now() const override { return event_.occurred_at(); }
  const rules::Calendars& calendars() const override { return calendars_; }

 private:
  const rules::Event& event_;
  const rules::Calendars& calendars_;
};

}  // namespace

CaseRecord* Engine::GetCase(const std::string& id) {
  if (auto it = cases_.find(id); it != cases_.end()) return &it->second;
  auto stored = ReadCase(*store_, id, /*with_history=*/false);
  if (!stored.ok()) {
    StoreFailed(stored.status(), "case " + id);
    return nullptr;
  }
  if (!stored->has_value()) return nullptr;
  case_order_.push_back(id);
  return &cases_.emplace(id, std::move(**stored)).first->second;
}

std::vector<std::string> Engine::KeysAt(const std::vector<std::string>& path,
                                        const rules::Event& event) {
  std::vector<std::string> keys;
  rules::Value v = event.Resolve(path);
  std::string prefix = "event." + JoinPath(path) + "=";
  auto add = [&](const rules::Value& item) {
    if (item.is_null() || item.is_object() || item.is_list()) return;
    std::string text = item.ToText();
    if (!text.empty()) keys.push_back(prefix + text);
  };
  if (v.is_list()) {
    for (const auto& item : v.as_list()) add(item);
  } else {
    add(v);
  }
  return keys;
}

std::vector<std::string> Engine::KeysOf(const rules::CaseType& type,
                                        const rules::Event& event) const {
  std::vector<std::string> keys;
  for (const auto& path : type.correlate_by) {
    std::vector<std::string> at = KeysAt(path, event);
    keys.insert(keys.end(), at.begin(), at.end());
  }
  return keys;
}

Result<std::vector<CaseRecord*>> Engine::Correlate(const rules::Event& event,
                                                   const rules::RuleSet& rules) {
  std::vector<CaseRecord*> joined;
  const auto& data = event.data();
  // Task events join the case of their task.
  if (event.type().rfind("task.", 0) == 0) {
    std::string task_id(json::GetString(data, "task_id"));
    if (task_id.empty()) return Status::Error(event.type() + " needs data.task_id");
    auto task = FindTask(task_id);
    if (!task) return Status::Error("unknown task '" + task_id + "'");
    // Only the partner a task was sent to acts on it.
    if (event.source() != task->partner) {
      return Status::Error(event.type() + ": task '" + task_id + "' is " + task->partner +
                           "'s; source '" + event.source() + "' may not act on it");
    }
    if (CaseRecord* c = GetCase(task->case_id)) joined.push_back(c);
    return joined;
  }
  // A person saw a case in the console: for the audit trail, not the case.
  if (event.type() == "case.viewed") {
    if (json::GetString(data, "case_id").empty()) return Status::Error("case.viewed needs data.case_id");
    return joined;
  }
  // A meeting was held, or cancelled: about a panel, not a case.
  if (event.type() == "panel.held" || event.type() == "panel.cancelled") {
    if (Status s = CheckHeld(event, rules); !s.ok()) return s;
    return joined;
  }
  // Case-level events may name their case.
  std::string case_id(json::GetString(data, "case_id"));
  if (!case_id.empty() && (event.type() == "case.note" || event.type() == "case.closed" ||
                           event.type() == "panel.outcome")) {
    CaseRecord* c = GetCase(case_id);
    if (!c) return Status::Error("unknown case '" + case_id + "'");
    joined.push_back(c);
    return joined;
  }
  for (const auto& type : rules.case_types) {
    std::vector<std::string> keys = KeysOf(type, event);
    std::vector<std::string> ids = OpenCaseIds(type, keys);
    if (!ids.empty()) {
      for (const auto& id : ids) {
        CaseRecord* c = GetCase(id);
        // SPEC 4 (v2): a case keeps the keys of the event that opened it;
        // one that joins adds none (a rule's `link:` adds one on purpose).
        if (!c || c->view.status != "open") continue;
        joined.push_back(c);
      }
      continue;
    }
    for (const auto& opener : type.opened_by) {
      if (opener.type != event.type()) continue;
      if (opener.when && !opener.when->Holds(EventOnlyContext(event, rules.calendars))) continue;
      joined.push_back(OpenCase(type, event, keys, rules));
      break;
    }
  }
  return joined;
}

std::vector<std::string> Engine::OpenCaseIds(const rules::CaseType& type,
                                             const std::vector<std::string>& keys) {
  std::vector<std::string> ids;
  if (Status s = index_.OpenCases(type.id, keys, &ids); !s.ok()) {
    StoreFailed(s, "the case index");
    ids.clear();
  }
  return ids;
}

CaseRecord* Engine::OpenCase(const rules::CaseType& type, const rules::Event& event,
                             const std::vector<std::string>& keys, const rules::RuleSet& rules) {
  uint64_t n = ++case_seq_[type.id];
  batch_->touched_seq.insert(type.id);
  char number[24];
  std::snprintf(number, sizeof number, "%06llu", static_cast<unsigned long long>(n));
  std::string id = type.id + "-" + number;
  CaseRecord& c = cases_[id];
  case_order_.push_back(id);
  c.view.id = id;
  c.view.type = type.id;
  c.view.stage = type.stages.empty() ? "" : type.stages.front();
  c.view.opened_at = event.occurred_at();
  c.opening_event = event.id();
  ++totals_.cases_opened;
  AddKeys(&c, keys);
  Record(&c, event, "", "opened", "opened by " + event.type() + " " + event.id(), rules);
  Changed(&c, "opened at stage " + c.view.stage);
  return &c;
}

void Engine::AddKeys(CaseRecord* c, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    if (std::find(c->keys.begin(), c->keys.end(), k) != c->keys.end()) continue;
    c->keys.push_back(k);
    if (Status s = index_.Add(&batch_->write, c->view.type, k, c->view.id); !s.ok()) {
      StoreFailed(s, "the case index");
    }
  }
  Changed(c);
}

void Engine::CloseCase(CaseRecord* c, const std::string& reason, const std::string& event_id,
                       const std::string& rule, const rules::RuleSet& rules) {
  c->view.status = "closed";
  c->closed_at = event_time_;
  for (const auto& k : c->keys) {
    if (Status s = index_.Close(&batch_->write, c->view.type, k, c->view.id); !s.ok()) {
      StoreFailed(s, "the case index");
    }
  }
  Record(c, event_id, rule, "close", reason, rules);
  Changed(c, "closed: " + reason);
}

int64_t Engine::CountPriorCases(const CaseRecord& c, std::string_view case_type, TimeMs from,
                                TimeMs to) {
  std::vector<std::string> ids;
  if (Status s = index_.AllCases(case_type, c.keys, &ids); !s.ok()) {
    StoreFailed(s, "the case index");
    return 0;
  }
  int64_t n = 0;
  for (const auto& id : ids) {
    if (id == c.view.id) continue;
    const CaseRecord* other = GetCase(id);
    if (other && other->view.opened_at > from && other->view.opened_at <= to) ++n;
  }
  return n;
}

void Engine::Record(CaseRecord* c, const std::string& event_id, const std::string& rule,
                    std::string action, std::string detail, const rules::RuleSet& rules) {
  c->history.push_back(
      {clock_->Now(), event_id, rule, std::move(action), std::move(detail), rules.version});
  Changed(c);
}

void Engine::Changed(CaseRecord* c, std::string change) {
  if (!c->pending.dirty) {
    c->pending.dirty = true;
    batch_->dirty_cases.push_back(c);
  }
  if (!change.empty()) c->pending.changes.push_back(std::move(change));
}

std::optional<Task> Engine::FindTask(const std::string& task_id) {
  auto found = tasks_.Find(task_id);
  if (!found.ok()) {
    StoreFailed(found.status(), "the task book");
    return std::nullopt;
  }
  return std::move(*found);
}

}  // namespace convene::engine

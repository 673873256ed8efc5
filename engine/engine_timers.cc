// What the engine's timers mean (the queue itself is timer_queue.h): SLA
// clocks on tasks, idle clocks on cases, and meeting clocks. Timers are
// checked when they fire rather than deleted when they stop mattering: an
// acknowledged task's acknowledge clock fires and finds nothing to do.
#include <spdlog/spdlog.h>

#include <cstdint>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "rules/json.h"

namespace convene::engine {

void Engine::PutTimer(TimeMs due, char kind, const std::string& id, const std::string& value) {
  // Idle clocks and meetings follow events; SLA clocks follow people.
  char clock = (kind == kTimerAcknowledge || kind == kTimerComplete) ? 'w' : 'e';
  timers_.Put(*store_, &batch_->write, clock, due, kind, id, value);
}

void Engine::ArmIdleTimer(CaseRecord* c, const rules::RuleSet& rules) {
  const rules::CaseType* type = rules.FindCaseType(c->view.type);
  if (!type || !type->close_after_idle || c->view.status != "open") return;
  TimeMs due = type->close_after_idle->After(c->last_event_at, rules.calendars);
  // An armed clock that runs out no later than this one stays: when it runs
  // out it finds the case's later events and moves itself on. So a busy case
  // is not re-armed (a delete and a write) at every event.
  if (c->idle_due != 0 && c->idle_due <= due) return;
  if (c->idle_due != 0) {
    timers_.Remove(*store_, &batch_->write, 'e', c->idle_due, kTimerIdle, c->view.id);
  }
  PutIdleTimer(c, due, *type->close_after_idle);
}

void Engine::PutIdleTimer(CaseRecord* c, TimeMs due, const rules::Duration& idle) {
  c->idle_due = due;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "clock", "idle");
  json::Field(w, "case_id", c->view.id);
  json::Field(w, "idle", idle.text);
  w.EndObject();
  PutTimer(due, kTimerIdle, c->view.id, std::string(buf.GetString(), buf.GetSize()));
  Changed(c);
}

void Engine::AdvanceEventTime(TimeMs t) { event_time_ = std::max(event_time_, t); }

void Engine::FireAll(const std::vector<TimerQueue::Entry>& due, const rules::RuleSet& rules) {
  for (const auto& [k, v] : due) {
    timers_.Remove(*store_, &batch_->write, k);
    FireTimer(k, v, rules);
  }
}

std::vector<TimerQueue::Entry> Engine::DueTimers(TimeMs wall, TimeMs event_time, size_t max) {
  std::vector<TimerQueue::Entry> due;
  Status s = timers_.Due('w', wall, max, &due);
  if (s.ok()) s = timers_.Due('e', event_time, max, &due);
  if (!s.ok()) {
    StoreFailed(s, "the timers");
    due.clear();
  }
  return due;
}

void Engine::FireEventTimeTimers(TimeMs t, const rules::RuleSet& rules) {
  // Wall-clock timers are not fired here: a clock at 0 finds none due.
  FireAll(DueTimers(0, t, SIZE_MAX), rules);
}

void Engine::FireAllDueInBatch(const rules::RuleSet& rules) {
  while (store_error_.ok()) {
    std::vector<TimerQueue::Entry> due = DueTimers(clock_->Now(), event_time_, SIZE_MAX);
    if (due.empty()) return;
    FireAll(due, rules);
  }
}

Result<size_t> Engine::FireDueTimers(size_t max) {
  if (!store_error_.ok()) return store_error_;
  std::vector<TimerQueue::Entry> due = DueTimers(clock_->Now(), event_time_, max);
  if (!store_error_.ok()) return store_error_;
  if (due.empty()) return size_t{0};
  std::shared_ptr<const rules::RuleSet> rules = this->rules();
  BeginBatch(due.size(), *rules);
  FireAll(due, *rules);
  if (Status s = CommitBatch(*rules); !s.ok()) return s;
  PublishProgress();
  return due.size();
}

void Engine::FireTimer(std::string_view key, std::string_view value, const rules::RuleSet& rules) {
  TimeMs due = TimerQueue::DueOf(key);
  rapidjson::Document d;
  d.Parse(value.data(), value.size());
  if (d.HasParseError()) return;
  std::string clock(json::GetString(d, "clock"));
  if (clock == "agenda") {
    EmitAgenda(json::GetString(d, "panel"), json::GetInt(d, "meeting"), rules);
    return;
  }
  if (clock == "end" || clock == "rollover") {  // "rollover": as stores before v2 armed it
    EndMeeting(json::GetString(d, "panel"), json::GetInt(d, "meeting"), rules);
    return;
  }
  if (clock == "outcome") {
    OutcomeDue(json::GetString(d, "panel"), json::GetInt(d, "meeting"), rules);
    return;
  }
  if (clock == "idle") {
    CaseRecord* c = GetCase(std::string(json::GetString(d, "case_id")));
    if (!c || c->view.status != "open" || c->idle_due != due) return;  // moved on since
    // Events since it was armed move the clock on (ArmIdleTimer leaves it).
    const rules::CaseType* type = rules.FindCaseType(c->view.type);
    if (type && type->close_after_idle) {
      TimeMs now_due = type->close_after_idle->After(c->last_event_at, rules.calendars);
      if (now_due > due) {
        PutIdleTimer(c, now_due, *type->close_after_idle);
        return;
      }
    }
    c->idle_due = 0;
    CloseCase(c, "idle: no event since " + FormatRfc3339(c->last_event_at) + " (close_after_idle " +
                     std::string(json::GetString(d, "idle")) + ")",
              "clock/idle", "", rules);
    return;
  }
  auto task = FindTask(std::string(json::GetString(d, "task_id")));
  if (!task) return;
  // A clock stops when the task is acknowledged (acknowledge) or finished (both).
  bool finished = task->status == "completed" || task->status == "declined";
  if (finished || (clock == "acknowledge" && task->status != "open")) return;
  CaseRecord* c = GetCase(task->case_id);
  if (!c || c->view.status != "open") return;
  const rules::Rule* rule = rules.FindRule(json::GetString(d, "rule"));
  int index = static_cast<int>(json::GetInt(d, "action", -1));
  if (!rule || index < 0 || index >= static_cast<int>(rule->then.size()) ||
      !rule->then[index].task.sla) {
    spdlog::warn("sla: {} clock of {} ran out, but rule '{}' no longer has that SLA; nothing done",
                 clock, task->task_id, json::GetString(d, "rule"));
    return;
  }
  auto event = LoadEvent(task->trigger_event);
  if (!event) return;
  Record(c, "clock/" + clock, rule->id, "breach",
         task->task_id + " to " + task->partner + " not " +
             (clock == "acknowledge" ? "acknowledged" : "completed") + " in time",
         rules);
  Changed(c, "sla " + clock + " breached on " + task->task_id);
  Breach breach{&*task, clock, &rule->then[index].task};
  for (const auto& action : rule->then[index].task.sla->on_breach) {
    ApplyAction(c, *event, *rule, action, rules, &breach);
  }
}

}  // namespace convene::engine

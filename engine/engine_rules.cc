// Running the rules for an event on a case, and carrying out their actions.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "rules/json.h"
#include "rules/share.h"
#include "rules/text.h"

namespace convene::engine {

namespace {
// What a title shows in place of a value the partner may not see.
constexpr const char* kWithheldInTitle = "[withheld]";
}  // namespace

// A task message larger than this leaves the event out of its context, so that
// no message can outgrow what a broker accepts (1 MiB by default).
constexpr size_t kMaxTaskMessage = 256 << 10;

// What a rule's expression sees: the event, the case, and the case's history.
class Engine::CaseContext : public rules::EvalContext {
 public:
  CaseContext(Engine* engine, const CaseRecord& c, const rules::Event& event,
              const rules::RuleSet& rules)
      : engine_(engine), case_(c), event_(event), rules_(rules) {}

  rules::Value Resolve(const std::vector<std::string>& path) const override {
    std::vector<std::string> below(path.begin() + 1, path.end());
    if (path[0] == "event") return event_.Resolve(below);
    if (path[0] == "case") return case_.view.Resolve(below);
    return rules::Value();
  }

  int64_t Count(const rules::TypeFilter& types, TimeMs from, TimeMs to) const override {
    int64_t n = 0;
    case_.ForEachInWindow(from, to, [&](const TimelineEntry& e) {
      if (types.Matches(e.type)) ++n;
    });
    return n;
  }

  int64_t Distinct(const rules::TypeFilter& types, const std::vector<std::string>& path,
                   TimeMs from, TimeMs to) const override {
    std::string key = JoinPath(path);
    std::set<std::string> values;
    case_.ForEachInWindow(from, to, [&](const TimelineEntry& e) {
      if (!types.Matches(e.type)) return;
      if (auto fact = e.Fact(key)) {
        if (*fact) {
          // A list's values are kept apart by kSep (engine.cc).
          std::string_view all = **fact;
          for (size_t start = 0; start <= all.size();) {
            size_t end = all.find(kSep, start);
            if (end == std::string_view::npos) end = all.size();
            values.emplace(all.substr(start, end - start));
            start = end + 1;
          }
        }
        return;
      }
      // Recorded before a rule asked for this path: read the event itself.
      auto event = e.event_id == event_.id() ? nullptr : engine_->LoadEvent(e.event_id);
      const rules::Event* ev = e.event_id == event_.id() ? &event_ : event.get();
      if (!ev) return;
      rules::Value v = ev->Resolve(path);
      if (v.is_list()) {
        for (const auto& item : v.as_list()) values.insert(item.ToText());
      } else if (!v.is_null()) {
        values.insert(v.ToText());
      }
    });
    return static_cast<int64_t>(values.size());
  }

  void ForEachEvent(const rules::TypeFilter& types, TimeMs from, TimeMs to,
                    const std::function<void(const EvalContext&)>& fn) const override;

  int64_t PriorCases(std::string_view case_type, TimeMs from, TimeMs to) const override {
    return engine_->CountPriorCases(case_, case_type, from, to);
  }

  TimeMs Now() const override { return event_.occurred_at(); }
  const rules::Calendars& calendars() const override { return rules_.calendars; }

 private:
  Engine* engine_;
  const CaseRecord& case_;
  const rules::Event& event_;
  const rules::RuleSet& rules_;
};

std::string EncodeFact(const rules::Value& v) {
  if (v.is_string()) return "s" + v.as_string();
  if (v.is_bool()) return v.as_bool() ? "t" : "f";
  if (v.is_number()) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_number());
    if (ec == std::errc()) return "n" + std::string(buf, end);
  }
  if (v.is_list()) {
    std::string texts = "L";
    bool plain = true;
    for (const auto& item : v.as_list()) {
      plain = plain && item.is_string() && item.as_string().find(kSep) == std::string::npos;
      if (!plain) break;
      if (texts.size() > 1) texts.push_back(kSep);
      texts += item.as_string();
    }
    if (plain && !v.as_list().empty()) return texts;
  }
  return "j" + v.ToJson();
}

rules::Value DecodeFact(std::string_view fact) {
  if (fact.empty()) return rules::Value();
  std::string_view rest = fact.substr(1);
  switch (fact[0]) {
    case 's':
      return rules::Value(std::string(rest));
    case 't':
      return rules::Value(true);
    case 'f':
      return rules::Value(false);
    case 'n': {
      double d = 0;
      auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), d);
      return ec == std::errc() && end == rest.data() + rest.size() ? rules::Value(d) : rules::Value();
    }
    case 'L': {
      rules::Value::List list;
      for (size_t start = 0; start <= rest.size();) {
        size_t end = rest.find(kSep, start);
        if (end == std::string_view::npos) end = rest.size();
        list.emplace_back(std::string(rest.substr(start, end - start)));
        start = end + 1;
      }
      return rules::Value(std::move(list));
    }
    case 'j': {
      rapidjson::Document d;
      d.Parse(rest.data(), rest.size());
      return d.HasParseError() ? rules::Value() : rules::Value::FromJson(d);
    }
    default:
      return rules::Value();
  }
}

// A past event of the case as a count() or distinct() with where: or same:
// sees it: the values it reads come from the event's timeline facts, and the
// event itself is read only for what they lack (a rule added since the event
// was applied, or a nested count).
class Engine::PastEventContext : public rules::EvalContext {
 public:
  PastEventContext(Engine* engine, const CaseRecord& c, const TimelineEntry& entry,
                   const rules::RuleSet& rules)
      : engine_(engine), case_(c), entry_(entry), rules_(rules) {}

  rules::Value Resolve(const std::vector<std::string>& path) const override {
    if (path[0] == "case") {
      return case_.view.Resolve(std::vector<std::string>(path.begin() + 1, path.end()));
    }
    if (path[0] == "event") {
      thread_local std::string key;
      WindowFactKey(path, &key);
      if (auto fact = entry_.Fact(key)) return *fact ? DecodeFact(**fact) : rules::Value();
    }
    const CaseContext* full = Full();
    return full ? full->Resolve(path) : rules::Value();
  }
  int64_t Count(const rules::TypeFilter& types, TimeMs from, TimeMs to) const override {
    const CaseContext* full = Full();
    return full ? full->Count(types, from, to) : 0;
  }
  int64_t Distinct(const rules::TypeFilter& types, const std::vector<std::string>& path,
                   TimeMs from, TimeMs to) const override {
    const CaseContext* full = Full();
    return full ? full->Distinct(types, path, from, to) : 0;
  }
  void ForEachEvent(const rules::TypeFilter& types, TimeMs from, TimeMs to,
                    const std::function<void(const EvalContext&)>& fn) const override {
    if (const CaseContext* full = Full()) full->ForEachEvent(types, from, to, fn);
  }
  int64_t PriorCases(std::string_view case_type, TimeMs from, TimeMs to) const override {
    const CaseContext* full = Full();
    return full ? full->PriorCases(case_type, from, to) : 0;
  }
  TimeMs Now() const override { return entry_.occurred_at; }
  const rules::Calendars& calendars() const override { return rules_.calendars; }

 private:
  // The context of the event itself, read once when first needed; null when
  // it cannot be read (a read failure stops the batch: StoreFailed).
  const CaseContext* Full() const {
    if (!loaded_) {
      loaded_ = true;
      event_ = engine_->LoadEvent(entry_.event_id);
      if (event_) full_.emplace(engine_, case_, *event_, rules_);
    }
    return full_ ? &*full_ : nullptr;
  }

  Engine* engine_;
  const CaseRecord& case_;
  const TimelineEntry& entry_;
  const rules::RuleSet& rules_;
  mutable bool loaded_ = false;
  mutable std::shared_ptr<const rules::Event> event_;
  mutable std::optional<CaseContext> full_;
};

void Engine::CaseContext::ForEachEvent(const rules::TypeFilter& types, TimeMs from, TimeMs to,
                                       const std::function<void(const EvalContext&)>& fn) const {
  // The window only: a window ending now is the timeline's tail.
  case_.ForEachInWindow(from, to, [&](const TimelineEntry& e) {
    if (!types.Matches(e.type)) return;
    if (e.event_id == event_.id()) {
      fn(*this);
      return;
    }
    fn(PastEventContext(engine_, case_, e, rules_));
  });
}

void Engine::ApplyRules(CaseRecord* c, const rules::Event& event, const rules::RuleSet& rules) {
  TimeMs t = event.occurred_at();
  for (const auto& rule : rules.rules) {
    if (c->view.status != "open") break;
    if (!rule.case_type.empty() && rule.case_type != c->view.type) continue;
    if (!rule.on.Matches(event.type())) continue;
    if (rule.effective_from && t < *rule.effective_from) continue;
    if (rule.effective_until && t >= *rule.effective_until) continue;
    auto fired = c->fired.find(rule.id);
    if (fired != c->fired.end()) {
      if (rule.once_per_case) continue;
      if (rule.cooldown && t < rule.cooldown->After(fired->second, rules.calendars)) continue;
    }
    if (rule.when && !rule.when->Holds(CaseContext(this, *c, event, rules))) continue;
    c->fired[rule.id] = t;
    if (options_.rule_fired) options_.rule_fired(rule.id, c->view.id, event.id());
    for (const auto& action : rule.then) ApplyAction(c, event, rule, action, rules);
  }
}

void Engine::ApplyAction(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
                         const rules::Action& action, const rules::RuleSet& rules,
                         const Breach* breach) {
  using Kind = rules::Action::Kind;
  switch (action.kind) {
    case Kind::kTask: {
      const rules::TaskSpec& spec = action.task;
      std::optional<TimeMs> due;
      // A task's due runs from its triggering event; a breach task's from the breach.
      TimeMs from = breach ? clock_->Now() : event.occurred_at();
      if (spec.due) due = spec.due->After(from, rules.calendars);
      // The title as each partner may read it. `rules check` refuses a
      // placeholder a partner's share does not allow; should one get through
      // all the same (a path the check does not know), it renders as
      // "[withheld]", and the task is logged and counted: a title never
      // carries what the task's context leaves out.
      for (const auto& to : spec.to) {
        const rules::Partner* p = rules.FindPartner(to);
        if (!p) continue;
        std::vector<std::string> withheld;
        auto shared = [&](const std::vector<std::string>& path) {
          if ((path[0] != "event" && path[0] != "case") || rules::Shares(*p, path)) return true;
          withheld.push_back(text::JoinPath(path));
          return false;
        };
        std::string title = spec.title.Render([&](const std::vector<std::string>& path) {
          std::vector<std::string> below(path.begin() + 1, path.end());
          if (!shared(path)) return rules::Value(std::string(kWithheldInTitle));
          if (path[0] == "event") return event.Resolve(below);
          if (path[0] == "case") return c->view.Resolve(below);
          if (path[0] == "rule" && below.size() == 1) {
            if (below[0] == "id") return rules::Value(rule.id);
            if (below[0] == "title") return rules::Value(rule.title);
          }
          if (path[0] == "task" && breach && below.size() == 1) {
            const Task& t = *breach->task;
            if (below[0] == "id") return rules::Value(t.task_id);
            if (below[0] == "title") {
              // Rendered for the overdue task's partner: what it shows must
              // be this partner's to see too.
              bool all = true;
              for (const auto& inner : breach->spec->title.parts()) {
                if (!inner.path.empty()) all = shared(inner.path) && all;
              }
              return rules::Value(all ? t.title : std::string(kWithheldInTitle));
            }
            if (below[0] == "partner") return rules::Value(t.partner);
            if (below[0] == "priority") return rules::Value(t.priority);
            if (below[0] == "due_at" && t.due_at) return rules::Value(FormatRfc3339(*t.due_at));
          }
          return rules::Value();
        });
        if (!withheld.empty()) {
          ++totals_.titles_withheld;
          std::string paths;
          for (const auto& w : withheld) paths += (paths.empty() ? "" : ", ") + w;
          spdlog::error("rule {}: the title of a task to {} on case {} would show {}, which its "
                        "share does not allow; sent with \"{}\" in their place",
                        rule.id, p->id, c->view.id, paths, kWithheldInTitle);
        }
        EmitTask(c, event, rule, action, *p, breach ? "escalation" : "action", title,
                 spec.priority, due, rules, breach);
      }
      return;
    }
    case Kind::kNotify:
      if (const rules::Partner* p = rules.FindPartner(action.argument)) {
        EmitTask(c, event, rule, action, *p, "notify",
                 "For information: " + rule.title + " (" + c->view.id + ")", "low", std::nullopt,
                 rules, breach);
      }
      return;
    case Kind::kEscalate:
    case Kind::kSetStage: {
      const rules::CaseType* type = rules.FindCaseType(c->view.type);
      if (!type) return;
      int to = type->StageIndex(action.argument);
      int from = type->StageIndex(c->view.stage);
      if (to < 0 || to == from) return;
      // Escalation only ever moves a case up its stages.
      if (action.kind == Kind::kEscalate && to < from) return;
      std::string detail = "stage " + c->view.stage + " -> " + action.argument;
      c->view.stage = action.argument;
      Changed(c, detail);
      Record(c, event, rule.id, action.kind == Kind::kEscalate ? "escalate" : "set_stage", detail,
             rules);
      return;
    }
    case Kind::kFlag:
      if (AddFlag(c, action.argument)) {
        Changed(c, "flag " + action.argument);
        Record(c, event, rule.id, "flag", action.argument, rules);
      }
      return;
    case Kind::kSet:
      for (const auto& [field, value] : action.fields) {
        if (c->view.fields[field] == value) continue;
        c->view.fields[field] = value;
        Changed(c, field + " = " + value);
        Record(c, event, rule.id, "set", field + " = " + value, rules);
      }
      return;
    case Kind::kClose:
      CloseCase(c, action.argument, event.id(), rule.id, rules);
      return;
    case Kind::kRefer:
      Refer(c, event, rule, action, rules);
      return;
    case Kind::kOpen:
      OpenFor(c, event, rule, action.argument, rules);
      return;
    case Kind::kLink: {
      std::vector<std::string> keys = KeysAt(action.path, event);
      std::vector<std::string> added;
      for (const auto& k : keys) {
        if (std::find(c->keys.begin(), c->keys.end(), k) == c->keys.end()) added.push_back(k);
      }
      if (added.empty()) return;
      AddKeys(c, added);
      std::string detail = "linked";
      for (const auto& k : added) detail += " " + k;
      Record(c, event, rule.id, "link", detail, rules);
      Changed(c, detail);
      return;
    }
  }
}

void Engine::OpenFor(CaseRecord* from, const rules::Event& event, const rules::Rule& rule,
                     const std::string& case_type, const rules::RuleSet& rules) {
  const rules::CaseType* type = rules.FindCaseType(case_type);
  if (!type) return;  // checked at load
  std::vector<std::string> keys = KeysOf(*type, event);
  // The open case of that type the event belongs to, as correlation finds it,
  // the first by id; else a new one. Either way, once per event.
  CaseRecord* target = nullptr;
  for (const auto& id : OpenCaseIds(*type, keys)) {
    CaseRecord* c = GetCase(id);
    if (c && c->view.status == "open") {
      target = c;
      break;
    }
  }
  if (target && !target->timeline.empty() && target->timeline.back().event_id == event.id()) {
    return;  // the event is on it already
  }
  if (!target) target = OpenCase(*type, event, keys, rules);
  Record(from, event, rule.id, "open", "opened " + target->view.id + " for this event", rules);
  Record(target, event, rule.id, "opened-from", "from " + from->view.id + " by rule " + rule.id,
         rules);
  JoinEvent(target, event, rules);
}


void Engine::EmitTask(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
                      const rules::Action& action, const rules::Partner& partner,
                      std::string kind, std::string title, std::string priority,
                      std::optional<TimeMs> due, const rules::RuleSet& rules,
                      const Breach* breach, std::string_view variant) {
  Task t;
  // A breach task is triggered by the clock that ran out, not by an event.
  std::string trigger = breach ? "breach/" + breach->clock + "/" + breach->task->task_id
                               : event.id();
  std::string to = partner.id;
  if (!variant.empty()) to.append("/").append(variant);  // a member who is also the chair
  t.task_id = MakeTaskId(c->view.id, rule.id, action.index, trigger, to);
  if (tasks_.InBatch(t.task_id)) return;
  t.case_id = c->view.id;
  t.case_type = c->view.type;
  t.partner = partner.id;
  t.kind = std::move(kind);
  t.rule = rule.id;
  t.rules_version = rules.version;
  t.title = std::move(title);
  t.priority = std::move(priority);
  t.due_at = due;
  t.created_at = clock_->Now();
  t.trigger_event = event.id();
  t.event_at = event.occurred_at();
  rules::SharedContext shared = rules::BuildContext(partner, event, c->view);
  t.context_json = std::move(shared.json);
  t.withheld = std::move(shared.withheld);
  const Task& published = PublishTask(std::move(t), partner);
  // SLA clocks run from when the task was issued.
  if (!breach && action.kind == rules::Action::Kind::kTask && action.task.sla) {
    const rules::Sla& sla = *action.task.sla;
    for (const auto& [clock, d] : {std::pair{"acknowledge", &sla.acknowledge},
                                   std::pair{"complete", &sla.complete}}) {
      if (!*d) continue;
      rapidjson::StringBuffer buf;
      json::Writer w(buf);
      w.StartObject();
      json::Field(w, "clock", clock);
      json::Field(w, "task_id", published.task_id);
      json::Field(w, "rule", rule.id);
      json::Key(w, "action");
      w.Int(action.index);
      w.EndObject();
      PutTimer((*d)->After(published.created_at, rules.calendars),
               d == &sla.acknowledge ? kTimerAcknowledge : kTimerComplete, published.task_id,
               std::string(buf.GetString(), buf.GetSize()));
    }
  }
  std::string detail =
      published.kind + " " + published.task_id + " to " + partner.id + ": " + published.title;
  if (!published.withheld.empty()) {
    detail += " (withheld:";
    for (const auto& w : published.withheld) detail += " " + w;
    detail += ")";
  }
  Record(c, event, rule.id, "task", detail, rules);
  Changed(c, "task " + published.task_id + " to " + partner.id);
}

const Task& Engine::PublishTask(Task t, const rules::Partner& partner) {
  std::string message = t.ToMessage();
  if (message.size() > kMaxTaskMessage) {
    // An event near the 1 MiB limit can share more than a message should
    // carry: the task goes out without the event part of its context.
    rapidjson::Document context;
    context.Parse(t.context_json.c_str(), t.context_json.size());
    if (context.IsObject()) {
      context.RemoveMember("event");
      std::string note = "the shared event (" + std::to_string(message.size()) +
                         " bytes as a task) is left out: see the case with convene case";
      context.AddMember("event_left_out", rapidjson::Value(note.c_str(), context.GetAllocator()),
                        context.GetAllocator());
      t.context_json = json::Serialize(context);
      message = t.ToMessage();
    }
  }
  audit_.Append(*store_, &batch_->write, "task", clock_->Now(), [&](json::Writer& w) {
    json::Field(w, "task_id", t.task_id);
    json::Field(w, "case_id", t.case_id);
    json::Field(w, "partner", t.partner);
    json::Field(w, "task_kind", t.kind);  // "kind" is the entry's
    json::Field(w, "rule", t.rule);
    json::Field(w, "rules_version", t.rules_version);
    json::Field(w, "title", t.title);
    json::Field(w, "trigger_event", t.trigger_event);
  });
  if (!t.withheld.empty()) {
    audit_.Append(*store_, &batch_->write, "withheld", clock_->Now(), [&](json::Writer& w) {
      json::Field(w, "task_id", t.task_id);
      json::Field(w, "case_id", t.case_id);
      json::Field(w, "partner", t.partner);
      json::Key(w, "paths");
      w.StartArray();
      for (const auto& p : t.withheld) json::String(w, p);
      w.EndArray();
    });
  }
  Outbox(partner.topic, t.task_id, std::move(message));
  ++totals_.tasks;
  ++totals_.tasks_by_partner[partner.id];
  // The record keeps the context as published, to publish it again if the
  // broker loses the message.
  return tasks_.Issue(&batch_->write, std::move(t));
}

void Engine::LeftAsItWas(const Task& task, const rules::Event& event, const rules::RuleSet& rules) {
  if (CaseRecord* c = GetCase(task.case_id)) {
    c->history.push_back({clock_->Now(), event.id(), task.rule, "ignored",
                          event.type() + " for " + task.task_id + " left it as it was: it is " +
                              task.status,
                          rules.version});
    Changed(c, "task " + task.task_id + " left " + task.status);
  }
}

void Engine::UpdateTaskFromEvent(const rules::Event& event, const rules::RuleSet& rules) {
  // Someone in the partner's team takes the task on; its status stays.
  if (event.type() == "task.claimed") {
    const auto& data = event.data();
    auto task = FindTask(std::string(json::GetString(data, "task_id")));
    if (!task) return;
    std::string by(json::GetString(data, "by", event.source()));
    if (!IsOpenStatus(task->status)) {
      LeftAsItWas(*task, event, rules);
      return;
    }
    task->claimed_by = by;
    if (CaseRecord* c = GetCase(task->case_id)) {
      c->history.push_back({clock_->Now(), event.id(), task->rule, "claimed",
                            task->task_id + " claimed by " + by, rules.version});
      Changed(c, "task " + task->task_id + " claimed");
    }
    tasks_.Update(&batch_->write, std::move(*task));
    return;
  }
  static const std::pair<const char*, const char*> kStatus[] = {
      {"task.acknowledged", "acknowledged"},
      {"task.completed", "completed"},
      {"task.declined", "declined"}};
  for (const auto& [type, status] : kStatus) {
    if (event.type() != type) continue;
    const auto& data = event.data();
    auto task = FindTask(std::string(json::GetString(data, "task_id")));
    if (!task) return;
    // A finished task stays finished, and the first acknowledgement counts:
    // a late or repeated event does not take a task back.
    if (!IsOpenStatus(task->status) || task->status == status) {
      LeftAsItWas(*task, event, rules);
      return;
    }
    task->status = status;
    TimeMs& at = task->status == "acknowledged" ? task->acknowledged_at : task->finished_at;
    at = event.occurred_at();
    if (CaseRecord* c = GetCase(task->case_id)) {
      std::string by(json::GetString(data, "by", event.source()));
      c->history.push_back({clock_->Now(), event.id(), task->rule, status,
                            task->task_id + " " + status + " by " + by, rules.version});
      Changed(c, "task " + task->task_id + " " + status);
    }
    tasks_.Update(&batch_->write, std::move(*task));
    return;
  }
}

}  // namespace convene::engine

// Multi-agency panels in the engine: a referral finds the next meeting it can
// make (and one with room, when the panel has max_cases), members get research
// tasks and the chair an agenda item; a panel.outcome turns its actions into
// tasks; a case still unheard at the end of its meeting day rolls to the next
// meeting and the chair is asked to record it; a panel.held without a required
// member tells the chair.
//
// A meeting's agenda is a set of index entries ('a', panel, meeting, case id),
// written with the referral; a held meeting is one entry ('p', panel,
// meeting). Roll-over runs on event time, like idle clocks: replaying last
// year's events rolls cases as they would have rolled then.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "rules/json.h"
#include "rules/share.h"
#include "rules/title_template.h"

namespace convene::engine {

void Engine::ArmMeetingTimer(const rules::Panel& panel, TimeMs meeting, std::string_view clock,
                             char kind, TimeMs due) {
  // The same key for every case seated: a case seated after the timer ran (a
  // late event) brings it back, to run at the next event.
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "clock", clock);
  json::Field(w, "panel", panel.id);
  json::Key(w, "meeting");
  w.Int64(meeting);
  w.EndObject();
  PutTimer(due, kind, panel.id + "@" + panel.DateOf(meeting),
           std::string(buf.GetString(), buf.GetSize()));
}

TimeMs Engine::Seat(const rules::Panel& panel, TimeMs meeting, const std::string& case_id,
                    const rules::RuleSet& rules) {
  for (int i = 0; meeting != 0 && i < 1000; ++i, meeting = panel.MeetingAfter(meeting)) {
    std::string key = AgendaKey(panel.id, meeting);
    auto it = agendas_.find(key);
    if (it != agendas_.end() && it->second.count(case_id)) return meeting;
    if (panel.max_cases > 0 && it != agendas_.end() &&
        it->second.size() >= static_cast<size_t>(panel.max_cases)) {
      continue;  // full: the next meeting
    }
    if (it == agendas_.end()) it = agendas_.emplace(key, std::set<std::string>()).first;
    // Roll-over at the end of the meeting day; the agenda at the cutoff, when
    // it is settled (again, for an updated agenda, if a case comes after).
    ArmMeetingTimer(panel, meeting, "rollover", kTimerRollOver, panel.EndOfMeetingDay(meeting));
    ArmMeetingTimer(panel, meeting, "agenda", kTimerAgenda,
                    panel.cutoff.Before(meeting, rules.calendars));
    it->second.insert(case_id);
    batch_->write.Put(store_->handle(Family::kIndexes), AgendaIndexKey(key, case_id), "");
    return meeting;
  }
  return 0;
}

void Engine::Refer(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
                   const rules::Action& action, const rules::RuleSet& rules) {
  const rules::Panel* found = rules.FindPanel(action.argument);
  if (!found) return;
  const rules::Panel& panel = *found;
  TimeMs at = event.occurred_at();
  // Waiting to be heard already: a further incident is a repeat (SafeLives:
  // a further incident within twelve months of a referral), added to the
  // referral the panel will hear, not a second place on the agenda.
  for (auto& pending : c->referrals) {
    if (pending.panel != panel.id || pending.heard) continue;
    bool repeat =
        panel.repeat_within && pending.referred_at > panel.repeat_within->Before(at, rules.calendars);
    std::string what = "further referral added to the one on the agenda of " + panel.id + " for " +
                       panel.DateOf(pending.meeting) + (repeat ? " (repeat)" : "");
    if (repeat && !pending.repeat) {
      pending.repeat = true;
      if (std::find(c->view.flags.begin(), c->view.flags.end(), "repeat") == c->view.flags.end()) {
        c->view.flags.push_back("repeat");
      }
    }
    Record(c, event, rule.id, "refer", what, rules);
    Changed(c, what);
    // The chair's agenda item, brought up to date.
    if (const rules::Partner* chair = rules.FindPartner(panel.chair)) {
      std::optional<TimeMs> due;
      if (panel.agenda_due) due = panel.agenda_due->Before(pending.meeting, rules.calendars);
      EmitTask(c, event, rule, action, *chair, "agenda",
               "Agenda for " + panel.title + " on " + panel.DateOf(pending.meeting) + ": " +
                   c->view.id + (pending.repeat ? " (repeat)" : "") + ", further incident " +
                   event.id(),
               "high", due, rules, nullptr, "agenda");
    }
    return;
  }
  TimeMs wanted = panel.NextMeeting(at, rules.calendars);
  TimeMs seated = Seat(panel, wanted, c->view.id, rules);
  if (seated == 0) {
    spdlog::warn("refer: panel '{}' has no meeting left for {}", panel.id, c->view.id);
    Record(c, event, rule.id, "refer", "not referred: " + panel.id + " has no meeting left", rules);
    return;
  }
  Referral ref;
  ref.panel = panel.id;
  ref.meeting = ref.first_meeting = seated;
  ref.referred_at = at;
  ref.rule = rule.id;
  ref.action = action.index;
  ref.event_id = event.id();
  if (panel.repeat_within) {
    TimeMs since = panel.repeat_within->Before(at, rules.calendars);
    for (const auto& r : c->referrals) {
      if (r.panel == panel.id && r.referred_at > since) ref.repeat = true;
    }
  }
  c->referrals.push_back(ref);
  std::string day = panel.DateOf(seated);
  if (ref.repeat && std::find(c->view.flags.begin(), c->view.flags.end(), "repeat") ==
                        c->view.flags.end()) {
    c->view.flags.push_back("repeat");
  }
  std::string what = "referred to " + panel.id + " for " + day + (ref.repeat ? " (repeat)" : "");
  Record(c, event, rule.id, "refer", what, rules);
  Changed(c, what);
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  if (seated != wanted && chair) {
    EmitTask(c, event, rule, action, *chair, "notify",
             panel.title + " on " + panel.DateOf(wanted) + " is full (" +
                 std::to_string(panel.max_cases) + " cases): " + c->view.id + " goes to " + day,
             "normal", std::nullopt, rules, nullptr, "overflow");
  }
  for (const auto& member : panel.members) {
    const rules::Partner* p = rules.FindPartner(member);
    if (!p) continue;
    std::optional<TimeMs> due;
    if (panel.research_due) due = panel.research_due->Before(seated, rules.calendars);
    EmitTask(c, event, rule, action, *p, "research",
             "Research " + c->view.id + " for " + panel.title + " on " + day +
                 (ref.repeat ? " (repeat referral)" : ""),
             "high", due, rules, nullptr, "research");
  }
  if (chair) {
    std::optional<TimeMs> due;
    if (panel.agenda_due) due = panel.agenda_due->Before(seated, rules.calendars);
    EmitTask(c, event, rule, action, *chair, "agenda",
             "Agenda for " + panel.title + " on " + day + ": " + c->view.id +
                 (ref.repeat ? " (repeat)" : ""),
             "high", due, rules, nullptr, "agenda");
  }
}

void Engine::RollOver(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules) {
  const rules::Panel* panel = rules.FindPanel(panel_id);
  auto it = agendas_.find(AgendaKey(panel_id, meeting));
  if (!panel || it == agendas_.end()) return;
  const rules::Partner* chair = rules.FindPartner(panel->chair);
  std::string from = panel->DateOf(meeting);
  // A copy: seating cases on the next meeting changes the agendas.
  std::vector<std::string> ids(it->second.begin(), it->second.end());
  for (const auto& id : ids) {
    CaseRecord* c = GetCase(id);
    if (!c || c->view.status != "open") continue;
    for (size_t i = 0; i < c->referrals.size(); ++i) {
      if (c->referrals[i].panel != panel->id || c->referrals[i].heard ||
          c->referrals[i].meeting != meeting) {
        continue;
      }
      TimeMs next = Seat(*panel, panel->MeetingAfter(meeting), id, rules);
      if (next == 0) {
        std::string detail =
            "no outcome recorded at " + panel->id + " on " + from + ", and no meeting left";
        Record(c, "clock/rollover", c->referrals[i].rule, "rollover", detail, rules);
        Changed(c, detail);
        continue;
      }
      Referral& r = c->referrals[i];
      r.meeting = next;
      ++r.rolled;
      std::string to = panel->DateOf(next);
      std::string detail =
          "no outcome recorded at " + panel->id + " on " + from + ": rolled to " + to;
      Record(c, "clock/rollover", r.rule, "rollover", detail, rules);
      Changed(c, detail);
      auto event = LoadEvent(r.event_id);
      if (!event || !chair) continue;
      // The rule that referred may have changed since; the task keeps its name.
      rules::Rule gone;
      gone.id = r.rule;
      const rules::Rule* rule = rules.FindRule(r.rule);
      rules::Action action;
      action.kind = rules::Action::Kind::kRefer;
      action.index = r.action;
      std::optional<TimeMs> due = next;
      if (panel->agenda_due) due = panel->agenda_due->Before(next, rules.calendars);
      EmitTask(c, *event, rule ? *rule : gone, action, *chair, "agenda",
               "Record the outcome for " + id + " at " + panel->title + " on " + from +
                   ": none was recorded, so it is on the agenda again for " + to,
               "high", due, rules, nullptr, "rollover/" + from);
    }
  }
}

void Engine::ApplyOutcome(CaseRecord* c, const rules::Event& event, const rules::RuleSet& rules) {
  const auto& data = event.data();
  std::string panel_id(json::GetString(data, "panel"));
  std::string meeting(json::GetString(data, "meeting"));
  const rules::Panel* panel = rules.FindPanel(panel_id);
  auto date_of = [panel](TimeMs t) {
    return panel ? panel->DateOf(t) : FormatRfc3339(t).substr(0, 10);
  };
  // An outcome for a meeting the referral was on (before it rolled on) hears it.
  std::string day = meeting.substr(0, 10);
  for (auto& r : c->referrals) {
    if (r.panel == panel_id && !r.heard &&
        (day.empty() || (date_of(r.first_meeting) <= day && day <= date_of(r.meeting)))) {
      r.heard = true;
    }
  }
  rules::Rule rule;
  rule.id = "panel:" + panel_id;
  rule.title = "Outcome of " + (panel ? panel->title : panel_id);
  Record(c, event, rule.id, "outcome", "outcome of " + panel_id + " " + meeting, rules);
  Changed(c, "outcome of " + panel_id + " recorded");
  auto actions = data.FindMember("actions");
  if (actions != data.MemberEnd() && actions->value.IsArray()) {
    int index = 0;
    for (const auto& a : actions->value.GetArray()) {
      rules::Action action;
      action.index = index++;
      const rules::Partner* to = rules.FindPartner(json::GetString(a, "to"));
      if (!to) {
        Record(c, event, rule.id, "outcome",
               "action for unknown partner '" + std::string(json::GetString(a, "to")) + "' left out",
               rules);
        continue;
      }
      std::optional<TimeMs> due;
      std::string due_text(json::GetString(a, "due"));
      if (auto t = ParseRfc3339(due_text)) {
        due = *t;
      } else if (auto d = ParseDate(due_text)) {
        due = *d;
      } else if (auto d = rules::ParseDuration(due_text); d.ok()) {
        due = d->After(event.occurred_at(), rules.calendars);
      }
      std::string priority(json::GetString(a, "priority", "normal"));
      EmitTask(c, event, rule, action, *to, "action", std::string(json::GetString(a, "title")),
               priority, due, rules, nullptr);
    }
  }
  const rules::CaseType* type = rules.FindCaseType(c->view.type);
  std::string stage(json::GetString(data, "stage"));
  if (type && !stage.empty() && type->StageIndex(stage) >= 0 && stage != c->view.stage) {
    std::string detail = "stage " + c->view.stage + " -> " + stage;
    c->view.stage = stage;
    Changed(c, detail);
    Record(c, event, rule.id, "set_stage", detail, rules);
  }
  std::string close(json::GetString(data, "close"));
  if (!close.empty() && c->view.status == "open") CloseCase(c, close, event.id(), rule.id, rules);
}

Status Engine::CheckHeld(const rules::Event& event, const rules::RuleSet& rules) const {
  const auto& data = event.data();
  std::string panel_id(json::GetString(data, "panel"));
  if (!rules.FindPanel(panel_id)) {
    std::string known;
    for (const auto& p : rules.panels) known += (known.empty() ? "" : ", ") + p.id;
    return Status::Error("panel.held: unknown panel '" + panel_id + "' (panels.yaml defines: " +
                         (known.empty() ? "none" : known) + ")");
  }
  if (!ParseDate(std::string(json::GetString(data, "meeting")).substr(0, 10))) {
    return Status::Error("panel.held: data.meeting must be the meeting's date (YYYY-MM-DD)");
  }
  auto attendees = data.FindMember("attendees");
  bool ok = attendees != data.MemberEnd() && attendees->value.IsArray();
  if (ok) {
    for (const auto& a : attendees->value.GetArray()) ok = ok && a.IsString();
  }
  if (!ok) return Status::Error("panel.held: data.attendees must be a list of partner ids");
  return Status::Ok();
}

void Engine::ApplyHeld(const rules::Event& event, const rules::RuleSet& rules) {
  const auto& data = event.data();
  const rules::Panel& panel = *rules.FindPanel(json::GetString(data, "panel"));  // CheckHeld
  std::string day = std::string(json::GetString(data, "meeting")).substr(0, 10);
  TimeMs meeting = panel.MeetingAt(*ParseDate(day) / kMsPerDay);
  std::set<std::string> present;
  for (const auto& a : data["attendees"].GetArray()) present.insert(a.GetString());
  std::vector<std::string> missing;
  for (const auto& m : panel.quorum) {
    if (!present.count(m)) missing.push_back(m);
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "panel", panel.id);
  json::Field(w, "meeting", day);
  json::Field(w, "event", event.id());
  for (const auto& [name, list] : {std::pair{"attendees", std::vector<std::string>(
                                                              present.begin(), present.end())},
                                   std::pair{"missing", missing}}) {
    json::Key(w, name);
    w.StartArray();
    for (const auto& m : list) w.String(m.data(), static_cast<rapidjson::SizeType>(m.size()));
    w.EndArray();
  }
  w.EndObject();
  std::string record(buf.GetString(), buf.GetSize());
  batch_->write.Put(store_->handle(Family::kIndexes), HeldIndexKey(AgendaKey(panel.id, meeting)),
                    record);
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  if (missing.empty() || !chair) return;
  std::string names;
  for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
  EmitMeetingTask(panel, meeting, *chair, "notify",
                  panel.title + " on " + day + " met without " + names +
                      ", whose attendance is required: its decisions need their agreement",
                  std::nullopt, event.id(), "quorum", std::move(record), rules);
}

void Engine::EmitMeetingTask(const rules::Panel& panel, TimeMs meeting,
                             const rules::Partner& chair, std::string kind, std::string title,
                             std::optional<TimeMs> due, const std::string& trigger,
                             const std::string& variant, std::string context_json,
                             const rules::RuleSet& rules) {
  // About a meeting, not a case: the task's case is the meeting itself.
  Task t;
  t.case_id = panel.id + "/" + panel.DateOf(meeting);
  t.task_id = MakeTaskId(t.case_id, "panel:" + panel.id, 0, trigger, chair.id + "/" + variant);
  if (batch_->tasks.count(t.task_id)) return;
  t.case_type = "panel";
  t.partner = chair.id;
  t.kind = std::move(kind);
  t.rule = "panel:" + panel.id;
  t.rules_version = rules.version;
  t.title = std::move(title);
  t.priority = "high";
  t.due_at = due;
  t.created_at = clock_->Now();
  t.trigger_event = trigger;
  t.context_json = std::move(context_json);
  PublishTask(std::move(t), chair);
}

void Engine::EmitAgenda(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules) {
  const rules::Panel* panel = rules.FindPanel(panel_id);
  auto it = agendas_.find(AgendaKey(panel_id, meeting));
  const rules::Partner* chair = panel ? rules.FindPartner(panel->chair) : nullptr;
  if (!panel || !chair || it == agendas_.end()) return;
  struct Item {
    CaseRecord* c;
    const Referral* r;
  };
  std::vector<Item> items;
  for (const auto& id : it->second) {
    CaseRecord* c = GetCase(id);
    if (!c || c->view.status != "open") continue;
    for (const auto& r : c->referrals) {
      if (r.panel == panel->id && !r.heard && r.meeting == meeting) {
        items.push_back({c, &r});
        break;
      }
    }
  }
  if (items.empty()) return;
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return std::tie(a.r->referred_at, a.c->view.id) < std::tie(b.r->referred_at, b.c->view.id);
  });
  // Each case as the chair may see it (its `case` share; the events are in
  // each case's own agenda item). At most kAgendaListed are listed, so that a
  // huge meeting cannot make a message a broker refuses; the title and `cases_total` say how
  // many there are, and `convene panel agenda` lists them all.
  constexpr size_t kAgendaListed = 100;
  rapidjson::Document context(rapidjson::kObjectType);
  auto& a = context.GetAllocator();
  std::string day = panel->DateOf(meeting);
  context.AddMember("panel", rapidjson::Value(panel->id.c_str(), a), a);
  context.AddMember("meeting", rapidjson::Value(day.c_str(), a), a);
  rapidjson::Value cases(rapidjson::kArrayType);
  std::string ids;
  int repeats = 0;
  for (const auto& [c, r] : items) {
    ids += c->view.id + ",";
    if (r->repeat) ++repeats;
    if (cases.Size() >= kAgendaListed) continue;
    rapidjson::Value item(rapidjson::kObjectType);
    item.AddMember("case_id", rapidjson::Value(c->view.id.c_str(), a), a);
    item.AddMember("repeat", r->repeat, a);
    std::string referred = FormatRfc3339(r->referred_at);
    item.AddMember("referred_at", rapidjson::Value(referred.c_str(), a), a);
    if (r->first_meeting != meeting) {
      std::string from = panel->DateOf(r->first_meeting);
      item.AddMember("rolled_from", rapidjson::Value(from.c_str(), a), a);
    }
    if (auto event = LoadEvent(r->event_id)) {
      rules::SharedContext shared = rules::BuildContext(*chair, *event, c->view);
      rapidjson::Document d;
      d.Parse(shared.json.c_str(), shared.json.size());
      if (d.IsObject() && d.HasMember("case")) item.AddMember("case", rapidjson::Value(d["case"], a), a);
    }
    cases.PushBack(std::move(item), a);
  }
  context.AddMember("cases_total", static_cast<uint64_t>(items.size()), a);
  context.AddMember("cases", std::move(cases), a);
  std::optional<TimeMs> due = meeting;
  if (panel->agenda_due) due = panel->agenda_due->Before(meeting, rules.calendars);
  // A case added after the agenda went out (rolled in, or referred late)
  // makes a new, updated agenda: another task, never a changed one.
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx",
                static_cast<unsigned long long>(rules::Fnv1a64(ids)));
  size_t n = items.size();
  EmitMeetingTask(*panel, meeting, *chair, "agenda",
                  "Agenda for " + panel->title + " on " + day + ": " + std::to_string(n) +
                      (n == 1 ? " case" : " cases") +
                      (repeats ? " (" + std::to_string(repeats) + " repeat)" : ""),
                  due, "clock/agenda/" + std::string(digest), "agenda", json::Serialize(context),
                  rules);
}

}  // namespace convene::engine

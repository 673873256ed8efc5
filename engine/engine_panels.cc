// Multi-agency panels in the engine, as SPEC 4 says panels run: a referral
// finds the next meeting it can make (and one with room, when the panel has
// max_cases) and members get research tasks; at the cutoff the chair gets the
// meeting's one agenda, and a case added later reaches the chair as a notify.
// At the end of the meeting day a held meeting has heard its cases; one that
// was cancelled or not quorate (panel.cancelled, panel.held) sends those
// without an outcome on to the next meeting, as does an outcome that says
// `deferred: true`. An outcome not recorded within `outcome_due` is a task for
// the chair. A case heard and referred again within `repeat_within` is a
// repeat referral; one still waiting gains the new incident.
//
// What is kept of each meeting (its agenda, whether it was held) is the
// meeting book's (meeting_book.h); this file decides. Meeting clocks run on event time, like idle clocks:
// replaying last year's events hears and rolls cases as they were then.
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

MeetingBook::Meeting* Engine::MeetingOf(std::string_view panel, TimeMs meeting) {
  auto m = meetings_.Get(panel, meeting);
  if (!m.ok()) {
    StoreFailed(m.status(), "the meetings");
    return nullptr;
  }
  return *m;
}

TimeMs Engine::Seat(const rules::Panel& panel, TimeMs meeting, const std::string& case_id,
                    const rules::RuleSet& rules, bool* passed_full) {
  for (int i = 0; meeting != 0 && i < 1000; ++i, meeting = panel.MeetingAfter(meeting)) {
    MeetingBook::Meeting* m = MeetingOf(panel.id, meeting);
    if (!m) return 0;
    if (m->cases.count(case_id) && !m->ended) return meeting;
    // Over (a late referral, or a roll from it), cancelled or not quorate:
    // the next meeting.
    if (m->ended || !m->not_held.empty() || panel.EndOfMeetingDay(meeting) <= event_time_) {
      continue;
    }
    if (panel.max_cases > 0 && m->cases.size() >= static_cast<size_t>(panel.max_cases)) {
      if (passed_full) *passed_full = true;
      continue;  // full: the next meeting
    }
    if (m->cases.empty()) {
      // The meeting's clocks, once: its agenda at the cutoff, its end.
      ArmMeetingTimer(panel, meeting, "agenda", kTimerAgenda,
                      panel.cutoff.Before(meeting, rules.calendars));
      ArmMeetingTimer(panel, meeting, "end", kTimerMeetingEnd, panel.EndOfMeetingDay(meeting));
    }
    meetings_.Seat(&batch_->write, panel.id, meeting, m, case_id);
    return meeting;
  }
  return 0;
}

Referral* Engine::ReferralAt(CaseRecord* c, const rules::Panel& panel, TimeMs meeting) {
  Referral* found = nullptr;
  for (auto& r : c->referrals) {
    if (r.panel == panel.id && r.meeting == meeting) found = &r;
  }
  return found;
}

void Engine::EmitReferralTask(CaseRecord* c, const Referral& r, const rules::Panel& panel,
                              std::string kind, std::string title, std::optional<TimeMs> due,
                              const std::string& variant, const rules::RuleSet& rules) {
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  auto event = LoadEvent(r.event_id);
  if (!event || !chair) return;
  // The rule that referred may have changed since; the task keeps its name.
  rules::Rule gone;
  gone.id = r.rule;
  const rules::Rule* rule = rules.FindRule(r.rule);
  rules::Action action;
  action.kind = rules::Action::Kind::kRefer;
  action.index = r.action;
  EmitTask(c, *event, rule ? *rule : gone, action, *chair, std::move(kind), std::move(title),
           "high", due, rules, nullptr, variant);
}

void Engine::NotifyLateAgenda(CaseRecord* c, const Referral& r, const rules::Panel& panel,
                              const std::string& why, const rules::RuleSet& rules) {
  const MeetingBook::Meeting* m = MeetingOf(panel.id, r.meeting);
  if (!m || !m->agenda_sent) return;
  std::string day = panel.DateOf(r.meeting);
  std::optional<TimeMs> due;
  if (panel.agenda_due) due = panel.agenda_due->Before(r.meeting, rules.calendars);
  EmitReferralTask(c, r, panel, "notify",
                   "Added to the agenda of " + panel.title + " on " + day +
                       " after it went out: " + c->view.id + (r.repeat ? " (repeat)" : "") + why,
                   due, "late-agenda/" + day, rules);
}

void Engine::Refer(CaseRecord* c, const rules::Event& event, const rules::Rule& rule,
                   const rules::Action& action, const rules::RuleSet& rules) {
  const rules::Panel* found = rules.FindPanel(action.argument);
  if (!found) return;
  const rules::Panel& panel = *found;
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  TimeMs at = event.occurred_at();
  // Waiting to be heard already: the new incident joins the referral the
  // panel will hear (a repeat when it came within repeat_within of it), not a
  // second place on the agenda.
  for (auto& pending : c->referrals) {
    if (pending.panel != panel.id || pending.heard) continue;
    bool repeat =
        panel.repeat_within && pending.referred_at > panel.repeat_within->Before(at, rules.calendars);
    std::string day = panel.DateOf(pending.meeting);
    std::string what = "further referral added to the one on the agenda of " + panel.id + " for " +
                       day + (repeat ? " (repeat)" : "");
    if (repeat && !pending.repeat) {
      pending.repeat = true;
      AddFlag(c, "repeat");
    }
    Record(c, event, rule.id, "refer", what, rules);
    Changed(c, what);
    // The agenda lists the case; once it has gone out, the chair is told.
    const MeetingBook::Meeting* m = MeetingOf(panel.id, pending.meeting);
    if (chair && m && m->agenda_sent) {
      EmitTask(c, event, rule, action, *chair, "notify",
               "Further incident on " + c->view.id + (pending.repeat ? " (repeat)" : "") +
                   " before " + panel.title + " on " + day + ": " + event.id(),
               "high", std::nullopt, rules, nullptr, "further");
    }
    return;
  }
  TimeMs wanted = panel.NextMeeting(at, rules.calendars);
  bool passed_full = false;
  TimeMs seated = Seat(panel, wanted, c->view.id, rules, &passed_full);
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
  // A case heard within repeat_within of an earlier referral (SafeLives).
  if (panel.repeat_within) {
    TimeMs since = panel.repeat_within->Before(at, rules.calendars);
    for (const auto& r : c->referrals) {
      if (r.panel == panel.id && r.referred_at > since) ref.repeat = true;
    }
  }
  c->referrals.push_back(ref);
  std::string day = panel.DateOf(seated);
  if (ref.repeat) AddFlag(c, "repeat");
  std::string what = "referred to " + panel.id + " for " + day + (ref.repeat ? " (repeat)" : "");
  Record(c, event, rule.id, "refer", what, rules);
  Changed(c, what);
  if (passed_full && chair) {
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
  NotifyLateAgenda(c, c->referrals.back(), panel, "", rules);
}

void Engine::RollReferral(CaseRecord* c, Referral* r, const rules::Panel& panel,
                          const std::string& why, const std::string& trigger,
                          const rules::RuleSet& rules) {
  std::string from = panel.DateOf(r->meeting);
  TimeMs next = Seat(panel, panel.MeetingAfter(r->meeting), c->view.id, rules);
  std::string detail = "not heard at " + panel.id + " on " + from + " (" + why + ")";
  if (next == 0) {
    detail += ", and no meeting left";
    Record(c, trigger, r->rule, "rollover", detail, rules);
    Changed(c, detail);
    return;
  }
  r->meeting = next;
  r->heard = false;
  ++r->rolled;
  detail += ": rolled to " + panel.DateOf(next);
  Record(c, trigger, r->rule, "rollover", detail, rules);
  Changed(c, detail);
  NotifyLateAgenda(c, *r, panel, " (" + why + " on " + from + ")", rules);
}

void Engine::RollOn(const rules::Panel& panel, TimeMs meeting, const std::string& why,
                    const rules::RuleSet& rules) {
  const MeetingBook::Meeting* m = MeetingOf(panel.id, meeting);
  if (!m) return;
  // A copy: seating cases on the next meeting changes the meetings.
  std::vector<std::string> ids(m->cases.begin(), m->cases.end());
  for (const auto& id : ids) {
    CaseRecord* c = GetCase(id);
    if (!c || c->view.status != "open") continue;
    Referral* r = ReferralAt(c, panel, meeting);
    if (r && !r->outcome) RollReferral(c, r, panel, why, "clock/meeting", rules);
  }
}

void Engine::EndMeeting(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules) {
  const rules::Panel* panel = rules.FindPanel(panel_id);
  MeetingBook::Meeting* m = panel ? MeetingOf(panel_id, meeting) : nullptr;
  if (!m || !m->recorded || m->ended) return;
  m->ended = true;
  meetings_.Save(&batch_->write, panel_id, meeting, m);
  if (!m->not_held.empty()) {
    RollOn(*panel, meeting, m->not_held, rules);
    return;
  }
  // Held: it heard every case on its agenda.
  std::string day = panel->DateOf(meeting);
  bool outcomes_missing = false;
  for (const auto& id : m->cases) {
    CaseRecord* c = GetCase(id);
    if (!c || c->view.status != "open") continue;
    Referral* r = ReferralAt(c, *panel, meeting);
    if (!r || r->heard) continue;
    r->heard = true;
    outcomes_missing = outcomes_missing || !r->outcome;
    std::string detail = "heard at " + panel->id + " on " + day;
    Record(c, "clock/meeting", r->rule, "heard", detail, rules);
    Changed(c, detail);
  }
  if (outcomes_missing) {
    ArmMeetingTimer(*panel, meeting, "outcome", kTimerOutcome,
                    panel->outcome_due.After(meeting, rules.calendars));
  }
}

void Engine::OutcomeDue(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules) {
  const rules::Panel* panel = rules.FindPanel(panel_id);
  const MeetingBook::Meeting* m = panel ? MeetingOf(panel_id, meeting) : nullptr;
  if (!m) return;
  std::string day = panel->DateOf(meeting);
  TimeMs due = panel->outcome_due.After(meeting, rules.calendars);
  for (const auto& id : m->cases) {
    CaseRecord* c = GetCase(id);
    if (!c || c->view.status != "open") continue;
    const Referral* r = ReferralAt(c, *panel, meeting);
    if (!r || !r->heard || r->outcome) continue;
    EmitReferralTask(c, *r, *panel, "action",
                     "Record the outcome for " + id + " at " + panel->title + " on " + day +
                         ": none was recorded within " + panel->outcome_due.text,
                     due, "outcome/" + day, rules);
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
  bool deferred = json::GetBool(data, "deferred");
  // An outcome for a meeting the referral was on (before it rolled on) hears
  // it; a deferral sends it on to the next meeting.
  std::string day = meeting.substr(0, 10);
  for (auto& r : c->referrals) {
    if (r.panel != panel_id || r.outcome ||
        !(day.empty() || (date_of(r.first_meeting) <= day && day <= date_of(r.meeting)))) {
      continue;
    }
    if (!deferred) {
      r.heard = r.outcome = true;
    } else if (panel && date_of(r.meeting) == day) {
      RollReferral(c, &r, *panel, "deferred", event.id(), rules);
    }
  }
  rules::Rule rule;
  rule.id = "panel:" + panel_id;
  rule.title = "Outcome of " + (panel ? panel->title : panel_id);
  Record(c, event, rule.id, "outcome",
         "outcome of " + panel_id + " " + meeting + (deferred ? " (deferred)" : ""), rules);
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
  const std::string& type = event.type();
  std::string panel_id(json::GetString(data, "panel"));
  const rules::Panel* panel = rules.FindPanel(panel_id);
  if (!panel) {
    std::string known;
    for (const auto& p : rules.panels) known += (known.empty() ? "" : ", ") + p.id;
    return Status::Error(type + ": unknown panel '" + panel_id + "' (panels.yaml defines: " +
                         (known.empty() ? "none" : known) + ")");
  }
  std::string day(std::string(json::GetString(data, "meeting")).substr(0, 10));
  auto date = ParseDate(day);
  if (!date) return Status::Error(type + ": data.meeting must be the meeting's date (YYYY-MM-DD)");
  TimeMs start = panel->MeetingAt(*date / kMsPerDay);
  if (panel->MeetingFrom(start) != start) {
    return Status::Error(type + ": " + panel_id + " has no meeting on " + day);
  }
  if (type == "panel.cancelled") return Status::Ok();
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
  MeetingBook::Meeting* m = MeetingOf(panel.id, meeting);
  if (!m) return;
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  if (event.type() == "panel.cancelled") {
    std::string reason(json::GetString(data, "reason"));
    m->not_held = "cancelled" + (reason.empty() ? "" : ": " + reason);
  } else {
    std::set<std::string> present;
    for (const auto& a : data["attendees"].GetArray()) present.insert(a.GetString());
    std::vector<std::string> missing;
    for (const auto& q : panel.quorum) {
      if (!present.count(q)) missing.push_back(q);
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
      for (const auto& q : list) w.String(q.data(), static_cast<rapidjson::SizeType>(q.size()));
      w.EndArray();
    }
    w.EndObject();
    std::string record(buf.GetString(), buf.GetSize());
    meetings_.SaveHeld(&batch_->write, panel.id, meeting, record);
    std::string names;
    for (const auto& q : missing) names += (names.empty() ? "" : ", ") + q;
    m->not_held = missing.empty() ? "" : "not quorate: met without " + names;
    if (!missing.empty() && chair) {
      EmitMeetingTask(panel, meeting, *chair, "notify",
                      panel.title + " on " + day + " met without " + names +
                          ", whose attendance is required: its cases without an outcome go to "
                          "the next meeting",
                      std::nullopt, event.id(), "quorum", std::move(record), rules);
    }
  }
  meetings_.Save(&batch_->write, panel.id, meeting, m);
  // Recorded after the day was over: its cases are taken back from "heard".
  if (m->ended && !m->not_held.empty()) RollOn(panel, meeting, m->not_held, rules);
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
  if (tasks_.InBatch(t.task_id)) return;
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
  t.event_at = event_time_;
  t.context_json = std::move(context_json);
  PublishTask(std::move(t), chair);
}

void Engine::EmitAgenda(std::string_view panel_id, TimeMs meeting, const rules::RuleSet& rules) {
  const rules::Panel* panel = rules.FindPanel(panel_id);
  const rules::Partner* chair = panel ? rules.FindPartner(panel->chair) : nullptr;
  MeetingBook::Meeting* m = chair ? MeetingOf(panel_id, meeting) : nullptr;
  if (!m || !m->recorded || m->agenda_sent) return;
  // Once per meeting; a case added later reaches the chair as a notify.
  m->agenda_sent = true;
  meetings_.Save(&batch_->write, panel_id, meeting, m);
  struct Item {
    CaseRecord* c;
    const Referral* r;
  };
  std::vector<Item> items;
  for (const auto& id : m->cases) {
    CaseRecord* c = GetCase(id);
    if (!c || c->view.status != "open") continue;
    const Referral* r = ReferralAt(c, *panel, meeting);
    if (r && !r->heard) items.push_back({c, r});
  }
  if (items.empty()) return;
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return std::tie(a.r->referred_at, a.c->view.id) < std::tie(b.r->referred_at, b.c->view.id);
  });
  // Each case as the chair may see it (its `case` share). At most kAgendaListed are listed, so that a
  // huge meeting cannot make a message a broker refuses; the title and `cases_total` say how
  // many there are, and `convene panel agenda` lists them all.
  constexpr size_t kAgendaListed = 100;
  rapidjson::Document context(rapidjson::kObjectType);
  auto& a = context.GetAllocator();
  std::string day = panel->DateOf(meeting);
  context.AddMember("panel", rapidjson::Value(panel->id.c_str(), a), a);
  context.AddMember("meeting", rapidjson::Value(day.c_str(), a), a);
  rapidjson::Value cases(rapidjson::kArrayType);
  int repeats = 0;
  for (const auto& [c, r] : items) {
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
  size_t n = items.size();
  EmitMeetingTask(*panel, meeting, *chair, "agenda",
                  "Agenda for " + panel->title + " on " + day + ": " + std::to_string(n) +
                      (n == 1 ? " case" : " cases") +
                      (repeats ? " (" + std::to_string(repeats) + " repeat)" : ""),
                  due, "clock/agenda", "agenda", json::Serialize(context),
                  rules);
}

}  // namespace convene::engine

#include "engine/panel_book.h"

#include <date/tz.h>

#include <algorithm>
#include <sstream>

#include "engine/case_record.h"
#include "engine/engine_internal.h"
#include "engine/task_book.h"
#include "rules/json.h"
#include "rules/share.h"

namespace convene::engine {
namespace {

// The referral that put the case on `meeting`: made for it, or for an earlier
// meeting and rolled on through it.
const Referral* ReferralFor(const CaseRecord& c, const rules::Panel& panel, TimeMs meeting) {
  const Referral* found = nullptr;
  for (const auto& r : c.referrals) {
    if (r.panel == panel.id && r.first_meeting <= meeting && meeting <= r.meeting) found = &r;
  }
  return found;
}

// The case `id`; none when there is no such case. Not OK when it could not
// be read.
Result<std::optional<CaseRecord>> LoadCase(const CaseStore& store, const std::string& id) {
  return ReadCase(store, id, /*with_history=*/false);
}

}  // namespace

std::string LocalDateTime(const rules::Panel& panel, TimeMs t) {
  auto local = panel.zone->to_local(date::sys_time<std::chrono::milliseconds>{
      std::chrono::milliseconds{t}});
  auto day = date::floor<date::days>(local);
  date::year_month_day ymd{day};
  std::string s = date::format("%A ", date::weekday{day}) +
                  std::to_string(static_cast<unsigned>(ymd.day())) +
                  date::format(" %B %Y, ", ymd) +
                  date::format("%H:%M", date::floor<std::chrono::minutes>(local));
  return s;
}

Result<std::map<TimeMs, MeetingRecord>> ReadMeetings(const CaseStore& store,
                                                     std::string_view panel) {
  std::map<TimeMs, MeetingRecord> meetings;
  auto read = [&](char kind) {
    std::string prefix = MeetingIndexPrefix(kind, panel);
    return store.Scan(Family::kIndexes, prefix, [&](std::string_view k, std::string_view v) {
      std::string_view rest = k.substr(prefix.size());
      if (rest.size() < 8) return true;
      TimeMs start = static_cast<TimeMs>(DecodeU64(rest.substr(0, 8)));
      MeetingRecord& m = meetings[start];
      m.start = start;
      if (kind == 'a' && rest.size() > 9) {
        m.case_ids.emplace_back(rest.substr(9));
      } else if (kind == 'p') {
        m.held_json = std::string(v);
      }
      return true;
    });
  };
  if (Status s = read('a'); !s.ok()) return s;
  if (Status s = read('p'); !s.ok()) return s;
  return meetings;
}

Result<MeetingCounts> CountMeeting(const CaseStore& store, const rules::Panel& panel,
                                   const MeetingRecord& meeting) {
  MeetingCounts n;
  for (const auto& id : meeting.case_ids) {
    auto c = LoadCase(store, id);
    if (!c.ok()) return c.status();
    const Referral* r = c->has_value() ? ReferralFor(**c, panel, meeting.start) : nullptr;
    if (!r) continue;
    if (r->meeting > meeting.start) {
      ++n.rolled_on;
      continue;
    }
    ++n.cases;
    if (r->repeat) ++n.repeats;
    if (r->first_meeting < meeting.start) ++n.rolled_in;
    if (r->outcome) {
      ++n.outcomes;
    } else if ((*c)->view.status != "open") {
      ++n.closed;
    }
  }
  return n;
}

Result<std::vector<MeetingRecord>> MeetingsToShow(const CaseStore& store, const rules::Panel& panel,
                                                  TimeMs from, int count) {
  auto read = ReadMeetings(store, panel.id);
  if (!read.ok()) return read.status();
  std::vector<MeetingRecord> shown;
  for (const auto& [t, m] : *read) {
    if (t >= from) break;
    auto n = CountMeeting(store, panel, m);
    if (!n.ok()) return n.status();
    if (n->cases > n->outcomes + n->closed) shown.push_back(m);
  }
  TimeMs t = panel.MeetingFrom(from);
  for (int i = 0; i < count && t != 0; ++i, t = panel.MeetingAfter(t)) {
    auto it = read->find(t);
    MeetingRecord empty;
    empty.start = t;
    shown.push_back(it == read->end() ? empty : it->second);
  }
  return shown;
}

Result<Agenda> ReadAgenda(const CaseStore& store, const rules::RuleSet& rules,
                          const rules::Panel& panel, const MeetingRecord& meeting) {
  Agenda agenda;
  agenda.start = meeting.start;
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  for (const auto& id : meeting.case_ids) {
    auto c = LoadCase(store, id);
    if (!c.ok()) return c.status();
    const Referral* r = c->has_value() ? ReferralFor(**c, panel, meeting.start) : nullptr;
    if (!r) continue;
    AgendaItem item;
    item.view = (*c)->view;
    item.referral = *r;
    // What the chair may see, as the chair's task carries it.
    auto raw = store.Get(Family::kEvents, r->event_id);
    if (!raw.ok()) return raw.status();
    if (chair && raw->has_value()) {
      auto event = rules::ParseEvent(**raw, [](std::string_view) { return true; });
      if (!event.ok()) {
        return Status::Corruption("event " + r->event_id + ": " + event.status().message());
      }
      rules::SharedContext shared = rules::BuildContext(*chair, **event, item.view);
      rapidjson::Document d;
      d.Parse(shared.json.data(), shared.json.size());
      if (d.IsObject() && d.HasMember("event")) item.shared = rules::SharedLines(d["event"]);
      item.withheld = shared.withheld;
    }
    // The members' research for this referral.
    Status scanned = ReadTasksOf(store, id, [&](const Task& t) {
      if (t.kind == "research" && t.trigger_event == r->event_id) {
        item.research.push_back({t.partner, t.task_id, t.status});
      }
      return true;
    });
    if (!scanned.ok()) return scanned;
    std::sort(item.research.begin(), item.research.end(),
              [](const auto& a, const auto& b) {
                return std::tie(a.partner, a.status) < std::tie(b.partner, b.status);
              });
    (r->meeting > meeting.start ? agenda.rolled_on : agenda.cases).push_back(std::move(item));
  }
  auto by_referral = [](const AgendaItem& a, const AgendaItem& b) {
    return std::tie(a.referral.referred_at, a.view.id) < std::tie(b.referral.referred_at, b.view.id);
  };
  std::sort(agenda.cases.begin(), agenda.cases.end(), by_referral);
  std::sort(agenda.rolled_on.begin(), agenda.rolled_on.end(), by_referral);
  if (!meeting.held_json.empty()) {
    rapidjson::Document d;
    d.Parse(meeting.held_json.data(), meeting.held_json.size());
    if (!d.IsObject()) return Status::Corruption("the panel.held record of " + panel.id + " " +
                                                 panel.DateOf(meeting.start) + " is damaged");
    agenda.held = true;
    for (auto [name, list] : {std::pair{"attendees", &agenda.attendees},
                              std::pair{"missing", &agenda.missing}}) {
      auto m = d.FindMember(name);
      if (m == d.MemberEnd() || !m->value.IsArray()) continue;
      for (const auto& a : m->value.GetArray()) {
        if (a.IsString()) list->emplace_back(a.GetString());
      }
    }
  }
  return agenda;
}

Result<std::string> FormatAgenda(const CaseStore& store, const rules::RuleSet& rules,
                                 const rules::Panel& panel, const MeetingRecord& meeting) {
  auto read = ReadAgenda(store, rules, panel, meeting);
  if (!read.ok()) return read.status();
  const Agenda& agenda = *read;
  std::ostringstream out;
  const rules::Partner* chair = rules.FindPartner(panel.chair);
  out << panel.title << " (" << panel.id << ")\n"
      << LocalDateTime(panel, meeting.start) << " (" << panel.zone->name() << ")\n\n"
      << "  Chair:     " << (chair ? chair->name + " (" + chair->id + ")" : panel.chair) << "\n"
      << "  Members:   ";
  for (size_t i = 0; i < panel.members.size(); ++i) out << (i ? ", " : "") << panel.members[i];
  out << "\n  Referrals: by " << LocalDateTime(panel, panel.cutoff.Before(meeting.start, rules.calendars))
      << " (cutoff " << panel.cutoff.text << ")\n";
  if (panel.research_due) {
    out << "  Research:  by " << LocalDateTime(panel, panel.research_due->Before(meeting.start, rules.calendars))
        << "\n";
  }
  if (panel.agenda_due) {
    out << "  Agenda:    by " << LocalDateTime(panel, panel.agenda_due->Before(meeting.start, rules.calendars))
        << "\n";
  }
  out << "  Cases:     " << agenda.cases.size();
  if (panel.max_cases > 0) out << " of at most " << panel.max_cases;
  int repeats = static_cast<int>(std::count_if(agenda.cases.begin(), agenda.cases.end(),
                                               [](const AgendaItem& i) { return i.referral.repeat; }));
  if (repeats > 0) out << " (" << repeats << " repeat" << (repeats == 1 ? "" : "s") << ")";
  out << "\n";

  int n = 0;
  for (const auto& item : agenda.cases) {
    const rules::CaseView& c = item.view;
    const Referral& r = item.referral;
    out << "\n" << ++n << ". " << c.id << "  " << c.type << "  stage " << c.stage;
    if (auto risk = c.fields.find("risk"); risk != c.fields.end()) out << "  risk " << risk->second;
    if (r.repeat) out << "  REPEAT REFERRAL";
    if (c.status != "open") out << "  (case " << c.status << ")";
    out << "\n   Referred " << LocalDateTime(panel, r.referred_at) << " by rule " << r.rule
        << " (event " << r.event_id << ")\n";
    if (r.first_meeting < meeting.start) {
      out << "   Rolled from " << panel.DateOf(r.first_meeting) << " (" << r.rolled
          << (r.rolled == 1 ? " time" : " times") << ")\n";
    }
    out << "   Outcome: " << (r.outcome ? "recorded" : r.heard ? "heard, not yet recorded"
                                                             : "not yet recorded")
        << "\n";
    for (const auto& [path, text] : item.shared) out << "   " << path << ": " << text << "\n";
    if (!item.withheld.empty() && chair) {
      out << "   (not shared with " << chair->id << ":";
      for (const auto& w : item.withheld) out << " " << w;
      out << ")\n";
    }
    if (!item.research.empty()) {
      out << "   Research:";
      for (size_t i = 0; i < item.research.size(); ++i) {
        out << (i ? ", " : " ") << item.research[i].partner << " " << item.research[i].status;
      }
      out << "\n";
    }
  }
  if (agenda.cases.empty()) out << "\n  No cases on this agenda.\n";
  if (!agenda.rolled_on.empty()) {
    out << "\nNot heard here, rolled on:\n";
    for (const auto& item : agenda.rolled_on) {
      out << "  " << item.view.id << " to " << panel.DateOf(item.referral.meeting) << "\n";
    }
  }
  if (agenda.held) {
    out << "\nHeld:";
    for (auto [name, list] : {std::pair{"attendees", &agenda.attendees},
                              std::pair{"missing", &agenda.missing}}) {
      if (list->empty()) continue;
      std::string joined;
      for (const auto& a : *list) joined += (joined.empty() ? "" : ", ") + a;
      out << "\n  " << name << ": " << joined;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace convene::engine

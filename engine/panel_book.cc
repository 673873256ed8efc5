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

std::optional<CaseRecord> LoadCase(const CaseStore& store, const std::string& id) {
  auto stored = store.Get(Family::kCases, id);
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  auto c = CaseRecord::Parse(**stored);
  if (!c.ok()) return std::nullopt;
  return std::move(*c);
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

MeetingCounts CountMeeting(const CaseStore& store, const rules::Panel& panel,
                           const MeetingRecord& meeting) {
  MeetingCounts n;
  for (const auto& id : meeting.case_ids) {
    auto c = LoadCase(store, id);
    const Referral* r = c ? ReferralFor(*c, panel, meeting.start) : nullptr;
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
    } else if (c->view.status != "open") {
      ++n.closed;
    }
  }
  return n;
}

std::string FormatAgenda(const CaseStore& store, const rules::RuleSet& rules,
                         const rules::Panel& panel, const MeetingRecord& meeting) {
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

  // The cases, in the order they were referred.
  struct Item {
    CaseRecord c;
    Referral r;
  };
  std::vector<Item> items, rolled_on;
  for (const auto& id : meeting.case_ids) {
    auto c = LoadCase(store, id);
    const Referral* r = c ? ReferralFor(*c, panel, meeting.start) : nullptr;
    if (!r) continue;
    (r->meeting > meeting.start ? rolled_on : items).push_back({*c, *r});
  }
  auto by_referral = [](const Item& a, const Item& b) {
    return std::tie(a.r.referred_at, a.c.view.id) < std::tie(b.r.referred_at, b.c.view.id);
  };
  std::sort(items.begin(), items.end(), by_referral);
  std::sort(rolled_on.begin(), rolled_on.end(), by_referral);
  out << "  Cases:     " << items.size();
  if (panel.max_cases > 0) out << " of at most " << panel.max_cases;
  int repeats = static_cast<int>(std::count_if(items.begin(), items.end(),
                                               [](const Item& i) { return i.r.repeat; }));
  if (repeats > 0) out << " (" << repeats << " repeat" << (repeats == 1 ? "" : "s") << ")";
  out << "\n";

  int n = 0;
  for (const auto& item : items) {
    const CaseRecord& c = item.c;
    const Referral& r = item.r;
    out << "\n" << ++n << ". " << c.view.id << "  " << c.view.type << "  stage " << c.view.stage;
    if (auto risk = c.view.fields.find("risk"); risk != c.view.fields.end()) {
      out << "  risk " << risk->second;
    }
    if (r.repeat) out << "  REPEAT REFERRAL";
    if (c.view.status != "open") out << "  (case " << c.view.status << ")";
    out << "\n   Referred " << LocalDateTime(panel, r.referred_at) << " by rule " << r.rule
        << " (event " << r.event_id << ")\n";
    if (r.first_meeting < meeting.start) {
      out << "   Rolled from " << panel.DateOf(r.first_meeting) << " (" << r.rolled
          << (r.rolled == 1 ? " time" : " times") << ")\n";
    }
    out << "   Outcome: " << (r.outcome ? "recorded" : r.heard ? "heard, not yet recorded"
                                                             : "not yet recorded")
        << "\n";
    // What the chair may see, as the chair's task carries it.
    if (chair) {
      auto raw = store.Get(Family::kEvents, r.event_id);
      if (raw.ok() && raw->has_value()) {
        auto event = rules::ParseEvent(**raw, [](std::string_view) { return true; });
        if (event.ok()) {
          rules::SharedContext shared = rules::BuildContext(*chair, **event, c.view);
          rapidjson::Document d;
          d.Parse(shared.json.data(), shared.json.size());
          std::vector<std::pair<std::string, std::string>> lines;
          if (d.IsObject() && d.HasMember("event")) lines = rules::SharedLines(d["event"]);
          for (const auto& [path, text] : lines) out << "   " << path << ": " << text << "\n";
          if (!shared.withheld.empty()) {
            out << "   (not shared with " << chair->id << ":";
            for (const auto& w : shared.withheld) out << " " << w;
            out << ")\n";
          }
        }
      }
    }
    // The members' research for this referral.
    std::vector<std::string> research;
    Status scanned = ReadTasksOf(store, c.view.id, [&](const Task& t) {
      if (t.kind == "research" && t.trigger_event == r.event_id) {
        research.push_back(t.partner + " " + t.status);
      }
      return true;
    });
    if (!scanned.ok()) research.push_back("(" + scanned.message() + ")");
    std::sort(research.begin(), research.end());
    if (!research.empty()) {
      out << "   Research:";
      for (size_t i = 0; i < research.size(); ++i) out << (i ? ", " : " ") << research[i];
      out << "\n";
    }
  }
  if (items.empty()) out << "\n  No cases on this agenda.\n";
  if (!rolled_on.empty()) {
    out << "\nNot heard here, rolled on:\n";
    for (const auto& [c, r] : rolled_on) {
      out << "  " << c.view.id << " to " << panel.DateOf(r.meeting) << "\n";
    }
  }
  if (!meeting.held_json.empty()) {
    rapidjson::Document d;
    d.Parse(meeting.held_json.data(), meeting.held_json.size());
    std::vector<std::pair<std::string, std::string>> lines;
    if (d.IsObject()) lines = rules::SharedLines(d);
    out << "\nHeld:";
    for (const auto& [path, text] : lines) {
      if (path == "attendees" || path == "missing") out << "\n  " << path << ": " << text;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace convene::engine

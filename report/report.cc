#include "report/report.h"

#include <algorithm>
#include <sstream>

#include "engine/case_record.h"
#include "engine/engine.h"
#include "engine/task_book.h"
#include "rules/json.h"
#include "rules/text.h"

namespace convene::report {
namespace {

using engine::Family;

constexpr const char* kNoWard = "(no ward)";
constexpr const char* kPanel = "(panel)";

struct Period {
  std::optional<TimeMs> from, to;
  bool Holds(TimeMs t) const { return (!from || t >= *from) && (!to || t < *to); }
};

// What a task's figures need of its case.
struct CaseGroup {
  std::string priority, ward;
};

// Each figure a group adds up, the same for all.
void AddTask(const engine::Task& t, TimeMs as_of, Figures* f) {
  ++f->tasks_issued;
  if (t.acknowledged_at > 0 && t.event_at > 0) f->ack_ms.push_back(t.acknowledged_at - t.event_at);
  if (!t.due_at) return;
  ++f->tasks_with_due;
  if (t.finished_at > 0 && t.finished_at <= as_of) {
    ++(t.finished_at <= *t.due_at ? f->tasks_on_time : f->tasks_late);
  } else if (Overdue(t, as_of)) {  // (finished with no time kept: neither)
    ++f->tasks_overdue;
  }
}

// The people named `victim` and the place of an incident, or nothing for an
// event that is not one (tasks, panels and case notes).
bool IsIncident(std::string_view type) {
  for (std::string_view p : {"task.", "panel.", "case."}) {
    if (type.substr(0, p.size()) == p) return false;
  }
  return true;
}

std::vector<std::pair<std::string, int64_t>> Repeats(const std::map<std::string, int64_t>& counts) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& [k, n] : counts) {
    if (n >= 2) out.emplace_back(k, n);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::string Ms(int64_t ms) {
  // As a person reads a duration: days and hours, or hours and minutes.
  int64_t minutes = ms / 60000;
  std::ostringstream out;
  if (minutes >= 24 * 60) {
    out << minutes / (24 * 60) << "d " << (minutes / 60) % 24 << "h";
  } else {
    out << minutes / 60 << "h " << minutes % 60 << "m";
  }
  return out.str();
}

std::string PeriodText(const Report& r) {
  std::string from = r.from ? FormatRfc3339(*r.from).substr(0, 10) : "the first event";
  std::string to = r.to ? FormatRfc3339(*r.to).substr(0, 10) : "now";
  return "from " + from + " to " + to;
}

// The figures of one group as named columns, in the order every format uses.
std::vector<std::pair<std::string, std::string>> Columns(const Figures& f) {
  auto median = f.MedianAckMs();
  return {{"cases opened", std::to_string(f.cases_opened)},
          {"cases open", std::to_string(f.cases_open)},
          {"cases closed", std::to_string(f.cases_closed)},
          {"tasks issued", std::to_string(f.tasks_issued)},
          {"tasks with a due date", std::to_string(f.tasks_with_due)},
          {"met on time", std::to_string(f.tasks_on_time)},
          {"late", std::to_string(f.tasks_late)},
          {"overdue", std::to_string(f.tasks_overdue)},
          {"median time to acknowledge", median ? Ms(*median) : "-"}};
}

}  // namespace

Result<TimeMs> AsOf(const engine::CaseStore& store, TimeMs wall) {
  auto event_time = engine::ReadEventTime(store);
  if (!event_time.ok()) return event_time.status();
  return std::max(wall, *event_time);
}

bool Overdue(const engine::Task& t, TimeMs as_of) {
  // Finished by then; a task finished before convene kept when has only its status.
  bool finished = t.finished_at > 0 ? t.finished_at <= as_of : !engine::IsOpenStatus(t.status);
  return t.due_at && *t.due_at < as_of && !finished;
}

bool Listed(const engine::Task& t, std::string_view which, TimeMs as_of) {
  bool open = engine::IsOpenStatus(t.status);
  return which == "all" || (which == "open" && open) || (which == "overdue" && Overdue(t, as_of)) ||
         (which == "due_soon" && open && t.due_at && *t.due_at >= as_of &&
          *t.due_at <= as_of + kDueSoon);
}

std::optional<int64_t> Figures::MedianAckMs() const {
  if (ack_ms.empty()) return std::nullopt;
  std::vector<int64_t> v = ack_ms;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Result<Report> Build(const engine::CaseStore& store, const rules::RuleSet& rules,
                     std::optional<TimeMs> from, std::optional<TimeMs> to, TimeMs now) {
  Report r;
  r.from = from;
  r.to = to;
  if (to) {
    r.as_of = *to;
  } else {
    auto as_of = AsOf(store, now);
    if (!as_of.ok()) return as_of.status();
    r.as_of = *as_of + 1;  // the period holds what happened at that instant
  }
  Period period{from, r.as_of};
  std::map<std::string, CaseGroup> groups;  // case id -> its groups
  Status failed;

  // Cases: when they opened and closed, their priority and ward.
  Status s = store.Scan(Family::kCases, "", [&](std::string_view id, std::string_view v) {
    auto c = engine::CaseRecord::Parse(v);
    if (!c.ok()) {
      failed = c.status().Prefixed("case " + std::string(id) + ": ");
      return false;
    }
    const rules::CaseType* type = rules.FindCaseType(c->view.type);
    CaseGroup g{type && !type->priority.empty() ? type->priority : "(" + c->view.type + ")",
                kNoWard};
    if (!c->opening_event.empty()) {
      auto event = store.Get(Family::kEvents, c->opening_event);
      if (!event.ok()) {
        failed = event.status();
        return false;
      }
      if (event->has_value()) {
        rapidjson::Document d;
        d.Parse((*event)->data(), (*event)->size());
        if (d.IsObject() && d.HasMember("location") && d["location"].IsObject()) {
          std::string ward(json::GetString(d["location"], "ward"));
          if (!ward.empty()) g.ward = ward;
        }
      }
    }
    bool closed = c->view.status == "closed";
    for (Figures* f : {&r.total, &r.by_priority[g.priority], &r.by_ward[g.ward]}) {
      if (period.Holds(c->view.opened_at)) ++f->cases_opened;
      if (c->view.opened_at < r.as_of && (!closed || c->closed_at >= r.as_of)) ++f->cases_open;
      if (closed && (c->closed_at ? period.Holds(c->closed_at) : !from && !to)) ++f->cases_closed;
    }
    if (period.Holds(c->view.opened_at) &&
        std::find(c->view.flags.begin(), c->view.flags.end(), "repeat") != c->view.flags.end()) {
      ++r.repeat_referrals;
    }
    groups[std::string(id)] = std::move(g);
    return true;
  });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;

  // Tasks, by when what caused them happened.
  s = engine::ReadAllTasks(store, [&](const engine::Task& t) {
    if (!period.Holds(t.event_at ? t.event_at : t.created_at)) return true;
    auto g = groups.find(t.case_id);
    std::string priority = g != groups.end() ? g->second.priority : kPanel;
    std::string ward = g != groups.end() ? g->second.ward : kNoWard;
    for (Figures* f : {&r.total, &r.by_priority[priority], &r.by_ward[ward],
                       &r.by_partner[t.partner]}) {
      AddTask(t, r.as_of, f);
    }
    return true;
  });
  if (!s.ok()) return s;

  // Incidents: repeat victims and places.
  std::map<std::string, int64_t> victims, places;
  s = store.Scan(Family::kEvents, "", [&](std::string_view, std::string_view v) {
    rapidjson::Document d;
    d.Parse(v.data(), v.size());
    if (!d.IsObject()) return true;  // an event is validated before it is kept
    auto at = ParseRfc3339(json::GetString(d, "occurred_at"));
    if (!at || !period.Holds(*at)) return true;
    // A case seen in the console is kept for the audit trail, not as an input.
    if (json::GetString(d, "type") == "case.viewed") return true;
    ++r.events;
    if (!IsIncident(json::GetString(d, "type"))) return true;
    if (d.HasMember("subjects") && d["subjects"].IsArray()) {
      std::set<std::string> named;  // a person named twice in one incident counts once
      for (const auto& subject : d["subjects"].GetArray()) {
        if (json::GetString(subject, "role") == "victim") {
          named.emplace(json::GetString(subject, "id"));
        }
      }
      for (const auto& p : named) ++victims[p];
    }
    if (d.HasMember("location") && d["location"].IsObject()) {
      std::string place(json::GetString(d["location"], "uprn"));
      if (place.empty()) place = json::GetString(d["location"], "postcode");
      if (!place.empty()) ++places[place];
    }
    return true;
  });
  if (!s.ok()) return s;
  r.repeat_victims = Repeats(victims);
  r.repeat_locations = Repeats(places);
  return r;
}

// The page's own look; the console's report page has GOV.UK's instead.
constexpr const char* kReportStyle =
    "body{font-family:arial,sans-serif;margin:2em;color:#0b0c0c;max-width:1100px}"
    "table{border-collapse:collapse;margin:1em 0 2em}th,td{border-bottom:1px solid #b1b4b6;"
    "padding:.4em .8em;text-align:left}caption{font-weight:bold;text-align:left;"
    "font-size:1.2em;padding:.4em 0}figure{margin:1em 0}figcaption{font-weight:bold}"
    "svg text{font-size:14px;fill:#0b0c0c}dl{display:grid;grid-template-columns:max-content auto;"
    "gap:.3em 1.5em}dt{font-weight:bold}";

std::string FormatText(const Report& r) {
  std::ostringstream out;
  out << "convene report, " << PeriodText(r) << " (open and overdue as of "
      << FormatRfc3339(r.as_of) << ")\n\n";
  out << "Events: " << r.events << "\n";
  for (const auto& [name, value] : Columns(r.total)) out << "  " << name << ": " << value << "\n";
  out << "Repeat victims (named as victim in 2 or more incidents): " << r.repeat_victims.size()
      << "\n";
  out << "Repeat locations (2 or more incidents): " << r.repeat_locations.size() << "\n";
  out << "Repeat MARAC referrals (cases flagged repeat): " << r.repeat_referrals << "\n";
  for (const auto& [title, groups] :
       {std::pair{"By strategy priority", &r.by_priority}, std::pair{"By ward", &r.by_ward},
        std::pair{"By partner", &r.by_partner}}) {
    out << "\n" << title << "\n";
    for (const auto& [group, f] : *groups) {
      out << "  " << group << ":";
      for (const auto& [name, value] : Columns(f)) {
        if (groups == &r.by_partner && name.rfind("cases", 0) == 0) continue;
        out << " " << name << " " << value << ";";
      }
      out << "\n";
    }
  }
  for (const auto& [title, list] : {std::pair{"Repeat locations", &r.repeat_locations},
                                    std::pair{"Repeat victims", &r.repeat_victims}}) {
    if (list->empty()) continue;
    out << "\n" << title << " (most incidents first)\n";
    for (size_t i = 0; i < list->size() && i < 10; ++i) {
      out << "  " << (*list)[i].first << ": " << (*list)[i].second << " incidents\n";
    }
  }
  return out.str();
}

std::string FormatCsv(const Report& r) {
  std::ostringstream out;
  out << "section,group,figure,value\n";
  out << "total,all,events," << r.events << "\n";
  for (const auto& [name, value] : Columns(r.total)) out << "total,all," << name << "," << value << "\n";
  out << "total,all,repeat victims," << r.repeat_victims.size() << "\n";
  out << "total,all,repeat locations," << r.repeat_locations.size() << "\n";
  out << "total,all,repeat marac referrals," << r.repeat_referrals << "\n";
  for (const auto& [section, groups] :
       {std::pair{"priority", &r.by_priority}, std::pair{"ward", &r.by_ward},
        std::pair{"partner", &r.by_partner}}) {
    for (const auto& [group, f] : *groups) {
      for (const auto& [name, value] : Columns(f)) {
        if (groups == &r.by_partner && name.rfind("cases", 0) == 0) continue;
        out << section << "," << text::CsvField(group) << "," << name << "," << value << "\n";
      }
    }
  }
  for (const auto& [section, list] : {std::pair{"repeat location", &r.repeat_locations},
                                      std::pair{"repeat victim", &r.repeat_victims}}) {
    for (const auto& [who, n] : *list) {
      out << section << "," << text::CsvField(who) << ",incidents," << n << "\n";
    }
  }
  return out.str();
}

namespace {

// A horizontal bar chart as inline SVG, with a text alternative (the table
// beside it holds the same numbers).
void BarChart(std::ostringstream& out, const std::string& title,
              const std::vector<std::pair<std::string, int64_t>>& bars) {
  int64_t max = 1;
  for (const auto& [label, n] : bars) max = std::max(max, n);
  // Wide enough for the longest label (about 8 px a character at 14 px).
  size_t longest = 0;
  for (const auto& [label, n] : bars) longest = std::max(longest, label.size());
  const int row = 28, bar_w = 420;
  const int label_w = std::max(160, static_cast<int>(longest) * 8 + 16);
  out << "<figure><figcaption>" << text::HtmlEscape(title) << "</figcaption>\n"
      << "<svg role=\"img\" aria-label=\"" << text::HtmlEscape(title) << "\" width=\"" << label_w + bar_w + 60
      << "\" height=\"" << row * static_cast<int>(bars.size()) + 8 << "\">\n";
  int y = 4;
  for (const auto& [label, n] : bars) {
    int w = static_cast<int>(static_cast<double>(n) / static_cast<double>(max) * bar_w);
    out << "<text x=\"0\" y=\"" << y + 18 << "\">" << text::HtmlEscape(label) << "</text>"
        << "<rect x=\"" << label_w << "\" y=\"" << y + 4 << "\" width=\"" << std::max(w, 1)
        << "\" height=\"18\" fill=\"#1d70b8\"></rect>"
        << "<text x=\"" << label_w + w + 6 << "\" y=\"" << y + 18 << "\">" << n << "</text>\n";
    y += row;
  }
  out << "</svg></figure>\n";
}

void Table(std::ostringstream& out, const std::string& caption, const std::string& group_name,
           const std::map<std::string, Figures>& groups, bool tasks_only) {
  out << "<table><caption>" << text::HtmlEscape(caption) << "</caption>\n<thead><tr><th scope=\"col\">"
      << text::HtmlEscape(group_name) << "</th>";
  for (const auto& [name, value] : Columns(Figures{})) {
    if (tasks_only && name.rfind("cases", 0) == 0) continue;
    out << "<th scope=\"col\">" << text::HtmlEscape(name) << "</th>";
  }
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& [group, f] : groups) {
    out << "<tr><th scope=\"row\">" << text::HtmlEscape(group) << "</th>";
    for (const auto& [name, value] : Columns(f)) {
      if (tasks_only && name.rfind("cases", 0) == 0) continue;
      out << "<td>" << text::HtmlEscape(value) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

}  // namespace

std::string FormatHtml(const Report& r) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>convene report, " +
         text::HtmlEscape(PeriodText(r)) + "</title>\n<style>" + kReportStyle + "</style>\n</head><body>\n<main>\n" +
         FormatHtmlBody(r) + "</main>\n</body></html>\n";
}

std::string FormatHtmlBody(const Report& r) {
  std::ostringstream out;
  out << "<h1>Community safety partnership report</h1>\n<p>" << text::HtmlEscape(PeriodText(r))
      << "; open and overdue as of " << text::HtmlEscape(FormatRfc3339(r.as_of)) << ".</p>\n<h2>Headlines</h2>\n<dl>\n"
      << "<dt>Events</dt><dd>" << r.events << "</dd>\n";
  for (const auto& [name, value] : Columns(r.total)) {
    out << "<dt>" << text::HtmlEscape(name) << "</dt><dd>" << text::HtmlEscape(value) << "</dd>\n";
  }
  out << "<dt>repeat victims</dt><dd>" << r.repeat_victims.size() << "</dd>\n"
      << "<dt>repeat locations</dt><dd>" << r.repeat_locations.size() << "</dd>\n"
      << "<dt>repeat MARAC referrals</dt><dd>" << r.repeat_referrals << "</dd>\n</dl>\n";
  std::vector<std::pair<std::string, int64_t>> opened, issued, overdue;
  for (const auto& [p, f] : r.by_priority) {
    if (f.cases_opened > 0) opened.emplace_back(p, f.cases_opened);
  }
  for (const auto& [p, f] : r.by_partner) {
    issued.emplace_back(p, f.tasks_issued);
    overdue.emplace_back(p, f.tasks_overdue);
  }
  out << "<h2>By strategy priority</h2>\n";
  BarChart(out, "Cases opened by strategy priority", opened);
  Table(out, "Cases and tasks by strategy priority", "Priority", r.by_priority, false);
  out << "<h2>By ward</h2>\n";
  Table(out, "Cases and tasks by ward", "Ward", r.by_ward, false);
  out << "<h2>By partner</h2>\n";
  BarChart(out, "Tasks issued by partner", issued);
  BarChart(out, "Tasks overdue by partner", overdue);
  Table(out, "Tasks by partner", "Partner", r.by_partner, true);
  for (const auto& [title, list] : {std::pair{"Repeat locations", &r.repeat_locations},
                                    std::pair{"Repeat victims", &r.repeat_victims}}) {
    out << "<h2>" << title << "</h2>\n";
    if (list->empty()) {
      out << "<p>None in this period.</p>\n";
      continue;
    }
    out << "<table><caption>" << title << ", most incidents first</caption><thead><tr>"
        << "<th scope=\"col\">" << (list == &r.repeat_locations ? "Place" : "Person")
        << "</th><th scope=\"col\">Incidents</th></tr></thead><tbody>\n";
    for (const auto& [who, n] : *list) {
      out << "<tr><th scope=\"row\">" << text::HtmlEscape(who) << "</th><td>" << n << "</td></tr>\n";
    }
    out << "</tbody></table>\n";
  }
  return out.str();
}

}  // namespace convene::report

#include "tools/replay_format.h"

#include <iomanip>
#include <sstream>

#include "rules/text.h"

namespace convene::tools {
namespace {

using policy::CasePlace;
using policy::EmittedTask;
using policy::ReplayReport;
using policy::RuleChange;

std::string Day(TimeMs t) { return t ? FormatRfc3339(t).substr(0, 10) : "?"; }

// "asb-000012 (SG1 1AA, Bedwell)", or the id alone where nothing is shared.
std::string CaseWithPlace(const ReplayReport& r, const std::string& id) {
  auto it = r.places.find(id);
  if (it == r.places.end()) return id;
  const CasePlace& p = it->second;
  std::string where = p.postcode;
  if (!p.ward.empty()) where += (where.empty() ? "" : ", ") + p.ward;
  return where.empty() ? id : id + " (" + where + ")";
}

// What triggered a task, in words: an event and when it happened, or a clock.
std::string Trigger(const ReplayReport& r, const std::string& trigger) {
  if (trigger.rfind("breach/", 0) == 0) return "when an SLA clock ran out";
  if (trigger.rfind("clock/", 0) == 0) return "at a meeting or idle clock";
  auto it = r.event_times.find(trigger);
  return it == r.event_times.end() ? "on event " + trigger
                                   : "on " + Day(it->second) + " (event " + trigger + ")";
}

std::string Name(const RuleChange& c) { return c.title.empty() ? c.id : c.title; }

size_t Total(const RuleChange& c, bool to) {
  size_t n = 0;
  for (const auto& [p, counts] : c.tasks_by_partner) n += to ? counts.second : counts.first;
  return n;
}

std::string Partners(const RuleChange& c) {
  std::string out;
  for (const auto& [p, counts] : c.tasks_by_partner) {
    out += (out.empty() ? "" : "; ") + p + " " + std::to_string(counts.first) +
           (counts.first == counts.second ? "" : " -> " + std::to_string(counts.second));
  }
  return out;
}

std::string Note(const RuleChange& c) {
  if (!c.in_to) return "removed by the proposed rules";
  if (!c.in_from) return "new in the proposed rules" + (c.never.empty() ? "" : "; fired on no event: " + c.never);
  if (!c.never.empty()) return "fired on no event: " + c.never;
  return "";
}

std::string Fired(const RuleChange& c) {
  auto times = [](size_t n) { return std::to_string(n) + (n == 1 ? " time" : " times"); };
  if (!c.in_from) return "fired " + times(c.fired_to) + " (new)";
  if (!c.in_to) return "fired " + times(c.fired_from) + " (removed)";
  if (c.fired_from == c.fired_to) return "fired " + times(c.fired_to) + ", before and after";
  return "fired " + times(c.fired_from) + " before, " + times(c.fired_to) + " after";
}

std::string Summary(const ReplayReport& r, const ReplayHeading& h) {
  std::ostringstream out;
  out << "Replayed " << r.events << " events (" << Day(r.first) << " to " << Day(r.last) << ") in "
      << std::fixed << std::setprecision(1) << h.seconds << " s";
  return out.str();
}

}  // namespace

std::string ReplayText(const ReplayReport& r, const ReplayHeading& h) {
  std::ostringstream out;
  out << Summary(r, h) << "\n"
      << "  from " << h.from_dir << " (rules " << h.from_version << "): " << r.from_tasks
      << " tasks\n"
      << "  to   " << h.to_dir << " (rules " << h.to_version << "): " << r.to_tasks << " tasks\n\n";
  size_t unchanged = 0;
  for (const auto& c : r.rules) {
    if (!c.changed()) {
      ++unchanged;
      continue;
    }
    out << c.id << ": " << Name(c) << "\n";
    if (c.id.rfind("panel:", 0) != 0) out << "  " << Fired(c) << "\n";
    if (!c.cases.empty()) {
      out << "  cases affected: " << c.cases.size() << ":";
      for (size_t i = 0; i < c.cases.size() && i < h.examples; ++i) {
        out << (i ? ", " : " ") << CaseWithPlace(r, c.cases[i]);
      }
      if (c.cases.size() > h.examples) out << ", ... and " << c.cases.size() - h.examples << " more";
      out << "\n";
    }
    if (!c.tasks_by_partner.empty()) out << "  tasks by partner: " << Partners(c) << "\n";
    auto show = [&](const std::vector<EmittedTask>& tasks, const char* sign) {
      for (size_t i = 0; i < tasks.size() && i < h.examples; ++i) {
        const auto& t = tasks[i];
        out << "  " << sign << " " << CaseWithPlace(r, t.case_id) << ": " << t.to << " \"" << t.title
            << "\" " << Trigger(r, t.trigger_event) << "\n";
      }
      if (tasks.size() > h.examples) out << "    ... and " << tasks.size() - h.examples << " more\n";
    };
    show(c.tasks.added, "+");
    show(c.tasks.removed, "-");
    for (size_t i = 0; i < c.tasks.moved.size() && i < h.examples; ++i) {
      const auto& [was, now] = c.tasks.moved[i];
      out << "  ~ " << CaseWithPlace(r, now.case_id) << ": " << now.to << " "
          << Trigger(r, now.trigger_event) << " instead of " << Trigger(r, was.trigger_event)
          << "\n";
    }
    if (c.tasks.moved.size() > h.examples) {
      out << "    ... and " << c.tasks.moved.size() - h.examples << " more\n";
    }
    if (std::string note = Note(c); !note.empty()) out << "  " << note << "\n";
    out << "\n";
  }
  if (!r.changed()) out << "No rule would fire differently and no task would change.\n\n";
  std::vector<const RuleChange*> never;
  for (const auto& c : r.rules) {
    if (!c.never.empty()) never.push_back(&c);
  }
  if (!never.empty()) {
    out << "Rules that would fire on no event of these:\n";
    for (const auto* c : never) out << "  " << c->id << ": " << c->never << "\n";
    out << "\n";
  }
  if (unchanged) out << unchanged << (unchanged == 1 ? " rule" : " rules") << " unchanged.\n";
  out << "Cases whose stage would differ: " << r.stages.size() << "\n";
  for (size_t i = 0; i < r.stages.size() && i < h.examples; ++i) {
    const auto& s = r.stages[i];
    out << "  " << CaseWithPlace(r, s.case_id) << ": " << s.from_stage << " -> " << s.to_stage << "\n";
  }
  if (r.stages.size() > h.examples) out << "    ... and " << r.stages.size() - h.examples << " more\n";
  return out.str();
}

std::string ReplayCsv(const ReplayReport& r, const ReplayHeading&) {
  std::ostringstream out;
  out << "rule,title,in_from,in_to,fired_before,fired_after,tasks_before,tasks_after,"
         "cases_affected,cases,tasks_by_partner,note\r\n";
  for (const auto& c : r.rules) {
    std::string cases;
    for (const auto& id : c.cases) cases += (cases.empty() ? "" : "; ") + CaseWithPlace(r, id);
    out << text::CsvField(c.id) << "," << text::CsvField(c.title) << "," << (c.in_from ? "yes" : "no") << ","
        << (c.in_to ? "yes" : "no") << "," << c.fired_from << "," << c.fired_to << ","
        << Total(c, false) << "," << Total(c, true) << "," << c.cases.size() << ","
        << text::CsvField(cases) << "," << text::CsvField(Partners(c)) << "," << text::CsvField(Note(c)) << "\r\n";
  }
  return out.str();
}

std::string ReplayHtml(const ReplayReport& r, const ReplayHeading& h) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>Rule change: what it would have done</title>\n"
      << "<style>body{font-family:Arial,sans-serif;color:#0b0c0c;margin:2em;max-width:75em}"
         "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #b1b4b6;"
         "padding:.5em;text-align:left;vertical-align:top}th{background:#f3f2f1}"
         "td.n{text-align:right}.changed{font-weight:bold}</style>\n</head>\n<body>\n<main>\n"
      << "<h1>Rule change: what it would have done</h1>\n<p>" << text::HtmlEscape(Summary(r, h)) << ".</p>\n"
      << "<ul>\n<li>Rules in force: " << text::HtmlEscape(h.from_dir) << " (version " << text::HtmlEscape(h.from_version)
      << "), " << r.from_tasks << " tasks</li>\n<li>Rules proposed: " << text::HtmlEscape(h.to_dir)
      << " (version " << text::HtmlEscape(h.to_version) << "), " << r.to_tasks << " tasks</li>\n</ul>\n"
      << "<table>\n<caption>Each rule, before and after</caption>\n<thead><tr><th scope=\"col\">Rule</th>"
      << "<th scope=\"col\">Fired before</th><th scope=\"col\">Fired after</th>"
      << "<th scope=\"col\">Cases affected</th><th scope=\"col\">Tasks by partner</th>"
      << "<th scope=\"col\">Note</th></tr></thead>\n<tbody>\n";
  for (const auto& c : r.rules) {
    std::string cases;
    for (size_t i = 0; i < c.cases.size() && i < 20; ++i) {
      cases += (cases.empty() ? "" : ", ") + CaseWithPlace(r, c.cases[i]);
    }
    if (c.cases.size() > 20) cases += ", ... and " + std::to_string(c.cases.size() - 20) + " more";
    out << "<tr" << (c.changed() ? " class=\"changed\"" : "") << "><th scope=\"row\">"
        << text::HtmlEscape(Name(c)) << "<br><small>" << text::HtmlEscape(c.id) << "</small></th><td class=\"n\">"
        << c.fired_from << "</td><td class=\"n\">" << c.fired_to << "</td><td>" << c.cases.size()
        << (cases.empty() ? "" : ": " + text::HtmlEscape(cases)) << "</td><td>" << text::HtmlEscape(Partners(c))
        << "</td><td>" << text::HtmlEscape(Note(c)) << "</td></tr>\n";
  }
  out << "</tbody>\n</table>\n<h2>Cases whose stage would differ</h2>\n";
  if (r.stages.empty()) out << "<p>None.</p>\n";
  else {
    out << "<ul>\n";
    for (const auto& s : r.stages) {
      out << "<li>" << text::HtmlEscape(CaseWithPlace(r, s.case_id)) << ": " << text::HtmlEscape(s.from_stage) << " to "
          << text::HtmlEscape(s.to_stage) << "</li>\n";
    }
    out << "</ul>\n";
  }
  out << "</main>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace convene::tools

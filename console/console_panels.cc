// The panel chair's part of the console (SPEC 8): the panels the signed-in
// partner chairs, each meeting's agenda with the members' research, and the
// forms that record attendance (panel.held) and each case's outcome
// (panel.outcome). As everywhere in the console, the pages go through the
// API's handlers, and a partner that does not chair a panel finds nothing.
#include <sstream>

#include "console/console.h"
#include "console/console_internal.h"
#include "engine/panel_book.h"
#include "report/report.h"
#include "rules/text.h"

namespace convene::console {
namespace {

constexpr int kMeetingsShown = 4;  // upcoming meetings listed per panel
constexpr int kActionRows = 3;     // action rows on the outcome form

// "/api/panels/{panel}/{date}/{rest}" (or "/panels/..."), split after `prefix`.
struct MeetingPath {
  std::string panel, date, action, case_id;
};
MeetingPath SplitMeetingPath(const std::string& path, const std::string& prefix) {
  MeetingPath m;
  std::vector<std::string> parts;
  for (size_t pos = prefix.size(); pos <= path.size();) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  if (parts.size() > 0) m.panel = parts[0];
  if (parts.size() > 1) m.date = parts[1];
  if (parts.size() > 2) m.action = parts[2];
  if (parts.size() > 3) m.case_id = parts[3];
  return m;
}

const char* OutcomeText(const engine::Referral& r) {
  return r.outcome ? "recorded" : r.heard ? "heard, not yet recorded" : "not yet recorded";
}

void StringList(json::Writer& w, const char* name, const std::vector<std::string>& items) {
  json::Key(w, name);
  w.StartArray();
  for (const auto& i : items) w.String(i.data(), static_cast<rapidjson::SizeType>(i.size()));
  w.EndArray();
}

std::string Tag(const std::string& status) {
  const char* colour = status == "completed" || status == "recorded"    ? "govuk-tag--green"
                       : status == "acknowledged"                       ? "govuk-tag--blue"
                       : status == "declined" || status == "not yet recorded" ? "govuk-tag--red"
                                                                        : "govuk-tag--grey";
  return std::string("<strong class=\"govuk-tag ") + colour + "\">" + text::HtmlEscape(status) +
         "</strong>";
}

}  // namespace

// --- API --------------------------------------------------------------------

HttpResponse Console::Panels(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  auto rules = o_.rules();
  auto as_of = report::AsOf(*o_.store, o_.now());
  if (!as_of.ok()) return Error(500, as_of.status().message());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartArray();
  for (const auto& panel : rules->panels) {
    if (panel.chair != session->partner) continue;
    auto shown = engine::MeetingsToShow(*o_.store, panel, *as_of, kMeetingsShown);
    if (!shown.ok()) return Error(500, shown.status().message());
    w.StartObject();
    json::Field(w, "id", panel.id);
    json::Field(w, "title", panel.title);
    json::Key(w, "meetings");
    w.StartArray();
    for (const auto& m : *shown) {
      auto n = engine::CountMeeting(*o_.store, panel, m);
      if (!n.ok()) return Error(500, n.status().message());
      w.StartObject();
      json::Field(w, "date", panel.DateOf(m.start));
      json::Field(w, "starts_at", FormatRfc3339(m.start));
      json::Field(w, "when", engine::LocalDateTime(panel, m.start));
      json::Key(w, "cases");
      w.Int(n->cases);
      json::Key(w, "outcomes");
      w.Int(n->outcomes);
      json::Key(w, "held");
      w.Bool(!m.held_json.empty());
      json::Key(w, "past");
      w.Bool(m.start < *as_of);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return Json(200, std::string(buf.GetString(), buf.GetSize()));
}

namespace {

// The panel and meeting a request names, when the partner chairs that panel
// and it meets that day; else the answer (404).
struct Found {
  const rules::Panel* panel = nullptr;
  engine::MeetingRecord meeting;
};
std::optional<Found> FindMeeting(const engine::CaseStore& store, const rules::RuleSet& rules,
                                 const std::string& partner, const MeetingPath& path,
                                 HttpResponse* answer) {
  const rules::Panel* panel = rules.FindPanel(path.panel);
  auto day = ParseDate(path.date);
  if (!panel || panel->chair != partner || !day) {
    *answer = NotFound();
    return std::nullopt;
  }
  TimeMs start = panel->MeetingAt(*day / kMsPerDay);
  if (panel->MeetingFrom(start) != start) {
    *answer = Error(404, panel->id + " has no meeting on " + path.date);
    return std::nullopt;
  }
  auto meetings = engine::ReadMeetings(store, panel->id);
  if (!meetings.ok()) {
    *answer = Error(500, meetings.status().message());
    return std::nullopt;
  }
  Found f{panel, {}};
  f.meeting.start = start;
  if (auto it = meetings->find(start); it != meetings->end()) f.meeting = it->second;
  return f;
}

}  // namespace

HttpResponse Console::Meeting(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  MeetingPath path = SplitMeetingPath(req.path, "/api/panels/");
  if (!path.action.empty()) return NotFound();
  auto rules = o_.rules();
  HttpResponse answer;
  auto found = FindMeeting(*o_.store, *rules, session->partner, path, &answer);
  if (!found) return answer;
  const rules::Panel& panel = *found->panel;
  auto agenda = engine::ReadAgenda(*o_.store, *rules, panel, found->meeting);
  if (!agenda.ok()) return Error(500, agenda.status().message());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "panel", panel.id);
  json::Field(w, "title", panel.title);
  json::Field(w, "date", panel.DateOf(agenda->start));
  json::Field(w, "when", engine::LocalDateTime(panel, agenda->start));
  StringList(w, "members", panel.members);
  StringList(w, "quorum", panel.quorum);
  json::Field(w, "referrals_by",
              FormatRfc3339(panel.cutoff.Before(agenda->start, rules->calendars)));
  json::Key(w, "held");
  w.Bool(agenda->held);
  StringList(w, "attendees", agenda->attendees);
  StringList(w, "missing", agenda->missing);
  json::Key(w, "cases");
  w.StartArray();
  for (const auto& item : agenda->cases) {
    w.StartObject();
    json::Field(w, "case_id", item.view.id);
    json::Field(w, "case_type", item.view.type);
    json::Field(w, "referred_at", FormatRfc3339(item.referral.referred_at));
    json::Field(w, "rule", item.referral.rule);
    json::Key(w, "repeat");
    w.Bool(item.referral.repeat);
    json::Key(w, "rolled");
    w.Int(item.referral.rolled);
    json::Field(w, "outcome", OutcomeText(item.referral));
    json::Key(w, "shared");
    w.StartObject();
    for (const auto& [p, v] : item.shared) json::Field(w, p, v);
    w.EndObject();
    StringList(w, "withheld", item.withheld);
    json::Key(w, "research");
    w.StartArray();
    for (const auto& r : item.research) {
      w.StartObject();
      json::Field(w, "partner", r.partner);
      json::Field(w, "task_id", r.task_id);
      json::Field(w, "status", r.status);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  json::Key(w, "rolled_on");
  w.StartArray();
  for (const auto& item : agenda->rolled_on) {
    w.StartObject();
    json::Field(w, "case_id", item.view.id);
    json::Field(w, "to", panel.DateOf(item.referral.meeting));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  // Recorded before it is shown: the chair saw each case on the agenda, and
  // what of its referral (SPEC 6).
  for (const auto& item : agenda->cases) {
    auto viewed = SendEvent("case.viewed", *session, [&](json::Writer& v) {
      json::Field(v, "case_id", item.view.id);
      json::Field(v, "on", "agenda of " + panel.id + " " + panel.DateOf(agenda->start));
      StringList(v, "shown", {item.referral.event_id});
      StringList(v, "withheld", item.withheld);
    });
    if (!viewed.ok()) {
      return Error(503, "the agenda cannot be shown: its viewing could not be recorded (" +
                            viewed.status().message() + ")");
    }
  }
  return Json(200, std::string(buf.GetString(), buf.GetSize()));
}

HttpResponse Console::MeetingAction(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  MeetingPath path = SplitMeetingPath(req.path, "/api/panels/");
  if (path.action != "held" && path.action != "outcome") return NotFound();
  if (!IsJson(req)) return Error(415, "send the " + path.action + " as application/json");
  auto rules = o_.rules();
  HttpResponse answer;
  auto found = FindMeeting(*o_.store, *rules, session->partner, path, &answer);
  if (!found) return answer;
  const rules::Panel& panel = *found->panel;
  std::string date = panel.DateOf(found->meeting.start);
  rapidjson::Document body;
  if (auto refused = JsonObjectBody(req, &body)) return *refused;
  auto strings = [&](const char* name, std::vector<std::string>* out) {
    auto m = body.FindMember(name);
    if (m == body.MemberEnd()) return true;
    if (!m->value.IsArray()) return false;
    for (const auto& v : m->value.GetArray()) {
      if (!v.IsString()) return false;
      out->emplace_back(v.GetString());
    }
    return true;
  };

  if (path.action == "held") {
    std::vector<std::string> attendees;
    if (!strings("attendees", &attendees)) return Error(400, "attendees is a list of partner ids");
    for (const auto& a : attendees) {
      if (std::find(panel.members.begin(), panel.members.end(), a) == panel.members.end()) {
        return Error(400, "'" + a + "' is not a member of " + panel.id);
      }
    }
    auto id = SendEvent("panel.held", *session, [&](json::Writer& w) {
      json::Field(w, "panel", panel.id);
      json::Field(w, "meeting", date);
      StringList(w, "attendees", attendees);
    });
    if (!id.ok()) return Error(503, "the event could not be sent: " + id.status().message());
    return Json(202, "{\"event_id\":\"" + *id + "\",\"type\":\"panel.held\"}");
  }

  // An outcome, for a case this meeting hears.
  std::string case_id(json::GetString(body, "case_id"));
  auto agenda = engine::ReadAgenda(*o_.store, *rules, panel, found->meeting);
  if (!agenda.ok()) return Error(500, agenda.status().message());
  bool on_agenda = std::any_of(agenda->cases.begin(), agenda->cases.end(),
                               [&](const engine::AgendaItem& i) { return i.view.id == case_id; });
  if (!on_agenda) return Error(404, "case '" + case_id + "' is not on this meeting's agenda");
  struct Action {
    std::string to, title, due;
  };
  std::vector<Action> actions;
  if (auto a = body.FindMember("actions"); a != body.MemberEnd()) {
    if (!a->value.IsArray()) return Error(400, "actions is a list of {to, title, due}");
    for (const auto& item : a->value.GetArray()) {
      if (!item.IsObject()) return Error(400, "actions is a list of {to, title, due}");
      Action action{std::string(json::GetString(item, "to")),
                    std::string(json::GetString(item, "title")),
                    std::string(json::GetString(item, "due"))};
      int n = static_cast<int>(actions.size()) + 1;
      if (!rules->FindPartner(action.to)) {
        return Error(400, "action " + std::to_string(n) + ": '" + action.to + "' is not a partner");
      }
      if (action.title.empty()) return Error(400, "action " + std::to_string(n) + " needs a title");
      if (!action.due.empty() && !ParseDate(action.due)) {
        return Error(400, "action " + std::to_string(n) + ": due is a date, YYYY-MM-DD");
      }
      actions.push_back(std::move(action));
    }
  }
  bool deferred = json::GetBool(body, "deferred");
  std::string note(json::GetString(body, "note"));
  auto id = SendEvent("panel.outcome", *session, [&](json::Writer& w) {
    json::Field(w, "panel", panel.id);
    json::Field(w, "meeting", date);
    json::Field(w, "case_id", case_id);
    json::Key(w, "deferred");
    w.Bool(deferred);
    json::Key(w, "actions");
    w.StartArray();
    for (const auto& a : actions) {
      w.StartObject();
      json::Field(w, "to", a.to);
      json::Field(w, "title", a.title);
      if (!a.due.empty()) json::Field(w, "due", a.due);
      w.EndObject();
    }
    w.EndArray();
    if (!note.empty()) json::Field(w, "note", note);
  });
  if (!id.ok()) return Error(503, "the event could not be sent: " + id.status().message());
  return Json(202, "{\"event_id\":\"" + *id + "\",\"type\":\"panel.outcome\"}");
}

// --- Pages ------------------------------------------------------------------

HttpResponse Console::PanelsPage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  HttpResponse api = AsApi(req, "GET", "/api/panels");
  if (api.status != 200) return Page(api.status, "Panels", session->email, ErrorSummary(Message(api)));
  rapidjson::Document panels;
  panels.Parse(api.body.c_str(), api.body.size());
  std::ostringstream main;
  main << "<h1 class=\"govuk-heading-l\">Panels you chair</h1>\n";
  if (!panels.IsArray() || panels.Empty()) {
    main << "<p class=\"govuk-body\">" << text::HtmlEscape(session->partner)
         << " chairs no panel.</p>\n";
  } else {
    for (const auto& p : panels.GetArray()) {
      std::string id(json::GetString(p, "id"));
      main << "<table class=\"govuk-table\"><caption class=\"govuk-table__caption "
              "govuk-table__caption--m\">"
           << text::HtmlEscape(json::GetString(p, "title")) << "</caption>\n"
           << "<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
              "<th scope=\"col\" class=\"govuk-table__header\">Meeting</th>"
              "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Cases</th>"
              "<th scope=\"col\" class=\"govuk-table__header govuk-table__header--numeric\">Outcomes</th>"
              "<th scope=\"col\" class=\"govuk-table__header\">Held</th></tr></thead>\n"
              "<tbody class=\"govuk-table__body\">\n";
      for (const auto& m : p["meetings"].GetArray()) {
        std::string date(json::GetString(m, "date"));
        bool held = m["held"].IsTrue();
        main << "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a class=\"govuk-link\" "
                "href=\"/panels/" << text::HtmlEscape(id) << "/" << text::HtmlEscape(date) << "\">"
             << text::HtmlEscape(json::GetString(m, "when")) << "</a></td>"
             << "<td class=\"govuk-table__cell govuk-table__cell--numeric\">" << m["cases"].GetInt()
             << "</td><td class=\"govuk-table__cell govuk-table__cell--numeric\">"
             << m["outcomes"].GetInt() << "</td><td class=\"govuk-table__cell\">"
             << (held ? "held" : m["past"].IsTrue() ? "not recorded" : "to come") << "</td></tr>\n";
      }
      main << "</tbody></table>\n";
    }
  }
  main << "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/tasks\">Your tasks</a></p>\n";
  return Page(200, "Panels", session->email, main.str());
}

HttpResponse Console::MeetingPage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  MeetingPath path = SplitMeetingPath(req.path, "/panels/");
  HttpResponse api = AsApi(req, "GET", "/api/panels/" + path.panel + "/" + path.date);
  if (api.status != 200) {
    return Page(api.status, "Meeting not found", session->email,
                "<h1 class=\"govuk-heading-l\">Meeting not found</h1><p class=\"govuk-body\">"
                "There is no meeting of a panel you chair at that address.</p>\n");
  }
  rapidjson::Document d;
  d.Parse(api.body.c_str(), api.body.size());
  std::string panel(json::GetString(d, "panel")), date(json::GetString(d, "date"));
  std::string base = "/panels/" + text::HtmlEscape(panel) + "/" + text::HtmlEscape(date);
  auto rules = o_.rules();
  std::ostringstream main;
  if (req.query.count("done")) {
    main << SuccessBanner(req.query.at("done") + ": sent. This page shows it once the engine has applied it.");
  }
  main << "<span class=\"govuk-caption-l\">" << text::HtmlEscape(json::GetString(d, "title"))
       << "</span><h1 class=\"govuk-heading-l\">" << text::HtmlEscape(json::GetString(d, "when"))
       << "</h1>\n";
  auto joined = [](const rapidjson::Value& list) {
    std::string out;
    for (const auto& v : list.GetArray()) out += (out.empty() ? "" : ", ") + std::string(v.GetString());
    return out.empty() ? std::string("none") : out;
  };
  std::string attendance = "not recorded";
  if (d["held"].IsTrue()) {
    attendance = "held with " + text::HtmlEscape(joined(d["attendees"]));
    if (!d["missing"].Empty()) attendance += "; not quorate without " + text::HtmlEscape(joined(d["missing"]));
  }
  main << "<dl class=\"govuk-summary-list\">" << SummaryRow("Members", text::HtmlEscape(joined(d["members"])))
       << SummaryRow("Quorum", text::HtmlEscape(joined(d["quorum"]))) << SummaryRow("Attendance", attendance)
       << "</dl>\n";

  main << "<h2 class=\"govuk-heading-m\">Agenda: " << d["cases"].Size() << " case"
       << (d["cases"].Size() == 1 ? "" : "s") << "</h2>\n";
  if (d["cases"].Empty()) main << "<p class=\"govuk-body\">No cases on this agenda.</p>\n";
  int n = 0;
  for (const auto& c : d["cases"].GetArray()) {
    std::string case_id(json::GetString(c, "case_id")), outcome(json::GetString(c, "outcome"));
    main << "<div class=\"govuk-summary-card\"><div class=\"govuk-summary-card__title-wrapper\">"
            "<h3 class=\"govuk-summary-card__title\">" << ++n << ". " << text::HtmlEscape(case_id)
         << (c["repeat"].IsTrue() ? " (repeat referral)" : "") << "</h3>"
         << "<ul class=\"govuk-summary-card__actions\"><li class=\"govuk-summary-card__action\">"
            "<a class=\"govuk-link\" href=\"" << base << "/outcome/" << text::HtmlEscape(case_id)
         << "\">Record outcome<span class=\"govuk-visually-hidden\"> for " << text::HtmlEscape(case_id)
         << "</span></a></li></ul></div><div class=\"govuk-summary-card__content\">"
            "<dl class=\"govuk-summary-list\">";
    auto row = [&](const std::string& key, const std::string& value_html) {
      main << SummaryRow(key, value_html);
    };
    row("Case type", text::HtmlEscape(json::GetString(c, "case_type")));
    row("Referred", text::HtmlEscape(std::string(json::GetString(c, "referred_at")).substr(0, 16)) +
                        " by rule " + text::HtmlEscape(json::GetString(c, "rule")));
    if (c["rolled"].GetInt() > 0) row("Rolled on", std::to_string(c["rolled"].GetInt()) + " times");
    row("Outcome", Tag(outcome));
    for (const auto& m : c["shared"].GetObject()) {
      row(m.name.GetString(), text::HtmlEscape(m.value.GetString()));
    }
    if (!c["withheld"].Empty()) {
      row("Withheld", "<strong class=\"govuk-tag govuk-tag--grey\">withheld</strong> " +
                          text::HtmlEscape(joined(c["withheld"])));
    }
    std::string research;
    for (const auto& r : c["research"].GetArray()) {
      research += "<li>" + text::HtmlEscape(json::GetString(r, "partner")) + " " +
                  Tag(std::string(json::GetString(r, "status"))) + "</li>";
    }
    row("Research", research.empty() ? "none asked" : "<ul class=\"govuk-list\">" + research + "</ul>");
    main << "</dl></div></div>\n";
  }
  if (!d["rolled_on"].Empty()) {
    main << "<h2 class=\"govuk-heading-m\">Rolled on to a later meeting</h2><ul class=\"govuk-list\">";
    for (const auto& r : d["rolled_on"].GetArray()) {
      main << "<li>" << text::HtmlEscape(json::GetString(r, "case_id")) << " to "
           << text::HtmlEscape(json::GetString(r, "to")) << "</li>";
    }
    main << "</ul>\n";
  }

  // Attendance.
  main << "<form method=\"post\" action=\"" << base << "/held\">"
       << "<input type=\"hidden\" name=\"csrf\" value=\"" << session->csrf << "\">"
       << "<div class=\"govuk-form-group\"><fieldset class=\"govuk-fieldset\" "
          "aria-describedby=\"attendees-hint\"><legend class=\"govuk-fieldset__legend "
          "govuk-fieldset__legend--m\"><h2 class=\"govuk-fieldset__heading\">Record attendance</h2>"
          "</legend><div id=\"attendees-hint\" class=\"govuk-hint\">Select every member that attended."
          "</div><div class=\"govuk-checkboxes govuk-checkboxes--small\" data-module=\"govuk-checkboxes\">";
  int i = 0;
  for (const auto& m : d["members"].GetArray()) {
    std::string member = m.GetString();
    bool attended = false;
    for (const auto& a : d["attendees"].GetArray()) attended = attended || member == a.GetString();
    const rules::Partner* p = rules->FindPartner(member);
    std::string id = "attendee-" + std::to_string(++i);
    main << "<div class=\"govuk-checkboxes__item\"><input class=\"govuk-checkboxes__input\" id=\"" << id
         << "\" name=\"attendees\" type=\"checkbox\" value=\"" << text::HtmlEscape(member) << "\""
         << (attended ? " checked" : "") << "><label class=\"govuk-label govuk-checkboxes__label\" for=\""
         << id << "\">" << text::HtmlEscape(p ? p->name : member) << "</label></div>";
  }
  main << "</div></fieldset></div><button type=\"submit\" class=\"govuk-button\">Record attendance"
          "</button></form>\n"
       << "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/panels\">Your panels</a></p>\n";
  return Page(200, std::string(json::GetString(d, "title")) + " " + date, session->email, main.str());
}

HttpResponse Console::MeetingForm(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  MeetingPath path = SplitMeetingPath(req.path, "/panels/");
  std::string base = "/panels/" + path.panel + "/" + path.date;
  auto rules = o_.rules();

  // GET .../outcome/{case_id}: the outcome form.
  if (req.method == "GET") {
    if (path.action != "outcome" || path.case_id.empty()) return MeetingPage(req);
    HttpResponse api = AsApi(req, "GET", "/api/panels/" + path.panel + "/" + path.date);
    if (api.status != 200) return MeetingPage(req);
    std::ostringstream main;
    main << "<span class=\"govuk-caption-l\">" << text::HtmlEscape(path.panel) << " "
         << text::HtmlEscape(path.date) << "</span><h1 class=\"govuk-heading-l\">Outcome for "
         << text::HtmlEscape(path.case_id) << "</h1>\n"
         << "<form method=\"post\" action=\"" << text::HtmlEscape(base) << "/outcome/"
         << text::HtmlEscape(path.case_id) << "\" novalidate>"
         << "<input type=\"hidden\" name=\"csrf\" value=\"" << session->csrf << "\">";
    for (int a = 1; a <= kActionRows; ++a) {
      std::string n = std::to_string(a);
      main << "<div class=\"govuk-form-group\"><fieldset class=\"govuk-fieldset\"><legend "
              "class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Action " << n
           << (a == 1 ? "" : " (optional)") << "</legend>"
           << "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"to-" << n
           << "\">Agency</label><select class=\"govuk-select\" id=\"to-" << n << "\" name=\"to-" << n
           << "\"><option value=\"\">None</option>";
      for (const auto& p : rules->partners) {
        main << "<option value=\"" << text::HtmlEscape(p.id) << "\">" << text::HtmlEscape(p.name)
             << "</option>";
      }
      main << "</select></div><div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"title-"
           << n << "\">What they will do</label><input class=\"govuk-input\" id=\"title-" << n
           << "\" name=\"title-" << n << "\" type=\"text\"></div>"
           << "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"due-" << n
           << "\">Due by</label><input class=\"govuk-input govuk-input--width-10\" id=\"due-" << n
           << "\" name=\"due-" << n << "\" type=\"date\"></div></fieldset></div>";
    }
    main << "<div class=\"govuk-form-group\"><div class=\"govuk-checkboxes govuk-checkboxes--small\" "
            "data-module=\"govuk-checkboxes\"><div class=\"govuk-checkboxes__item\"><input "
            "class=\"govuk-checkboxes__input\" id=\"deferred\" name=\"deferred\" type=\"checkbox\" "
            "value=\"yes\"><label class=\"govuk-label govuk-checkboxes__label\" for=\"deferred\">"
            "Deferred to the next meeting</label></div></div></div>"
         << "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"note\">Note "
            "(optional)</label><textarea class=\"govuk-textarea\" id=\"note\" name=\"note\" rows=\"3\">"
            "</textarea></div>"
         << "<button type=\"submit\" class=\"govuk-button\">Record outcome</button></form>\n"
         << "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"" << text::HtmlEscape(base)
         << "\">Back to the agenda</a></p>\n";
    return Page(200, "Outcome for " + path.case_id, session->email, main.str());
  }

  // POST .../held or .../outcome/{case_id}.
  auto form = Form(req.body);
  if (!SameToken(form["csrf"], session->csrf)) {
    return Page(403, "Panels", session->email, ErrorSummary("The form has expired: go back to the agenda"));
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  std::string done;
  if (path.action == "held") {
    StringList(w, "attendees", FormAll(req.body, "attendees"));
    done = "attendance";
  } else if (path.action == "outcome") {
    json::Field(w, "case_id", path.case_id);
    json::Key(w, "deferred");
    w.Bool(form["deferred"] == "yes");
    json::Field(w, "note", form["note"]);
    json::Key(w, "actions");
    w.StartArray();
    for (int a = 1; a <= kActionRows; ++a) {
      std::string n = std::to_string(a);
      if (form["to-" + n].empty() && form["title-" + n].empty()) continue;
      w.StartObject();
      json::Field(w, "to", form["to-" + n]);
      json::Field(w, "title", form["title-" + n]);
      json::Field(w, "due", form["due-" + n]);
      w.EndObject();
    }
    w.EndArray();
    done = "outcome for " + path.case_id;
  } else {
    return MeetingPage(req);
  }
  w.EndObject();
  std::string api_path = "/api/panels/" + path.panel + "/" + path.date + "/" + path.action;
  HttpResponse api = AsApi(req, "POST", api_path, {}, buf.GetString());
  if (api.status != 202) return Page(api.status, "Panels", session->email, ErrorSummary(Message(api)));
  return Redirect(base + "?done=" + UrlEncode(done));
}

}  // namespace convene::console

// The console's pages: server-rendered HTML in the GOV.UK Design System's
// markup (govuk-frontend's CSS, served by convene; no script is needed), each
// reading and changing state only through the JSON API's handlers, so that a
// page can show and do exactly what the API allows the partner.
#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "console/console.h"
#include "console/console_internal.h"
#include "report/report.h"
#include "rules/json.h"
#include "rules/share.h"
#include "rules/text.h"

namespace convene::console {
namespace {

using connectors::HttpRequest;
using connectors::HttpResponse;

constexpr const char* kSignInCookie = "convene_sign_in";  // the sign-in form's CSRF token

// A task's case as a link to its page; a panel meeting's ("marac/2026-03-17")
// as text, having none.
std::string CaseLink(const std::string& case_id) {
  if (case_id.find('/') != std::string::npos) return text::HtmlEscape(case_id);
  return "<a class=\"govuk-link\" href=\"/cases/" + text::HtmlEscape(case_id) + "\">" +
         text::HtmlEscape(case_id) + "</a>";
}

// A task's due date to the minute, or "none".
std::string DueText(const rapidjson::Value& task) {
  return task.HasMember("due_at") && task["due_at"].IsString()
             ? std::string(task["due_at"].GetString()).substr(0, 16)
             : "none";
}

// What a user may do with a task in `state` (action, label): nothing once it
// is finished; acknowledge only while open; claim unless already theirs.
std::vector<std::pair<const char*, const char*>> OfferedActions(const std::string& state,
                                                                bool claimed_by_me) {
  std::vector<std::pair<const char*, const char*>> out;
  if (state != "open" && state != "acknowledged") return out;
  if (!claimed_by_me) out.emplace_back("claim", "Claim");
  if (state == "open") out.emplace_back("acknowledge", "Acknowledge");
  out.emplace_back("complete", "Complete");
  out.emplace_back("decline", "Decline");
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> FormPairs(const std::string& body) {
  auto decode = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t pos = 0; pos <= body.size();) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view pair(body.data() + pos, end - pos);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      out.emplace_back(decode(pair.substr(0, eq)),
                       eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1)));
    }
    pos = end + 1;
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> out;
  for (auto& [name, value] : FormPairs(body)) out[name] = std::move(value);
  return out;
}

std::vector<std::string> FormAll(const std::string& body, const std::string& name) {
  std::vector<std::string> out;
  for (auto& [n, value] : FormPairs(body)) {
    if (n == name) out.push_back(std::move(value));
  }
  return out;
}

bool SameToken(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

HttpResponse Redirect(const std::string& to) {
  HttpResponse r;
  r.status = 303;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Location", to);
  return r;
}

// A whole page: the GOV.UK template's header, width container and footer.
HttpResponse Page(int status, const std::string& title, const std::string& signed_in_as,
                  const std::string& main) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\" class=\"govuk-template\">\n<head>\n"
      << "<meta charset=\"utf-8\">\n<title>" << text::HtmlEscape(title) << " - convene</title>\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<link rel=\"stylesheet\" href=\"/govuk-frontend.min.css\">\n</head>\n"
      << "<body class=\"govuk-template__body\">\n"
      << "<a href=\"#main-content\" class=\"govuk-skip-link\">Skip to main content</a>\n"
      << "<header class=\"govuk-header\"><div class=\"govuk-header__container govuk-width-container\">"
      << "<div class=\"govuk-header__logo\"><a href=\"/tasks\" class=\"govuk-header__link "
         "govuk-header__link--homepage\"><span class=\"govuk-header__logotype-text\">convene</span></a>"
         "</div><div class=\"govuk-header__content\"><span class=\"govuk-header__service-name\">"
         "Community safety partnership</span></div></div></header>\n"
      << "<div class=\"govuk-width-container\">\n";
  if (!signed_in_as.empty()) {
    out << "<p class=\"govuk-body-s govuk-!-margin-top-3\">Signed in as " << text::HtmlEscape(signed_in_as) << "</p>\n";
  }
  out << "<main class=\"govuk-main-wrapper\" id=\"main-content\">\n" << main << "</main>\n</div>\n"
      << "<footer class=\"govuk-footer\"><div class=\"govuk-width-container\"><p class=\"govuk-body-s\">"
         "convene: case coordination for community safety partnerships</p></div></footer>\n"
      << "</body>\n</html>\n";
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = out.str();
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

std::string SummaryRow(const std::string& key, const std::string& value_html) {
  return "<div class=\"govuk-summary-list__row\"><dt class=\"govuk-summary-list__key\">" +
         text::HtmlEscape(key) + "</dt><dd class=\"govuk-summary-list__value\">" + value_html +
         "</dd></div>";
}

std::string SuccessBanner(const std::string& message) {
  return "<div class=\"govuk-notification-banner govuk-notification-banner--success\" role=\"alert\">"
         "<div class=\"govuk-notification-banner__header\"><h2 class=\"govuk-notification-banner__title\">"
         "Success</h2></div><div class=\"govuk-notification-banner__content\"><p class=\"govuk-body\">" +
         text::HtmlEscape(message) + "</p></div></div>\n";
}

std::string ErrorSummary(const std::string& message) {
  return "<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\"><div role=\"alert\">"
         "<h2 class=\"govuk-error-summary__title\">There is a problem</h2>"
         "<div class=\"govuk-error-summary__body\"><ul class=\"govuk-list govuk-error-summary__list\">"
         "<li>" + text::HtmlEscape(message) + "</li></ul></div></div></div>\n";
}

std::string Message(const HttpResponse& api) {
  rapidjson::Document d;
  d.Parse(api.body.c_str(), api.body.size());
  return d.IsObject() ? std::string(json::GetString(d, "error")) : "something went wrong";
}


Console::Console(Options options) : o_(std::move(options)) {
  // govuk-frontend's stylesheet and the fonts and images it names, held in memory.
  if (o_.assets_dir.empty()) return;
  std::filesystem::path dir(o_.assets_dir);
  auto load = [&](const std::filesystem::path& file, const std::string& url) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return;
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::string ext = file.extension().string();
    std::string type = ext == ".css"     ? "text/css"
                       : ext == ".woff2" ? "font/woff2"
                       : ext == ".woff"  ? "font/woff"
                       : ext == ".png"   ? "image/png"
                       : ext == ".svg"   ? "image/svg+xml"
                       : ext == ".ico"   ? "image/x-icon"
                       : ext == ".json"  ? "application/json"
                                         : "application/octet-stream";
    assets_[url] = {type, std::move(bytes)};
  };
  load(dir / "govuk-frontend.min.css", "/govuk-frontend.min.css");
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir / "assets", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) {
      load(it->path(), "/assets/" + std::filesystem::relative(it->path(), dir / "assets").string());
    }
  }
}

void Console::AddPageRoutes(std::vector<connectors::HttpListener::Route>* routes) {
  routes->push_back({"GET", "/", nullptr, [this](const HttpRequest& r) {
                       HttpResponse refused;
                       return Redirect(SessionOf(r, &refused) ? "/tasks" : "/sign-in");
                     }});
  routes->push_back({"GET", "/sign-in", nullptr, [this](const HttpRequest& r) { return SignInPage(r); }});
  routes->push_back({"POST", "/sign-in", nullptr, [this](const HttpRequest& r) { return SignInForm(r); }});
  routes->push_back({"POST", "/sign-out", nullptr, [this](const HttpRequest& r) { return SignOut(r); }});
  routes->push_back({"GET", "/tasks", nullptr, [this](const HttpRequest& r) { return TasksPage(r); }});
  routes->push_back({"POST", "/tasks/", nullptr, [this](const HttpRequest& r) { return TaskForm(r); }});
  routes->push_back({"GET", "/tasks/", nullptr, [this](const HttpRequest& r) { return TaskPage(r); }});
  routes->push_back({"GET", "/cases/", nullptr, [this](const HttpRequest& r) { return CasePage(r); }});
  routes->push_back({"GET", "/cases", nullptr, [this](const HttpRequest& r) { return FindCasesPage(r); }});
  routes->push_back({"POST", "/cases/", nullptr, [this](const HttpRequest& r) { return CaseNoteForm(r); }});
  routes->push_back({"GET", "/report", nullptr, [this](const HttpRequest& r) { return ReportPage(r); }});
  routes->push_back({"GET", "/panels", nullptr, [this](const HttpRequest& r) { return PanelsPage(r); }});
  routes->push_back({"GET", "/panels/", nullptr, [this](const HttpRequest& r) { return MeetingForm(r); }});
  routes->push_back({"POST", "/panels/", nullptr, [this](const HttpRequest& r) { return MeetingForm(r); }});
  routes->push_back({"GET", "/assets/", nullptr, [this](const HttpRequest& r) { return Asset(r); }});
  routes->push_back({"GET", "/govuk-frontend.min.css", nullptr,
                     [this](const HttpRequest& r) { return Asset(r); }});
}

HttpResponse Console::Asset(const HttpRequest& req) {
  auto it = assets_.find(req.path);
  if (it == assets_.end()) {
    HttpResponse r;
    r.status = 404;
    r.body = connectors::JsonError("not found");
    return r;
  }
  HttpResponse r;
  r.content_type = it->second.first;
  r.body = it->second.second;
  r.headers.emplace_back("Cache-Control", "public, max-age=86400");
  return r;
}

HttpResponse Console::SignInPage(const HttpRequest& req) {
  // The form's token is the browser's sign-in cookie, made once: a page whose
  // token changed with every load would refuse the form of a page loaded
  // before (a browser may fetch the page again for its own reasons).
  std::string token = CookieOf(req.Header("cookie"), kSignInCookie);
  if (token.size() != 64 ||
      !std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isxdigit(c); })) {
    token = RandomToken();
  }
  std::ostringstream main;
  main << "<h1 class=\"govuk-heading-l\">Sign in</h1>\n"
       << "<form method=\"post\" action=\"/sign-in\" novalidate>\n"
       << "<input type=\"hidden\" name=\"csrf\" value=\"" << token << "\">\n"
       << "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"email\">Email address</label>"
          "<input class=\"govuk-input\" id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" "
          "spellcheck=\"false\"></div>\n"
       << "<div class=\"govuk-form-group\"><label class=\"govuk-label\" for=\"password\">Password</label>"
          "<input class=\"govuk-input\" id=\"password\" name=\"password\" type=\"password\" "
          "autocomplete=\"current-password\"></div>\n"
       << "<button type=\"submit\" class=\"govuk-button\" data-module=\"govuk-button\">Sign in</button>\n"
       << "</form>\n";
  HttpResponse r = Page(200, "Sign in", "", main.str());
  r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) + "=" + token +
                                           "; Path=/sign-in; HttpOnly; SameSite=Strict" +
                                           (o_.secure_cookies ? "; Secure" : ""));
  return r;
}

HttpResponse Console::SignInForm(const HttpRequest& req) {
  auto form = Form(req.body);
  if (!SameToken(form["csrf"], CookieOf(req.Header("cookie"), kSignInCookie))) {
    return Page(403, "Sign in", "", ErrorSummary("The form has expired: sign in again") +
                                        "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/sign-in\">Sign in</a></p>\n");
  }
  HttpResponse error;
  auto token = StartSession(form["email"], form["password"], &error);
  if (!token) {
    HttpResponse page = SignInPage(req);
    std::string summary = ErrorSummary(Message(error));
    page.body.replace(page.body.find("<h1"), 0, summary);
    page.status = error.status;
    return page;
  }
  HttpResponse r = Redirect("/tasks");
  r.headers.emplace_back("Set-Cookie", SessionCookie(*token, o_.secure_cookies));
  return r;
}

HttpResponse Console::SignOut(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (session && SameToken(Form(req.body)["csrf"], session->csrf)) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(CookieOf(req.Header("cookie"), "convene_session"));
  }
  return Redirect("/sign-in");
}

HttpResponse Console::TasksPage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  std::string status = req.query.count("status") ? req.query.at("status") : "open";
  std::map<std::string, std::string> query = {{"status", status}};
  for (const char* name : {"case_type", "priority", "ward", "claimed", "due_before", "sort"}) {
    if (req.query.count(name) && !req.query.at(name).empty()) query[name] = req.query.at(name);
  }
  HttpResponse api = AsApi(req, "GET", "/api/tasks", query);
  if (api.status != 200) return Page(api.status, "Tasks", session->email, ErrorSummary(Message(api)));
  rapidjson::Document tasks;
  tasks.Parse(api.body.c_str(), api.body.size());
  std::ostringstream main;
  main << "<h1 class=\"govuk-heading-l\">Tasks for " << text::HtmlEscape(session->partner) << "</h1>\n";
  auto rules = o_.rules();
  bool chairs = std::any_of(rules->panels.begin(), rules->panels.end(),
                            [&](const rules::Panel& p) { return p.chair == session->partner; });
  main << "<ul class=\"govuk-list\"><li><a class=\"govuk-link\" href=\"/cases\">Find a case</a></li>";
  if (chairs) main << "<li><a class=\"govuk-link\" href=\"/panels\">Panels you chair</a></li>";
  if (session->manager) {
    main << "<li><a class=\"govuk-link\" href=\"/report\">The partnership's report</a></li>";
  }
  main << "</ul>\n";
  if (req.query.count("done")) {
    main << SuccessBanner(req.query.at("done") +
                          ": sent. The task's status changes once the engine has applied it.");
  }
  main << "<nav aria-label=\"Which tasks\"><ul class=\"govuk-list\">";
  for (const auto& [s, label] : {std::pair{"open", "open"}, std::pair{"due_soon", "due soon"},
                                std::pair{"overdue", "overdue"}, std::pair{"all", "all"}}) {
    main << "<li style=\"display:inline;margin-right:1em\">";
    if (status == s) {
      main << "<strong aria-current=\"page\">" << label << "</strong>";
    } else {
      main << "<a class=\"govuk-link\" href=\"/tasks?status=" << s << "\">" << label << "</a>";
    }
    main << "</li>";
  }
  main << "</ul></nav>\n";
  // Filters, as a form that reloads the page.
  auto selected = [&](const char* name, const std::string& value) {
    return query.count(name) && query.at(name) == value ? " selected" : "";
  };
  // Options are (value, label) pairs; the first is "Any".
  auto select = [&](const char* name, const char* label,
                    const std::vector<std::pair<std::string, std::string>>& options) {
    main << "<div class=\"govuk-form-group\" style=\"display:inline-block;margin-right:1em\">"
         << "<label class=\"govuk-label\" for=\"" << name << "\">" << label << "</label>"
         << "<select class=\"govuk-select\" id=\"" << name << "\" name=\"" << name << "\">"
         << "<option value=\"\">Any</option>";
    for (const auto& [v, l] : options) {
      main << "<option value=\"" << text::HtmlEscape(v) << "\"" << selected(name, v) << ">"
           << text::HtmlEscape(l) << "</option>";
    }
    main << "</select></div>";
  };
  auto same = [](const auto& values) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& v : values) out.emplace_back(v, v);
    return out;
  };
  auto wards = WardsOf(session->partner);
  if (!wards.ok()) return Page(500, "Tasks", session->email, ErrorSummary(wards.status().message()));
  std::vector<std::string> types;
  for (const auto& t : rules->case_types) types.push_back(t.id);
  main << "<form method=\"get\" action=\"/tasks\"><input type=\"hidden\" name=\"status\" value=\""
       << text::HtmlEscape(status) << "\">";
  select("case_type", "Case type", same(types));
  select("priority", "Priority", same(std::vector<std::string>{"urgent", "high", "normal", "low"}));
  select("ward", "Ward", same(*wards));
  select("claimed", "Claimed by", {{"me", "me"}, {"none", "nobody"}});
  main << "<div class=\"govuk-form-group\" style=\"display:inline-block;margin-right:1em\">"
       << "<label class=\"govuk-label\" for=\"due_before\">Due before</label>"
       << "<input class=\"govuk-input govuk-input--width-10\" id=\"due_before\" name=\"due_before\" "
          "type=\"date\" value=\"" << text::HtmlEscape(query.count("due_before") ? query.at("due_before") : "") << "\"></div>"
       << "<div class=\"govuk-form-group\" style=\"display:inline-block;margin-right:1em\">"
       << "<label class=\"govuk-label\" for=\"sort\">Sort by</label>"
       << "<select class=\"govuk-select\" id=\"sort\" name=\"sort\"><option value=\"due\">due date</option>"
       << "<option value=\"priority\"" << selected("sort", "priority") << ">priority</option></select></div>"
       << "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\">Filter</button></form>\n";
  if (!tasks.IsArray() || tasks.Empty()) {
    main << "<p class=\"govuk-body\">No " << text::HtmlEscape(status) << " tasks.</p>\n";
  } else {
    main << "<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-table__caption--m\">"
         << tasks.Size() << " " << text::HtmlEscape(status) << " task" << (tasks.Size() == 1 ? "" : "s")
         << "</caption>\n<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
            "<th scope=\"col\" class=\"govuk-table__header\">Task</th>"
            "<th scope=\"col\" class=\"govuk-table__header\">Case</th>"
            "<th scope=\"col\" class=\"govuk-table__header\">Priority</th>"
            "<th scope=\"col\" class=\"govuk-table__header\">Due</th>"
            "<th scope=\"col\" class=\"govuk-table__header\">Status</th>"
            "<th scope=\"col\" class=\"govuk-table__header\">Action</th></tr></thead>\n"
            "<tbody class=\"govuk-table__body\">\n";
    for (const auto& t : tasks.GetArray()) {
      std::string id(json::GetString(t, "task_id")), case_id(json::GetString(t, "case_id"));
      std::string state(json::GetString(t, "status"));
      bool overdue = t.HasMember("overdue") && t["overdue"].IsTrue();
      main << "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a class=\"govuk-link\" "
              "href=\"/tasks/" << text::HtmlEscape(id) << "\">" << text::HtmlEscape(json::GetString(t, "title"))
           << "</a></td><td class=\"govuk-table__cell\">" << CaseLink(case_id)
           << "</td><td class=\"govuk-table__cell\">" << text::HtmlEscape(json::GetString(t, "priority"))
           << "</td><td class=\"govuk-table__cell\">" << text::HtmlEscape(DueText(t))
           << "</td><td class=\"govuk-table__cell\"><strong class=\"govuk-tag"
           << (overdue ? " govuk-tag--red\">overdue" : state == "open" ? " govuk-tag--blue\">open"
                                                                        : " govuk-tag--grey\">" + text::HtmlEscape(state))
           << "</strong>";
      std::string claimed_by(json::GetString(t, "claimed_by"));
      if (!claimed_by.empty()) {
        main << "<p class=\"govuk-body-s govuk-!-margin-bottom-0\">claimed by "
             << (claimed_by == session->email ? std::string("you") : text::HtmlEscape(claimed_by)) << "</p>";
      }
      main << "</td><td class=\"govuk-table__cell\">";
      if (auto actions = OfferedActions(state, claimed_by == session->email); !actions.empty()) {
        main << "<form method=\"post\" action=\"/tasks/" << text::HtmlEscape(id) << "/acknowledge\">"
             << "<input type=\"hidden\" name=\"csrf\" value=\"" << session->csrf << "\">"
             << "<div class=\"govuk-button-group\">";
        for (const auto& [action, label] : actions) {
          main << "<button type=\"submit\" class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-1\" "
               << "formaction=\"/tasks/" << text::HtmlEscape(id) << "/" << action << "\">" << label
               << "<span class=\"govuk-visually-hidden\"> " << text::HtmlEscape(id) << "</span></button>";
        }
        main << "</div></form>";
      }
      main << "</td></tr>\n";
    }
    main << "</tbody></table>\n";
  }
  main << "<form method=\"post\" action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\""
       << session->csrf << "\"><button type=\"submit\" class=\"govuk-button govuk-button--warning\">"
          "Sign out</button></form>\n";
  return Page(200, "Tasks", session->email, main.str());
}

HttpResponse Console::TaskPage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  std::string id = req.path.substr(std::string("/tasks/").size());
  HttpResponse api = AsApi(req, "GET", "/api/tasks/" + id);
  if (api.status != 200) {
    return Page(api.status, "Task not found", session->email,
                "<h1 class=\"govuk-heading-l\">Task not found</h1><p class=\"govuk-body\">"
                "There is no task of yours with that reference.</p>\n");
  }
  rapidjson::Document t;
  t.Parse(api.body.c_str(), api.body.size());
  std::string case_id(json::GetString(t, "case_id")), state(json::GetString(t, "status"));
  std::string claimed_by(json::GetString(t, "claimed_by"));
  bool overdue = t.HasMember("overdue") && t["overdue"].IsTrue();
  std::ostringstream main;
  main << "<span class=\"govuk-caption-l\">Task " << text::HtmlEscape(id) << "</span><h1 class=\"govuk-heading-l\">"
       << text::HtmlEscape(json::GetString(t, "title")) << "</h1>\n<dl class=\"govuk-summary-list\">";
  auto row = [&](const std::string& key, const std::string& value_html) {
    main << SummaryRow(key, value_html);
  };
  row("Case", CaseLink(case_id));
  row("Case type", text::HtmlEscape(json::GetString(t, "case_type")));
  row("Kind", text::HtmlEscape(json::GetString(t, "kind")));
  row("Priority", text::HtmlEscape(json::GetString(t, "priority")));
  row("Due", text::HtmlEscape(DueText(t)) + (overdue ? " <strong class=\"govuk-tag govuk-tag--red\">overdue</strong>" : ""));
  row("Status", text::HtmlEscape(state));
  row("Claimed by", claimed_by.empty() ? "nobody"
                    : claimed_by == session->email ? "you"
                                                  : text::HtmlEscape(claimed_by));
  row("Rule", text::HtmlEscape(json::GetString(t, "rule")));
  std::string shared;
  if (t.HasMember("context") && t["context"].IsObject()) {
    for (const auto& [path, value] : rules::SharedLines(t["context"])) {
      shared += "<li><span class=\"govuk-!-font-weight-bold\">" + text::HtmlEscape(path) + "</span>: " +
                text::HtmlEscape(value) + "</li>";
    }
  }
  row("Shared with you", shared.empty() ? "nothing" : "<ul class=\"govuk-list\">" + shared + "</ul>");
  main << "</dl>\n";
  if (auto actions = OfferedActions(state, claimed_by == session->email); !actions.empty()) {
    main << "<form method=\"post\" action=\"/tasks/" << text::HtmlEscape(id) << "/acknowledge\">"
         << "<input type=\"hidden\" name=\"csrf\" value=\"" << session->csrf << "\">"
         << "<div class=\"govuk-form-group\"><label class=\"govuk-label govuk-label--m\" for=\"note\">"
            "Note (optional)</label><div id=\"note-hint\" class=\"govuk-hint\">Sent with what you do "
            "next, and kept on the case.</div><textarea class=\"govuk-textarea\" id=\"note\" name=\"note\" "
            "rows=\"3\" aria-describedby=\"note-hint\"></textarea></div><div class=\"govuk-button-group\">";
    for (const auto& [action, label] : actions) {
      main << "<button type=\"submit\" class=\"govuk-button"
           << (std::string(action) == "complete" ? "" : " govuk-button--secondary") << "\" formaction=\"/tasks/"
           << text::HtmlEscape(id) << "/" << action << "\">" << label << "</button>";
    }
    main << "</div></form>\n";
  }
  main << "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/tasks\">Back to your tasks</a></p>\n";
  return Page(200, std::string(json::GetString(t, "title")), session->email, main.str());
}

HttpResponse Console::TaskForm(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  auto form = Form(req.body);
  if (!SameToken(form["csrf"], session->csrf)) {
    return Page(403, "Tasks", session->email, ErrorSummary("The form has expired: go back to your tasks"));
  }
  std::string rest = req.path.substr(std::string("/tasks/").size());
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "note", form["note"]);
  w.EndObject();
  HttpResponse api = AsApi(req, "POST", "/api/tasks/" + rest, {}, buf.GetString());
  if (api.status != 202) return Page(api.status, "Tasks", session->email, ErrorSummary(Message(api)));
  std::string action = rest.substr(rest.find('/') + 1);
  std::string task = rest.substr(0, rest.find('/'));
  return Redirect("/tasks?done=" + UrlEncode(action + " " + task));
}

HttpResponse Console::CasePage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  std::string case_id = req.path.substr(std::string("/cases/").size());
  HttpResponse api = AsApi(req, "GET", "/api/cases/" + case_id);
  if (api.status != 200) {
    return Page(api.status, "Case not found", session->email,
                "<h1 class=\"govuk-heading-l\">Case not found</h1><p class=\"govuk-body\">"
                "There is no case of yours with that reference.</p>\n");
  }
  rapidjson::Document d;
  d.Parse(api.body.c_str(), api.body.size());
  const auto& c = d["case"];
  std::ostringstream main;
  main << "<span class=\"govuk-caption-l\">Case</span><h1 class=\"govuk-heading-l\">"
       << text::HtmlEscape(json::GetString(c, "id")) << "</h1>\n<dl class=\"govuk-summary-list\">";
  for (const auto& m : c.GetObject()) {
    std::string value = m.value.IsString() ? m.value.GetString() : json::Serialize(m.value);
    main << SummaryRow(m.name.GetString(), text::HtmlEscape(value));
  }
  main << "</dl>\n<h2 class=\"govuk-heading-m\">Timeline</h2>\n<table class=\"govuk-table\">"
          "<caption class=\"govuk-table__caption govuk-visually-hidden\">Events on this case, as "
       << text::HtmlEscape(session->partner) << " may see them</caption><thead class=\"govuk-table__head\">"
          "<tr class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">When</th>"
          "<th scope=\"col\" class=\"govuk-table__header\">Event</th>"
          "<th scope=\"col\" class=\"govuk-table__header\">What is shared with you</th></tr></thead>"
          "<tbody class=\"govuk-table__body\">\n";
  for (const auto& e : d["timeline"].GetArray()) {
    main << "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">"
         << text::HtmlEscape(std::string(json::GetString(e, "occurred_at")).substr(0, 16))
         << "</td><td class=\"govuk-table__cell\">" << text::HtmlEscape(json::GetString(e, "type"))
         << "</td><td class=\"govuk-table__cell\"><ul class=\"govuk-list\">";
    if (e.HasMember("event")) {
      for (const auto& [path, value] : rules::SharedLines(e["event"], "event")) {
        main << "<li><span class=\"govuk-!-font-weight-bold\">" << text::HtmlEscape(path)
             << "</span>: " << text::HtmlEscape(value) << "</li>";
      }
    }
    main << "</ul>";
    if (e.HasMember("withheld") && e["withheld"].IsArray() && !e["withheld"].Empty()) {
      main << "<p class=\"govuk-body-s\"><strong class=\"govuk-tag govuk-tag--grey\">withheld</strong> ";
      bool first = true;
      for (const auto& p : e["withheld"].GetArray()) {
        main << (first ? "" : ", ") << text::HtmlEscape(p.GetString());
        first = false;
      }
      main << "</p>";
    }
    main << "</td></tr>\n";
  }
  main << "</tbody></table>\n<h2 class=\"govuk-heading-m\">Your tasks on this case</h2>\n<ul class=\"govuk-list\">";
  for (const auto& t : d["tasks"].GetArray()) {
    bool overdue = t.HasMember("overdue") && t["overdue"].IsTrue();
    main << "<li>" << text::HtmlEscape(json::GetString(t, "title")) << " <strong class=\"govuk-tag"
         << (overdue ? " govuk-tag--red\">overdue" : " govuk-tag--grey\">" + text::HtmlEscape(json::GetString(t, "status")))
         << "</strong></li>";
  }
  main << "</ul>\n";
  if (req.query.count("done")) {
    main << SuccessBanner("Note sent. It is on the timeline once the engine has applied it.");
  }
  main << "<form method=\"post\" action=\"/cases/" << text::HtmlEscape(case_id) << "/note\">"
       << "<input type=\"hidden\" name=\"csrf\" value=\"" << session->csrf << "\">"
       << "<div class=\"govuk-form-group\"><h2 class=\"govuk-label-wrapper\"><label class=\"govuk-label "
          "govuk-label--m\" for=\"note\">Add a note</label></h2><div id=\"note-hint\" class=\"govuk-hint\">"
          "Every partner on the case may see that a note was added.</div><textarea class=\"govuk-textarea\" "
          "id=\"note\" name=\"note\" rows=\"3\" aria-describedby=\"note-hint\"></textarea></div>"
       << "<button type=\"submit\" class=\"govuk-button\">Add note</button></form>\n";
  main << "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/tasks\">Back to your tasks</a></p>\n";
  return Page(200, "Case " + std::string(json::GetString(c, "id")), session->email, main.str());
}

HttpResponse Console::CaseNoteForm(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  auto form = Form(req.body);
  if (!SameToken(form["csrf"], session->csrf)) {
    return Page(403, "Case", session->email, ErrorSummary("The form has expired: go back to the case"));
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "note", form["note"]);
  w.EndObject();
  std::string path = req.path.substr(std::string("/cases/").size());
  HttpResponse api = AsApi(req, "POST", "/api/cases/" + path, {}, buf.GetString());
  if (api.status != 202) return Page(api.status, "Case", session->email, ErrorSummary(Message(api)));
  return Redirect("/cases/" + path.substr(0, path.find('/')) + "?done=note");
}

HttpResponse Console::FindCasesPage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  std::string q = req.query.count("q") ? req.query.at("q") : "";
  std::ostringstream main;
  main << "<h1 class=\"govuk-heading-l\">Find a case</h1>\n";
  HttpResponse api;
  if (!q.empty()) {
    api = AsApi(req, "GET", "/api/cases", {{"q", q}});
    if (api.status != 200) main << ErrorSummary(Message(api));
  }
  main << "<form method=\"get\" action=\"/cases\"><div class=\"govuk-form-group\">"
          "<label class=\"govuk-label\" for=\"q\">Case reference, postcode or person id</label>"
          "<div id=\"q-hint\" class=\"govuk-hint\">Only cases your partner has a task on, and only "
          "by what it may see of them.</div><input class=\"govuk-input govuk-!-width-one-half\" id=\"q\" "
          "name=\"q\" type=\"search\" aria-describedby=\"q-hint\" value=\"" << text::HtmlEscape(q)
       << "\"></div><button type=\"submit\" class=\"govuk-button\">Search</button></form>\n";
  if (!q.empty() && api.status == 200) {
    rapidjson::Document found;
    found.Parse(api.body.c_str(), api.body.size());
    if (!found.IsArray() || found.Empty()) {
      main << "<p class=\"govuk-body\">No case of yours matches " << text::HtmlEscape(q) << ".</p>\n";
    } else {
      main << "<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-table__caption--m\">"
           << found.Size() << " case" << (found.Size() == 1 ? "" : "s") << "</caption>"
           << "<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">"
              "<th scope=\"col\" class=\"govuk-table__header\">Case</th>"
              "<th scope=\"col\" class=\"govuk-table__header\">Type</th>"
              "<th scope=\"col\" class=\"govuk-table__header\">Opened</th>"
              "<th scope=\"col\" class=\"govuk-table__header\">Status</th>"
              "<th scope=\"col\" class=\"govuk-table__header\">Matched</th></tr></thead>"
              "<tbody class=\"govuk-table__body\">\n";
      for (const auto& c : found.GetArray()) {
        std::string id(json::GetString(c, "case_id"));
        main << "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><a class=\"govuk-link\" "
                "href=\"/cases/" << text::HtmlEscape(id) << "\">" << text::HtmlEscape(id) << "</a></td>"
             << "<td class=\"govuk-table__cell\">" << text::HtmlEscape(json::GetString(c, "case_type"))
             << "</td><td class=\"govuk-table__cell\">"
             << text::HtmlEscape(std::string(json::GetString(c, "opened_at")).substr(0, 10))
             << "</td><td class=\"govuk-table__cell\">" << text::HtmlEscape(json::GetString(c, "status"))
             << "</td><td class=\"govuk-table__cell\">" << text::HtmlEscape(json::GetString(c, "matched"))
             << "</td></tr>\n";
      }
      main << "</tbody></table>\n";
    }
  }
  main << "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/tasks\">Your tasks</a></p>\n";
  return Page(200, "Find a case", session->email, main.str());
}

HttpResponse Console::ReportPage(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return Redirect("/sign-in");
  // Only for managers: for anyone else there is no such page.
  if (!session->manager) {
    return Page(404, "Page not found", session->email,
                "<h1 class=\"govuk-heading-l\">Page not found</h1>\n");
  }
  auto rules = o_.rules();
  auto r = report::Build(*o_.store, *rules, std::nullopt, std::nullopt, o_.now());
  if (!r.ok()) return Page(500, "Report", session->email, ErrorSummary(r.status().message()));
  // The repeat victims and places are named only as the manager's partner's
  // share allows; else counted, each named "withheld".
  const rules::Partner* partner = rules->FindPartner(session->partner);
  auto withhold = [](std::vector<std::pair<std::string, int64_t>>* list) {
    for (auto& [who, n] : *list) who = "withheld";
  };
  if (!partner || !rules::Shares(*partner, {"event", "subjects", "victim"})) withhold(&r->repeat_victims);
  if (!partner || !rules::Shares(*partner, {"event", "location", "uprn"}) ||
      !rules::Shares(*partner, {"event", "location", "postcode"})) {
    withhold(&r->repeat_locations);
  }
  return Page(200, "Report", session->email,
              "<div class=\"govuk-body\">\n" + report::FormatHtmlBody(*r) + "</div>\n");
}

}  // namespace convene::console

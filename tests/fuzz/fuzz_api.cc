// The console's state-changing routes (console/console_api.cc,
// console_panels.cc, console_pages.cc) on arbitrary request bodies, as a
// signed-in user sends them: the JSON API's task actions, case notes and a
// chair's attendance and outcomes, and the pages' forms that post the same.
// The console runs as convene run starts it, over a real store that the
// engine filled from the shipped config and sample events; what it would put
// on convene.events must be an event the engine accepts (else the target
// aborts: the console built a broken event from a body).
//
// Input: the first byte picks the route; the rest is the body (a form's
// body gets the session's CSRF token in front, and "{case}" in an outcome's
// JSON is the case on the meeting's agenda: neither could a fuzzer guess).
// Sign-in is left out: each one costs an Argon2id hash (it reads its body
// through the same JsonObjectBody as the routes here).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "console/console.h"
#include "console/users.h"
#include "engine/task_book.h"
#include "policy/event_time_run.h"
#include "rules/config_loader.h"
#include "rules/event.h"
#include "rules/json.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using convene::connectors::HttpListener;
using convene::connectors::HttpRequest;
using convene::connectors::HttpResponse;

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "fuzz_api setup: %s\n", why.c_str());
  std::abort();
}

struct Harness {
  std::shared_ptr<const convene::rules::RuleSet> rules;
  std::unique_ptr<convene::policy::EventTimeRun> run;
  std::unique_ptr<convene::console::UserBook> users;
  std::unique_ptr<convene::console::Console> console;
  std::vector<HttpListener::Route> routes;
  std::string housing_cookie, police_cookie, housing_csrf, police_csrf;
  std::string task_id, case_id, meeting;  // "marac/2026-03-17"
  std::string agenda_case;                // one on the meeting's agenda

  HttpResponse Serve(const std::string& method, const std::string& path, const std::string& cookie,
                     const std::string& type, std::string body) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.peer = "127.0.0.1:1";
    if (!cookie.empty()) req.headers["cookie"] = cookie;
    if (!type.empty()) req.headers["content-type"] = type;
    req.body = std::move(body);
    const HttpListener::Route* route = nullptr;
    for (const auto& r : routes) {  // as the listener matches them
      bool below = r.path.size() > 1 && r.path.back() == '/' && path.size() > r.path.size() &&
                   path.compare(0, r.path.size(), r.path) == 0;
      if ((r.path == path || below) && r.method == method) route = &r;
    }
    if (!route) Fail("no route for " + method + " " + path);
    HttpResponse r = route->handle(req);
    // FUZZ_API_VERBOSE=1: what each input was answered (for writing seeds).
    static const bool verbose = std::getenv("FUZZ_API_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "%s %s -> %d %.600s\n", method.c_str(), path.c_str(), r.status, r.body.c_str());
    return r;
  }

  std::string SignIn(const std::string& email, const std::string& password) {
    HttpResponse r = Serve("POST", "/api/session", "", "application/json",
                           "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}");
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") return v.substr(0, v.find(';'));
    }
    Fail("no session for " + email + ": " + r.body);
  }

  std::string Csrf(const std::string& cookie) {
    HttpResponse page = Serve("GET", "/tasks", cookie, "", "");
    const std::string marker = "name=\"csrf\" value=\"";
    size_t at = page.body.find(marker);
    if (at == std::string::npos) Fail("no CSRF token on /tasks");
    at += marker.size();
    return page.body.substr(at, page.body.find('"', at) - at);
  }
};

Harness& Setup() {
  static Harness* h = [] {
    auto* h = new Harness();
    const auto dir = convene::fuzz::ScratchDir();
    auto loaded = convene::rules::LoadRuleSet(convene::fuzz::SourceDir() / "config");
    if (!std::holds_alternative<std::shared_ptr<const convene::rules::RuleSet>>(loaded)) {
      Fail("the shipped config does not load");
    }
    h->rules = std::get<std::shared_ptr<const convene::rules::RuleSet>>(loaded);
    auto run = convene::policy::EventTimeRun::Open(h->rules, dir / "state");
    if (!run.ok()) Fail(run.status().message());
    h->run = std::move(*run);
    std::ifstream in(convene::fuzz::SourceDir() / "config/samples/events.jsonl");
    std::vector<std::string> events;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) events.push_back(line);
    }
    if (convene::Status s = h->run->ApplyAll(events); !s.ok()) Fail(s.message());
    h->users = std::make_unique<convene::console::UserBook>(dir / "users");
    std::filesystem::create_directories(dir / "users");
    if (!h->users->Add("coordinator@housing.example", "housing", "housing-pass-12").ok() ||
        !h->users->Add("chair@police.example", "police", "police-pass-123").ok()) {
      Fail("cannot add the users");
    }
    convene::console::Console::Options o;
    o.store = h->run->store();
    o.users = h->users.get();
    o.rules = [h] { return h->rules; };
    const convene::TimeMs now = h->run->now();
    o.now = [now] { return now; };
    o.failure_delay = std::chrono::milliseconds(0);
    o.send = [h](const std::string&, const std::string& event) {
      auto parsed = convene::rules::ParseEvent(
          event, [h](std::string_view id) { return h->rules->FindPartner(id) != nullptr; });
      if (!parsed.ok()) {
        std::fprintf(stderr, "the console sent an event the engine refuses: %s\n%s\n",
                     parsed.status().message().c_str(), event.c_str());
        std::abort();
      }
      return convene::Status::Ok();
    };
    h->console = std::make_unique<convene::console::Console>(std::move(o));
    h->routes = h->console->Routes();
    h->housing_cookie = h->SignIn("coordinator@housing.example", "housing-pass-12");
    h->police_cookie = h->SignIn("chair@police.example", "police-pass-123");
    h->housing_csrf = h->Csrf(h->housing_cookie);
    h->police_csrf = h->Csrf(h->police_cookie);
    std::map<std::string, size_t> tasks_of_meeting;  // "marac/2026-03-17" -> its tasks
    convene::Status s = convene::engine::ReadAllTasks(*h->run->store(), [&](const convene::engine::Task& t) {
      if (t.partner == "housing" && t.status == "open" && t.case_id.find('/') == std::string::npos) {
        h->task_id = t.task_id;
        h->case_id = t.case_id;
      }
      if (t.case_id.find('/') != std::string::npos) ++tasks_of_meeting[t.case_id];
      return true;
    });
    if (!s.ok() || h->task_id.empty()) Fail("no task to act on");
    // The chair's meeting with the fewest tasks that has a case on its agenda
    // (each action reads the whole agenda: a small one runs the most inputs),
    // and that case, for the outcome form's path.
    size_t fewest = SIZE_MAX;
    for (const auto& [meeting, n] : tasks_of_meeting) {
      if (n >= fewest) continue;
      HttpResponse agenda = h->Serve("GET", "/api/panels/" + meeting, h->police_cookie, "", "");
      rapidjson::Document d;
      d.Parse(agenda.body.c_str());
      if (agenda.status != 200 || !d.IsObject() || !d.HasMember("cases") || !d["cases"].IsArray() ||
          d["cases"].Empty()) {
        continue;
      }
      fewest = n;
      h->meeting = meeting;
      h->agenda_case = convene::json::GetString(d["cases"][0], "case_id");
    }
    if (h->meeting.empty()) Fail("no meeting of the chair's has a case on its agenda");
    return h;
  }();
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = Setup();
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const char* kActions[] = {"acknowledge", "complete", "decline", "claim"};
  const std::string action = kActions[(pick >> 3) % 4];
  const std::string json = "application/json";
  const std::string form = "application/x-www-form-urlencoded";
  switch (pick % 8) {
    case 0:
      h.Serve("POST", "/api/tasks/" + h.task_id + "/" + action, h.housing_cookie, json, body);
      break;
    case 1:
      h.Serve("POST", "/api/cases/" + h.case_id + "/note", h.housing_cookie, json, body);
      break;
    case 2:
      h.Serve("POST", "/api/panels/" + h.meeting + "/held", h.police_cookie, json, body);
      break;
    case 3:
      // "{case}" stands for the case on the agenda, which no fuzzer could guess.
      for (size_t at; (at = body.find("{case}")) != std::string::npos;) {
        body.replace(at, 6, h.agenda_case);
      }
      h.Serve("POST", "/api/panels/" + h.meeting + "/outcome", h.police_cookie, json, body);
      break;
    case 4:
      h.Serve("POST", "/tasks/" + h.task_id + "/" + action, h.housing_cookie, form,
              "csrf=" + h.housing_csrf + "&" + body);
      break;
    case 5:
      h.Serve("POST", "/cases/" + h.case_id + "/note", h.housing_cookie, form,
              "csrf=" + h.housing_csrf + "&" + body);
      break;
    case 6:
      h.Serve("POST", "/panels/" + h.meeting + "/held", h.police_cookie, form,
              "csrf=" + h.police_csrf + "&" + body);
      break;
    default:
      h.Serve("POST", "/panels/" + h.meeting + "/outcome/" + h.agenda_case, h.police_cookie, form,
              "csrf=" + h.police_csrf + "&" + body);
      break;
  }
  return 0;
}

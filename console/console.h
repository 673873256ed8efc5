// The console (SPEC 8): pages for coordinators in a browser (console_pages.cc:
// sign-in, the partner's tasks, a case; console_panels.cc: a chair's panels) in the look of the GOV.UK Design
// System, whose files (govuk-frontend, from npm) it serves itself; and the
// JSON API for partner systems (console_api.cc), under one sign-in:
//   POST /api/session {"email","password"}  -> 200 and a session cookie, or 401
//   GET  /api/tasks?status=open|overdue|all -> the signed-in partner's tasks
//   GET  /api/tasks/{task_id}               -> one of them
//   POST /api/tasks/{task_id}/acknowledge|complete|decline|claim {"note"} -> 202 once
//        the task.* event is on the broker (the engine applies it as any other)
//   GET  /api/cases/{case_id}               -> the case as the partner may see it;
//        404 when the partner has no task on it
// What a partner is shown is its tasks and, of a case, only what its `share`
// allows, whatever the URL: a task or case of another partner is "not found".
//
// Security: sessions are 256-bit random tokens in an HttpOnly, SameSite=Strict
// cookie (Secure when `secure_cookies`), expiring after 8 hours idle or 12 in
// all, and ending when the user is removed or changed in the user book; a state
// change through the API must be JSON (a form cannot send it cross-site), and
// one through a page carries the session's CSRF token; a failed sign-in
// is slowed, and an email with 5 failures in 15 minutes is locked for 15
// minutes (429). What is read is the engine's store, read-only, beside it.
//
// Thread-safety: the routes' handlers run on the listener's threads,
// concurrently; the sessions and failures are under a lock.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <set>
#include <string>
#include <vector>

#include "connectors/http_listener.h"
#include "console/users.h"
#include "engine/case_store.h"
#include "rules/json.h"
#include "rules/rule_set.h"

namespace convene::console {

class Console {
 public:
  struct Options {
    const engine::CaseStore* store = nullptr;
    UserBook* users = nullptr;
    std::function<std::shared_ptr<const rules::RuleSet>()> rules;
    // Puts an event on convene.events (key, JSON) and returns once the broker
    // has it.
    std::function<Status(const std::string& key, const std::string& event)> send;
    std::function<TimeMs()> now;  // the wall clock
    std::string topic_prefix = "convene.";
    bool secure_cookies = false;
    std::chrono::milliseconds failure_delay{250};  // per failure so far, at most 8
    // govuk-frontend's dist/govuk folder (its CSS and assets); empty: pages
    // are served without them.
    std::string assets_dir;
  };
  explicit Console(Options options);

  std::vector<connectors::HttpListener::Route> Routes();

 private:
  struct Session {
    std::string email, partner;
    std::string csrf;  // what the pages' forms must carry
    bool manager = false;
    TimeMs last_seen = 0;
    TimeMs started = 0;
  };
  struct Failures {
    int count = 0;
    TimeMs first = 0, locked_until = 0;
  };

  connectors::HttpResponse SignIn(const connectors::HttpRequest& req);
  connectors::HttpResponse Tasks(const connectors::HttpRequest& req);
  connectors::HttpResponse TaskAction(const connectors::HttpRequest& req);
  // GET /api/tasks/{task_id}: one of the partner's tasks (else 404).
  connectors::HttpResponse TaskGet(const connectors::HttpRequest& req);
  connectors::HttpResponse Case(const connectors::HttpRequest& req);
  // GET /api/cases?q=: the partner's cases (those it has a task on) whose id
  // holds q, or with an event naming q as postcode (or its outward code) or
  // person id where the partner's share shows it; at most 50.
  connectors::HttpResponse FindCases(const connectors::HttpRequest& req);
  // POST /api/cases/{case_id}/note {"note"}: a case.note on a case the
  // partner has a task on (else 404).
  connectors::HttpResponse CaseNote(const connectors::HttpRequest& req);
  // Panels the signed-in partner chairs (console_panels.cc):
  //   GET  /api/panels                              -> each with its meetings
  //   GET  /api/panels/{panel}/{date}               -> the meeting's agenda
  //   POST /api/panels/{panel}/{date}/held {"attendees"}       -> panel.held
  //   POST /api/panels/{panel}/{date}/outcome {"case_id", "actions": [{"to",
  //        "title", "due"}], "deferred", "note"}    -> panel.outcome
  connectors::HttpResponse Panels(const connectors::HttpRequest& req);
  connectors::HttpResponse Meeting(const connectors::HttpRequest& req);
  connectors::HttpResponse MeetingAction(const connectors::HttpRequest& req);
  // Puts an event of `type` from the session's partner on convene.events,
  // its data written by `data` and the user's email as data.by; its id.
  Result<std::string> SendEvent(const std::string& type, const Session& session,
                                const std::function<void(json::Writer&)>& data);
  // The request's session; none (and `refused` the answer) when it has none.
  std::optional<Session> SessionOf(const connectors::HttpRequest& req,
                                   connectors::HttpResponse* refused);
  // Checks a sign-in and starts a session; `error` says why not (status in
  // the response). Shared by the API and the sign-in page.
  std::optional<std::string> StartSession(const std::string& email, const std::string& password,
                                          connectors::HttpResponse* error);
  // Lets go of sessions gone idle and failures long past, so that neither
  // grows without end (mu_ held).
  void Forget(TimeMs now);
  // The API's answer to a request made on behalf of a page.
  connectors::HttpResponse AsApi(const connectors::HttpRequest& page, const std::string& method,
                                 const std::string& path,
                                 std::map<std::string, std::string> query = {},
                                 std::string body = {});

  // The wards of the partner's tasks, as its share shows them (the inbox's
  // ward filter).
  Result<std::set<std::string>> WardsOf(const std::string& partner);

  // Pages (console_pages.cc).
  void AddPageRoutes(std::vector<connectors::HttpListener::Route>* routes);
  connectors::HttpResponse SignInPage(const connectors::HttpRequest& req);
  connectors::HttpResponse SignInForm(const connectors::HttpRequest& req);
  connectors::HttpResponse SignOut(const connectors::HttpRequest& req);
  connectors::HttpResponse TasksPage(const connectors::HttpRequest& req);
  connectors::HttpResponse TaskForm(const connectors::HttpRequest& req);
  connectors::HttpResponse TaskPage(const connectors::HttpRequest& req);
  connectors::HttpResponse CasePage(const connectors::HttpRequest& req);
  connectors::HttpResponse FindCasesPage(const connectors::HttpRequest& req);
  connectors::HttpResponse CaseNoteForm(const connectors::HttpRequest& req);
  connectors::HttpResponse ReportPage(const connectors::HttpRequest& req);
  connectors::HttpResponse PanelsPage(const connectors::HttpRequest& req);
  connectors::HttpResponse MeetingPage(const connectors::HttpRequest& req);
  connectors::HttpResponse MeetingForm(const connectors::HttpRequest& req);
  connectors::HttpResponse Asset(const connectors::HttpRequest& req);
  std::map<std::string, std::pair<std::string, std::string>> assets_;  // path -> type, bytes

  Options o_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;   // token -> session
  std::map<std::string, Failures> failures_;  // email -> failed sign-ins
  // Sign-ins verified at once (each Argon2id hash holds 64 MiB); more wait a
  // few seconds, then are told to try again (503).
  static constexpr int kConcurrentSignIns = 4;
  std::counting_semaphore<> verifying_{kConcurrentSignIns};
};

}  // namespace convene::console

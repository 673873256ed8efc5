#include "console/console.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <thread>

#include "console/console_internal.h"
#include "engine/case_record.h"
#include "engine/task_book.h"
#include "report/report.h"
#include "rules/event.h"
#include "rules/json.h"
#include "rules/share.h"

namespace convene::console {
namespace {

using connectors::HttpRequest;
using connectors::HttpResponse;

constexpr TimeMs kSessionIdle = 8 * kMsPerHour;
constexpr TimeMs kSessionMax = 12 * kMsPerHour;  // however busy: then sign in again

constexpr int kMaxFailures = 5;
constexpr TimeMs kFailureWindow = 15 * 60 * 1000;
constexpr TimeMs kLockFor = 15 * 60 * 1000;
constexpr const char* kCookie = "convene_session";


std::string Token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

// The value of cookie `name` in a Cookie header.
std::string CookieValue(const std::string& header, const std::string& name) {
  for (size_t pos = 0; pos < header.size();) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    part.erase(0, part.find_first_not_of(' '));
    if (part.compare(0, name.size() + 1, name + "=") == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return {};
}


// A task as the API gives it: the SPEC 5 message with its status.
std::string TaskJson(const engine::Task& t, TimeMs as_of) {
  rapidjson::Document d;
  std::string message = t.ToMessage();
  d.Parse(message.c_str(), message.size());
  auto& a = d.GetAllocator();
  d.AddMember("status", rapidjson::Value(t.status.c_str(), a), a);
  d.AddMember("overdue", report::Overdue(t, as_of), a);
  if (!t.claimed_by.empty()) d.AddMember("claimed_by", rapidjson::Value(t.claimed_by.c_str(), a), a);
  return json::Serialize(d);
}

}  // namespace

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
HttpResponse Error(int status, const std::string& message) {
  return Json(status, connectors::JsonError(message));
}
HttpResponse NotFound() { return Error(404, "not found"); }
bool IsJson(const HttpRequest& req) {
  std::string type = req.Header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return type == "application/json";
}

std::optional<HttpResponse> JsonObjectBody(const HttpRequest& req, rapidjson::Document* body,
                                           bool may_be_empty) {
  if (req.body.empty() && may_be_empty) {
    body->SetObject();
    return std::nullopt;
  }
  // Text that is not UTF-8 would reach the engine only to be refused there,
  // after the 202 told the user it was sent.
  if (Status s = json::Parse<rapidjson::kParseValidateEncodingFlag>(body, req.body); !s.ok()) {
    return Error(400, "the body is not JSON: " + s.message());
  }
  if (!body->IsObject()) return Error(400, "the body must be a JSON object");
  return std::nullopt;
}

std::string SharedWard(const engine::Task& t) {
  rapidjson::Document d;
  d.Parse(t.context_json.c_str(), t.context_json.size());
  if (!d.IsObject() || !d.HasMember("event") || !d["event"].IsObject()) return {};
  const auto& e = d["event"];
  if (!e.HasMember("location") || !e["location"].IsObject()) return {};
  return std::string(json::GetString(e["location"], "ward"));
}

std::string SessionCookie(const std::string& token, bool secure) {
  return std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict" +
         (secure ? "; Secure" : "");
}

std::string CookieOf(const std::string& header, const std::string& name) { return CookieValue(header, name); }

std::string RandomToken() { return Token(); }

std::vector<connectors::HttpListener::Route> Console::Routes() {
  using Route = connectors::HttpListener::Route;
  std::vector<Route> routes;
  routes.push_back({"POST", "/api/session", nullptr, [this](const HttpRequest& r) { return SignIn(r); }});
  routes.push_back({"GET", "/api/tasks", nullptr, [this](const HttpRequest& r) { return Tasks(r); }});
  routes.push_back({"POST", "/api/tasks/", nullptr, [this](const HttpRequest& r) { return TaskAction(r); }});
  routes.push_back({"GET", "/api/tasks/", nullptr, [this](const HttpRequest& r) { return TaskGet(r); }});
  routes.push_back({"GET", "/api/cases/", nullptr, [this](const HttpRequest& r) { return Case(r); }});
  routes.push_back({"GET", "/api/cases", nullptr, [this](const HttpRequest& r) { return FindCases(r); }});
  routes.push_back({"POST", "/api/cases/", nullptr, [this](const HttpRequest& r) { return CaseNote(r); }});
  routes.push_back({"GET", "/api/panels", nullptr, [this](const HttpRequest& r) { return Panels(r); }});
  routes.push_back({"GET", "/api/panels/", nullptr, [this](const HttpRequest& r) { return Meeting(r); }});
  routes.push_back({"POST", "/api/panels/", nullptr,
                    [this](const HttpRequest& r) { return MeetingAction(r); }});
  AddPageRoutes(&routes);
  // A state change sent from another site's page carries that site as its
  // Origin: refused, whatever cookie it brings (SameSite=Strict and the
  // CSRF tokens already stop it; this is the check the browser makes plain).
  for (auto& route : routes) {
    if (route.method != "POST") continue;
    route.handle = [handle = std::move(route.handle)](const HttpRequest& r) {
      if (!SameOrigin(r)) return Error(403, "this request came from another site's page");
      return handle(r);
    };
  }
  return routes;
}

bool SameOrigin(const HttpRequest& req) {
  std::string origin = req.Header("origin");
  if (origin.empty()) return true;  // not sent by a browser's page (curl, a partner system)
  size_t scheme = origin.find("://");
  if (scheme == std::string::npos) return false;  // "null" (a sandboxed or file page) included
  std::string host = req.Header("host");
  return !host.empty() && origin.substr(scheme + 3) == host;
}

HttpResponse Console::SignIn(const HttpRequest& req) {
  if (!IsJson(req)) return Error(415, "send {\"email\",\"password\"} as application/json");
  rapidjson::Document d;
  if (auto refused = JsonObjectBody(req, &d)) return *refused;
  if (!d.HasMember("email") || !d["email"].IsString() ||
      !d.HasMember("password") || !d["password"].IsString()) {
    return Error(400, "send {\"email\",\"password\"}");
  }
  HttpResponse error;
  auto token = StartSession(d["email"].GetString(), d["password"].GetString(), &error);
  if (!token) return error;
  std::lock_guard<std::mutex> lock(mu_);
  const Session& s = sessions_[*token];
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "email", s.email);
  json::Field(w, "partner", s.partner);
  w.EndObject();
  HttpResponse r = Json(200, std::string(buf.GetString(), buf.GetSize()));
  r.headers.emplace_back("Set-Cookie", SessionCookie(*token, o_.secure_cookies));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::optional<std::string> Console::StartSession(const std::string& email_in,
                                                 const std::string& password,
                                                 HttpResponse* error) {
  std::string email = NormalEmail(email_in);
  TimeMs now = o_.now();
  int failed_before = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Failures& f = failures_[email];
    if (f.locked_until > now) {
      *error = Error(429, "too many failed sign-ins: this account is locked for a while");
      error->headers.emplace_back("Retry-After", std::to_string((f.locked_until - now) / 1000 + 1));
      return std::nullopt;
    }
    if (now - f.first > kFailureWindow) f = Failures{};
    failed_before = f.count;
    // Counted as a failure before it is checked, so that sign-ins sent side
    // by side cannot all pass the lock; a right password takes it back.
    if (f.count == 0) f.first = now;
    if (++f.count >= kMaxFailures) f.locked_until = now + kLockFor;
    if (failures_.size() > 10000) Forget(now);  // many emails tried: let go of the old ones
  }
  // Slowed: each failure so far costs a moment before the answer.
  std::this_thread::sleep_for(o_.failure_delay * std::min(failed_before, 8));
  if (!verifying_.try_acquire_for(std::chrono::seconds(5))) {
    *error = Error(503, "too many sign-ins at once: try again in a moment");
    error->headers.emplace_back("Retry-After", "2");
    return std::nullopt;
  }
  auto user = o_.users->Verify(email, password);
  verifying_.release();
  if (!user.ok()) {
    *error = Error(500, "users: " + user.status().message());
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!user->has_value()) {
    *error = Error(401, "the email or the password is wrong");
    return std::nullopt;
  }
  failures_.erase(email);
  Forget(now);
  std::string token = Token();
  sessions_[token] = Session{(*user)->email, (*user)->partner, Token(), (*user)->manager, now, now};
  return token;
}

void Console::Forget(TimeMs now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now - it->second.last_seen > kSessionIdle ? sessions_.erase(it) : std::next(it);
  }
  for (auto it = failures_.begin(); it != failures_.end();) {
    bool past = now - it->second.first > kFailureWindow && it->second.locked_until <= now;
    it = past ? failures_.erase(it) : std::next(it);
  }
}

HttpResponse Console::AsApi(const HttpRequest& page, const std::string& method,
                            const std::string& path, std::map<std::string, std::string> query,
                            std::string body) {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.peer = page.peer;
  r.headers["cookie"] = page.Header("cookie");
  r.headers["content-type"] = "application/json";
  r.query = std::move(query);
  r.body = std::move(body);
  if (path == "/api/tasks") return Tasks(r);
  if (path == "/api/panels") return Panels(r);
  if (path == "/api/cases") return FindCases(r);
  if (method == "POST" && path.rfind("/api/cases/", 0) == 0) return CaseNote(r);
  if (path.rfind("/api/panels/", 0) == 0) return method == "GET" ? Meeting(r) : MeetingAction(r);
  if (path.rfind("/api/tasks/", 0) == 0) return method == "GET" ? TaskGet(r) : TaskAction(r);
  return Case(r);
}

std::optional<Console::Session> Console::SessionOf(const HttpRequest& req, HttpResponse* refused) {
  std::string token = CookieValue(req.Header("cookie"), kCookie);
  TimeMs now = o_.now();
  std::optional<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = token.empty() ? sessions_.end() : sessions_.find(token);
    if (it != sessions_.end() && now - it->second.last_seen <= kSessionIdle &&
        now - it->second.started <= kSessionMax) {
      it->second.last_seen = now;
      session = it->second;
    } else if (it != sessions_.end()) {
      sessions_.erase(it);
    }
  }
  // The user as the user book holds it now: one removed, moved to another
  // partner or no longer a manager since signing in has no session.
  if (session) {
    auto users = o_.users->List();
    bool same = false;
    if (users.ok()) {
      for (const auto& u : *users) {
        same = same || (u.email == session->email && u.partner == session->partner &&
                        u.manager == session->manager);
      }
    }
    if (!same) {
      std::lock_guard<std::mutex> lock(mu_);
      sessions_.erase(token);
      session.reset();
    }
  }
  if (!session) *refused = Error(401, "sign in first: POST /api/session");
  return session;
}

HttpResponse Console::Tasks(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  std::string status = req.query.count("status") ? req.query.at("status") : "open";
  if (status != "open" && status != "due_soon" && status != "overdue" && status != "all") {
    return Error(400, "status is open, due_soon, overdue or all");
  }
  // Filters: case type, priority, ward (as the partner's share shows it:
  // a ward withheld from it cannot be filtered by), due before a date, who
  // claimed it (me, none); sorted by due date (soonest first, none last) or
  // by priority (most urgent first).
  auto arg = [&](const char* name) {
    return req.query.count(name) ? req.query.at(name) : std::string();
  };
  std::string case_type = arg("case_type"), priority = arg("priority"), sort = arg("sort");
  std::string ward = arg("ward"), claimed = arg("claimed");
  if (!claimed.empty() && claimed != "me" && claimed != "none") return Error(400, "claimed is me or none");
  std::optional<TimeMs> due_before;
  if (!arg("due_before").empty()) {
    due_before = ParseDate(arg("due_before"));
    if (!due_before) return Error(400, "due_before is a date, YYYY-MM-DD");
  }
  if (!sort.empty() && sort != "due" && sort != "priority") return Error(400, "sort is due or priority");
  auto as_of = report::AsOf(*o_.store, o_.now());
  if (!as_of.ok()) return Error(500, as_of.status().message());
  std::vector<engine::Task> found;
  Status s = engine::ReadAllTasks(*o_.store, [&](const engine::Task& t) {
    bool wanted = t.partner == session->partner && report::Listed(t, status, *as_of) &&
                  (case_type.empty() || t.case_type == case_type) &&
                  (priority.empty() || t.priority == priority) &&
                  (!due_before || (t.due_at && *t.due_at < *due_before)) &&
                  (ward.empty() || SharedWard(t) == ward) &&
                  (claimed.empty() || t.claimed_by == (claimed == "me" ? session->email : ""));
    if (wanted) found.push_back(t);
    return true;
  });
  if (!s.ok()) return Error(500, s.message());
  auto urgency = [](const std::string& p) {
    return p == "urgent" ? 0 : p == "high" ? 1 : p == "normal" ? 2 : 3;
  };
  std::stable_sort(found.begin(), found.end(), [&](const engine::Task& a, const engine::Task& b) {
    if (sort == "priority" && urgency(a.priority) != urgency(b.priority)) {
      return urgency(a.priority) < urgency(b.priority);
    }
    return a.due_at.value_or(INT64_MAX) < b.due_at.value_or(INT64_MAX);
  });
  std::string out = "[";
  for (const auto& t : found) {
    if (out.size() > 1) out += ",";
    out += TaskJson(t, *as_of);
  }
  return Json(200, out + "]");
}

Result<std::set<std::string>> Console::WardsOf(const std::string& partner) {
  std::set<std::string> wards;
  Status s = engine::ReadAllTasks(*o_.store, [&](const engine::Task& t) {
    if (t.partner == partner) {
      if (std::string ward = SharedWard(t); !ward.empty()) wards.insert(std::move(ward));
    }
    return true;
  });
  if (!s.ok()) return s;
  return wards;
}

HttpResponse Console::TaskGet(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  std::string task_id = req.path.substr(std::string("/api/tasks/").size());
  if (task_id.empty() || task_id.find('/') != std::string::npos) return NotFound();
  auto task = engine::ReadTask(*o_.store, task_id);
  if (!task.ok()) return Error(500, task.status().message());
  if (!task->has_value() || (*task)->partner != session->partner) return NotFound();
  auto as_of = report::AsOf(*o_.store, o_.now());
  if (!as_of.ok()) return Error(500, as_of.status().message());
  return Json(200, TaskJson(**task, *as_of));
}

HttpResponse Console::TaskAction(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  if (!IsJson(req)) return Error(415, "send {\"note\"} as application/json");
  // /api/tasks/{task_id}/{action}
  std::string rest = req.path.substr(std::string("/api/tasks/").size());
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return NotFound();
  std::string task_id = rest.substr(0, slash), action = rest.substr(slash + 1);
  static const std::map<std::string, std::string> kEvents = {
      {"acknowledge", "task.acknowledged"}, {"complete", "task.completed"},
      {"decline", "task.declined"},         {"claim", "task.claimed"}};
  auto type = kEvents.find(action);
  if (type == kEvents.end()) return NotFound();
  auto task = engine::ReadTask(*o_.store, task_id);
  if (!task.ok()) return Error(500, task.status().message());
  if (!task->has_value() || (*task)->partner != session->partner) return NotFound();
  const std::string& now = (*task)->status;
  if (!engine::IsOpenStatus(now) || (action == "acknowledge" && now != "open")) {
    return Error(409, "task " + task_id + " is " + now + ": it cannot be " +
                          (action == "claim" ? std::string("claimed") : type->second.substr(5)) + " now");
  }
  rapidjson::Document body;
  if (auto refused = JsonObjectBody(req, &body, /*may_be_empty=*/true)) return *refused;
  std::string note(json::GetString(body, "note"));
  auto id = SendEvent(type->second, *session, [&](json::Writer& w) {
    json::Field(w, "task_id", task_id);
    if (!note.empty()) json::Field(w, "note", note);
  });
  if (!id.ok()) return Error(503, "the event could not be sent: " + id.status().message());
  return Json(202, "{\"event_id\":\"" + *id + "\",\"type\":\"" + type->second + "\"}");
}

namespace {

// A postcode as compared: upper case, no spaces.
std::string PostcodeKey(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (!std::isspace(c)) out += static_cast<char>(std::toupper(c));
  }
  return out;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What of `event` matches the search `q` as `partner` may see it: "postcode
// SG1 1AA", "person:P-1 (victim)"; empty: nothing.
std::string Match(const rules::Partner& partner, const rules::Event& event, const std::string& q) {
  const auto& doc = event.json();
  if (auto loc = doc.FindMember("location"); loc != doc.MemberEnd() && loc->value.IsObject()) {
    std::string postcode(json::GetString(loc->value, "postcode"));
    std::string key = PostcodeKey(postcode), wanted = PostcodeKey(q);
    std::string outward = postcode.substr(0, postcode.find(' '));
    if (!postcode.empty() && rules::Shares(partner, {"event", "location", "postcode"}) &&
        (key == wanted || (postcode.find(' ') != std::string::npos && PostcodeKey(outward) == wanted))) {
      return "postcode " + postcode;
    }
  }
  for (const auto& s : event.subjects()) {
    if ((s.id == q || s.id == "person:" + q) && rules::Shares(partner, {"event", "subjects", s.role})) {
      return s.id + " (" + s.role + ")";
    }
  }
  return {};
}

}  // namespace

HttpResponse Console::FindCases(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  std::string q = req.query.count("q") ? req.query.at("q") : "";
  q.erase(0, q.find_first_not_of(' '));
  q.erase(q.find_last_not_of(' ') + 1);
  if (q.size() < 2) return Error(400, "q: a case id, postcode or person id of at least 2 characters");
  auto rules = o_.rules();
  const rules::Partner* partner = rules->FindPartner(session->partner);
  if (!partner) return NotFound();
  // The cases the partner has a task on: the only ones it may find.
  std::set<std::string> cases;
  Status s = engine::ReadAllTasks(*o_.store, [&](const engine::Task& t) {
    if (t.partner == session->partner && t.case_id.find('/') == std::string::npos) {
      cases.insert(t.case_id);
    }
    return true;
  });
  if (!s.ok()) return Error(500, s.message());
  constexpr size_t kMaxFound = 50;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartArray();
  size_t found = 0;
  std::string lower_q = Lower(q);
  for (const auto& id : cases) {
    if (found == kMaxFound) break;
    auto c = engine::ReadCase(*o_.store, id, /*with_history=*/false);
    if (!c.ok()) return Error(500, c.status().message());
    if (!c->has_value()) continue;
    std::string matched = Lower(id).find(lower_q) != std::string::npos ? "case id" : "";
    for (const auto& e : (*c)->timeline) {
      if (!matched.empty()) break;
      auto stored = o_.store->Get(engine::Family::kEvents, e.event_id);
      if (!stored.ok()) return Error(500, stored.status().message());
      if (!stored->has_value()) continue;
      auto event = rules::ParseEvent(**stored, [](std::string_view) { return true; });
      if (!event.ok()) return Error(500, "event " + e.event_id + ": " + event.status().message());
      matched = Match(*partner, **event, q);
    }
    if (matched.empty()) continue;
    ++found;
    const rules::CaseView& v = (*c)->view;
    w.StartObject();
    json::Field(w, "case_id", v.id);
    json::Field(w, "case_type", v.type);
    // Beyond its id and type, a case's summary only as the share allows.
    if (rules::Shares(*partner, {"case", "status"})) json::Field(w, "status", v.status);
    if (rules::Shares(*partner, {"case", "opened_at"})) {
      json::Field(w, "opened_at", FormatRfc3339(v.opened_at));
    }
    json::Field(w, "matched", matched);
    w.EndObject();
  }
  w.EndArray();
  return Json(200, std::string(buf.GetString(), buf.GetSize()));
}

HttpResponse Console::CaseNote(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  // /api/cases/{case_id}/note
  std::string rest = req.path.substr(std::string("/api/cases/").size());
  size_t slash = rest.find('/');
  if (slash == std::string::npos || rest.substr(slash + 1) != "note") return NotFound();
  std::string case_id = rest.substr(0, slash);
  if (!IsJson(req)) return Error(415, "send {\"note\"} as application/json");
  rapidjson::Document body;
  if (auto refused = JsonObjectBody(req, &body)) return *refused;
  std::string note(json::GetString(body, "note"));
  if (note.empty()) return Error(400, "send {\"note\"}: the note to add");
  // Only on a case the partner has a task on, as for reading it.
  bool ours = false;
  Status s = engine::ReadTasksOf(*o_.store, case_id, [&](const engine::Task& t) {
    ours = ours || t.partner == session->partner;
    return !ours;
  });
  if (!s.ok()) return Error(500, s.message());
  if (!ours) return NotFound();
  auto id = SendEvent("case.note", *session, [&](json::Writer& w) {
    json::Field(w, "case_id", case_id);
    json::Field(w, "note", note);
  });
  if (!id.ok()) return Error(503, "the event could not be sent: " + id.status().message());
  return Json(202, "{\"event_id\":\"" + *id + "\",\"type\":\"case.note\"}");
}

Result<std::string> Console::SendEvent(const std::string& type, const Session& session,
                                       const std::function<void(json::Writer&)>& data) {
  std::string id = "console:" + Token().substr(0, 24);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "id", id);
  json::Field(w, "type", type);
  json::Field(w, "occurred_at", FormatRfc3339(o_.now()));
  json::Field(w, "source", session.partner);
  json::Key(w, "data");
  w.StartObject();
  data(w);
  json::Field(w, "by", session.email);
  w.EndObject();
  w.EndObject();
  if (Status s = o_.send(id, std::string(buf.GetString(), buf.GetSize())); !s.ok()) return s;
  return id;
}

HttpResponse Console::Case(const HttpRequest& req) {
  HttpResponse refused;
  auto session = SessionOf(req, &refused);
  if (!session) return refused;
  std::string case_id = req.path.substr(std::string("/api/cases/").size());
  auto rules = o_.rules();
  const rules::Partner* partner = rules->FindPartner(session->partner);
  if (!partner) return NotFound();
  // The partner's own tasks on the case: none, and the case is not found.
  auto as_of = report::AsOf(*o_.store, o_.now());
  if (!as_of.ok()) return Error(500, as_of.status().message());
  std::string tasks = "[";
  Status s = engine::ReadTasksOf(*o_.store, case_id, [&](const engine::Task& t) {
    if (t.partner != session->partner) return true;
    if (tasks.size() > 1) tasks += ",";
    tasks += TaskJson(t, *as_of);
    return true;
  });
  if (!s.ok()) return Error(500, s.message());
  if (tasks == "[") return NotFound();
  auto c = engine::ReadCase(*o_.store, case_id, /*with_history=*/false);
  if (!c.ok()) return Error(500, c.status().message());
  if (!c->has_value()) return NotFound();
  const engine::CaseRecord& record = **c;
  // Each event of the timeline as the partner's share allows; what it holds
  // beyond that is named as withheld, never shown.
  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  rapidjson::Value timeline(rapidjson::kArrayType);
  std::string case_json;
  std::vector<std::string> shown;
  std::set<std::string> withheld_paths;
  for (const auto& e : record.timeline) {
    rapidjson::Value item(rapidjson::kObjectType);
    item.AddMember("event_id", rapidjson::Value(e.event_id.c_str(), a), a);
    item.AddMember("type", rapidjson::Value(e.type.c_str(), a), a);
    std::string at = FormatRfc3339(e.occurred_at);
    item.AddMember("occurred_at", rapidjson::Value(at.c_str(), a), a);
    auto stored = o_.store->Get(engine::Family::kEvents, e.event_id);
    if (!stored.ok()) return Error(500, stored.status().message());
    if (stored->has_value()) {
      auto event = rules::ParseEvent(**stored, [](std::string_view) { return true; });
      if (!event.ok()) return Error(500, "event " + e.event_id + ": " + event.status().message());
      rules::SharedContext shared = rules::BuildContext(*partner, **event, record.view);
      rapidjson::Document ctx;
      ctx.Parse(shared.json.c_str(), shared.json.size());
      if (ctx.IsObject() && ctx.HasMember("event")) {
        item.AddMember("event", rapidjson::Value(ctx["event"], a), a);
      }
      if (ctx.IsObject() && ctx.HasMember("case") && case_json.empty()) {
        case_json = json::Serialize(ctx["case"]);
      }
      rapidjson::Value withheld(rapidjson::kArrayType);
      for (const auto& p : shared.withheld) {
        withheld.PushBack(rapidjson::Value(p.c_str(), a), a);
        withheld_paths.insert(p);
      }
      item.AddMember("withheld", std::move(withheld), a);
    }
    timeline.PushBack(std::move(item), a);
    shown.push_back(e.event_id);
  }
  rapidjson::Document shown_case;
  if (!case_json.empty()) shown_case.Parse(case_json.c_str(), case_json.size());
  if (shown_case.IsObject()) {
    out.AddMember("case", rapidjson::Value(shown_case, a), a);
  } else {
    rapidjson::Value minimal(rapidjson::kObjectType);
    minimal.AddMember("id", rapidjson::Value(record.view.id.c_str(), a), a);
    minimal.AddMember("type", rapidjson::Value(record.view.type.c_str(), a), a);
    out.AddMember("case", std::move(minimal), a);
  }
  out.AddMember("timeline", std::move(timeline), a);
  rapidjson::Document task_list;
  tasks += "]";
  task_list.Parse(tasks.c_str(), tasks.size());
  out.AddMember("tasks", rapidjson::Value(task_list, a), a);
  // Recorded before it is shown: who saw the case, and what of it (SPEC 6).
  auto viewed = SendEvent("case.viewed", *session, [&](json::Writer& w) {
    json::Field(w, "case_id", case_id);
    for (const auto& [name, list] :
         {std::pair{"shown", shown},
          std::pair{"withheld", std::vector<std::string>(withheld_paths.begin(), withheld_paths.end())}}) {
      json::Key(w, name);
      w.StartArray();
      for (const auto& v : list) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
      w.EndArray();
    }
  });
  if (!viewed.ok()) {
    return Error(503, "the case cannot be shown: its viewing could not be recorded (" +
                          viewed.status().message() + ")");
  }
  return Json(200, json::Serialize(out));
}

}  // namespace convene::console

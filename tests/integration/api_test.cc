// The console's JSON API (SPEC 8) as a partner system uses it: curl against
// `convene run --http`, kcat on convene.events, and the state read back.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "rules/config_loader.h"
#include "rules/json.h"
#include "rules/share.h"
#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

struct Reply {
  int status = 0;
  std::string headers, body;
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = rules::LoadRuleSet(CONVENE_CONFIG_DIR);
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const rules::RuleSet>>(loaded));
    rules_ = std::get<std::shared_ptr<const rules::RuleSet>>(loaded);
    data_ = dir_.Sub("data");
    AddUser("Coordinator@Housing.example", "housing", "housing-pass-12");
    AddUser("chair@police.example", "police", "police-pass-123");
    AddUser("other@housing.example", "housing", "another-pass-12");
    port_ = FreePort();
    engine_ = std::make_unique<EmbeddedEngineProcess>(
        dir_, "engine", data_,
        std::vector<std::string>{"--http", "127.0.0.1:" + std::to_string(port_), "--max-future",
                                 "31d"});
    ASSERT_TRUE(engine_->ok());
    const std::string samples = std::string(CONVENE_CONFIG_DIR) + "/samples/events.jsonl";
    lines_ = Lines(ReadFile(samples));
    std::string out;
    ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "send", "--kafka", engine_->bootstrap(), samples},
                              &out, std::chrono::seconds(120)),
              0)
        << out;
  }
  void TearDown() override {
    if (engine_) {
      EXPECT_EQ(engine_->Stop(), 0);
    }
  }

  void AddUser(const std::string& email, const std::string& partner, const std::string& password) {
    std::string file = dir_.Sub("password-" + partner + std::to_string(n_++));
    std::ofstream(file) << password << "\n";
    std::string out;
    ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "user", "add", "--data", data_, "--partner", partner,
                               "--email", email, "--config", CONVENE_CONFIG_DIR},
                              &out, std::chrono::seconds(30), file),
              0)
        << out;
    EXPECT_EQ(out.find(password), std::string::npos) << "a given password is never printed";
  }

  // A request with curl, keeping cookies in `jar`.
  Reply Http(const std::string& method, const std::string& path, const std::string& jar,
             const std::string& body = "", const std::string& type = "application/json") {
    std::string head = dir_.Sub("head-" + std::to_string(n_)), got = dir_.Sub("body-" + std::to_string(n_));
    ++n_;
    std::vector<std::string> argv = {"curl", "-s", "-X", method, "-D", head, "-o", got,
                                     "-w", "%{http_code}", "-c", jar, "-b", jar,
                                     "http://127.0.0.1:" + std::to_string(port_) + path};
    if (!body.empty() || method == "POST") {
      argv.insert(argv.end(), {"-H", "Content-Type: " + type, "--data-binary", body});
    }
    std::string code;
    Reply r;
    if (RunToCompletion(argv, &code, std::chrono::seconds(30)) != 0) return r;
    r.status = std::stoi(code);
    r.headers = ReadFile(head);
    r.body = ReadFile(got);
    return r;
  }
  Reply SignIn(const std::string& jar, const std::string& email, const std::string& password) {
    return Http("POST", "/api/session", jar,
                R"({"email":")" + email + R"(","password":")" + password + R"("})");
  }

  TempDir dir_;
  std::string data_;
  int port_ = 0, n_ = 0;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::unique_ptr<EmbeddedEngineProcess> engine_;
  std::vector<std::string> lines_;
};

void Leaves(const rapidjson::Value& v, const std::string& prefix, std::set<std::string>* out) {
  if (v.IsObject() && v.MemberCount() > 0) {
    for (const auto& m : v.GetObject()) {
      Leaves(m.value, prefix.empty() ? m.name.GetString() : prefix + "." + m.name.GetString(), out);
    }
  } else {
    out->insert(prefix);
  }
}

// "event.data.age" -> {"event", "data", "age"}, as rules::Shares takes a path.
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t s = 0, e; s <= path.size(); s = e + 1) {
    e = path.find('.', s);
    if (e == std::string::npos) e = path.size();
    parts.push_back(path.substr(s, e - s));
  }
  return parts;
}

TEST_F(ApiTest, APartnerSeesItsOwnTasksAndCasesAsItsShareAllowsAndActsThroughEvents) {
  std::string jar = dir_.Sub("housing.jar"), police_jar = dir_.Sub("police.jar");
  // Signed out: nothing.
  EXPECT_EQ(Http("GET", "/api/tasks", jar).status, 401);
  EXPECT_EQ(SignIn(jar, "coordinator@housing.example", "wrong-password").status, 401);
  Reply in = SignIn(jar, "COORDINATOR@housing.example", "housing-pass-12");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_NE(in.headers.find("HttpOnly"), std::string::npos) << in.headers;
  EXPECT_NE(in.headers.find("SameSite=Strict"), std::string::npos) << in.headers;
  EXPECT_NE(in.body.find("\"partner\":\"housing\""), std::string::npos);
  ASSERT_EQ(SignIn(police_jar, "chair@police.example", "police-pass-123").status, 200);

  // The tasks, once the engine has applied the samples: housing's only, and
  // in each nothing outside housing's share.
  const rules::Partner* housing = rules_->FindPartner("housing");
  ASSERT_NE(housing, nullptr);
  rapidjson::Document tasks;
  ASSERT_TRUE(WaitFor(
      [&] {
        Reply r = Http("GET", "/api/tasks?status=open", jar);
        tasks.Parse(r.body.c_str());
        return r.status == 200 && tasks.IsArray() && tasks.Size() > 10;
      },
      std::chrono::seconds(60)));
  std::string task_id, case_id;
  for (const auto& t : tasks.GetArray()) {
    EXPECT_EQ(std::string(t["partner"].GetString()), "housing");
    EXPECT_EQ(std::string(t["status"].GetString()), "open");
    std::set<std::string> leaves;
    Leaves(t["context"], "", &leaves);
    for (const auto& path : leaves) {
      EXPECT_TRUE(path.empty() || rules::Shares(*housing, SplitPath(path))) << path << " in " << t["task_id"].GetString();
    }
    if (task_id.empty() && std::string(t["case_id"].GetString()).find('/') == std::string::npos) {
      task_id = t["task_id"].GetString();
      case_id = t["case_id"].GetString();
    }
  }
  ASSERT_FALSE(task_id.empty());
  Reply overdue = Http("GET", "/api/tasks?status=overdue", jar);
  EXPECT_EQ(overdue.status, 200);
  // Filters and sorting: each answer holds only what was asked for, in order.
  rapidjson::Document all, high, asb, by_priority;
  all.Parse(Http("GET", "/api/tasks?status=all", jar).body.c_str());
  high.Parse(Http("GET", "/api/tasks?status=all&priority=high", jar).body.c_str());
  asb.Parse(Http("GET", "/api/tasks?status=all&case_type=asb&due_before=2027-01-01", jar).body.c_str());
  by_priority.Parse(Http("GET", "/api/tasks?status=all&sort=priority", jar).body.c_str());
  ASSERT_TRUE(all.IsArray() && high.IsArray() && asb.IsArray() && by_priority.IsArray());
  EXPECT_GT(high.Size(), 0u);
  EXPECT_LT(high.Size(), all.Size());
  for (const auto& t : high.GetArray()) EXPECT_EQ(std::string(t["priority"].GetString()), "high");
  EXPECT_GT(asb.Size(), 0u);
  for (const auto& t : asb.GetArray()) {
    EXPECT_EQ(std::string(t["case_type"].GetString()), "asb");
    EXPECT_TRUE(t["due_at"].IsString() && std::string(t["due_at"].GetString()) < "2027-01-01");
  }
  auto rank = [](const std::string& p) { return p == "urgent" ? 0 : p == "high" ? 1 : p == "normal" ? 2 : 3; };
  EXPECT_EQ(by_priority.Size(), all.Size());
  for (size_t i = 1; i < by_priority.Size(); ++i) {
    EXPECT_LE(rank(by_priority[i - 1]["priority"].GetString()), rank(by_priority[i]["priority"].GetString()));
  }
  for (size_t i = 1; i < all.Size(); ++i) {  // soonest due first, none last
    std::string a = all[i - 1]["due_at"].IsString() ? all[i - 1]["due_at"].GetString() : "~";
    std::string b = all[i]["due_at"].IsString() ? all[i]["due_at"].GetString() : "~";
    EXPECT_LE(a, b);
  }
  // By ward, as housing's share shows it (event.location): only that ward.
  std::string ward;
  for (const auto& t : all.GetArray()) {
    const auto& ctx = t["context"];
    if (ctx.HasMember("event") && ctx["event"].HasMember("location") &&
        ctx["event"]["location"].HasMember("ward")) {
      ward = ctx["event"]["location"]["ward"].GetString();
      break;
    }
  }
  ASSERT_FALSE(ward.empty());
  rapidjson::Document in_ward;
  in_ward.Parse(Http("GET", "/api/tasks?status=all&ward=" + ward, jar).body.c_str());
  ASSERT_TRUE(in_ward.IsArray());
  EXPECT_GT(in_ward.Size(), 0u);
  EXPECT_LT(in_ward.Size(), all.Size());
  for (const auto& t : in_ward.GetArray()) {
    EXPECT_EQ(std::string(t["context"]["event"]["location"]["ward"].GetString()), ward);
  }
  // Due soon: open, due within three days of now.
  rapidjson::Document soon;
  soon.Parse(Http("GET", "/api/tasks?status=due_soon", jar).body.c_str());
  ASSERT_TRUE(soon.IsArray());
  for (const auto& t : soon.GetArray()) EXPECT_FALSE(t["overdue"].GetBool());
  EXPECT_EQ(Http("GET", "/api/tasks?due_before=soon", jar).status, 400);
  EXPECT_EQ(Http("GET", "/api/tasks?claimed=someone", jar).status, 400);
  EXPECT_EQ(Http("GET", "/api/tasks?status=everything", jar).status, 400);

  // The case, as housing may see it: every event field shared, the rest named.
  Reply c = Http("GET", "/api/cases/" + case_id, jar);
  ASSERT_EQ(c.status, 200) << c.body;
  rapidjson::Document cd;
  cd.Parse(c.body.c_str());
  ASSERT_TRUE(cd.IsObject() && cd["timeline"].IsArray() && cd["timeline"].Size() > 0) << c.body;
  for (const auto& e : cd["timeline"].GetArray()) {
    std::set<std::string> leaves;
    if (e.HasMember("event")) Leaves(e["event"], "event", &leaves);
    for (const auto& path : leaves) {
      EXPECT_TRUE(rules::Shares(*housing, SplitPath(path))) << path;
    }
  }
  // Search: by the case's id, and by a person housing is shown on it.
  std::string perpetrator;
  for (const auto& e : cd["timeline"].GetArray()) {
    // Shared subjects are listed by role: {"perpetrator": ["person:P-1"]}.
    if (!e.HasMember("event") || !e["event"].HasMember("subjects")) continue;
    const auto& subjects = e["event"]["subjects"];
    if (subjects.IsObject() && subjects.HasMember("perpetrator") && subjects["perpetrator"].IsArray() &&
        !subjects["perpetrator"].Empty()) {
      perpetrator = subjects["perpetrator"][0].GetString();
    }
  }
  EXPECT_NE(Http("GET", "/api/cases?q=" + case_id, jar).body.find("\"case_id\":\"" + case_id + "\""),
            std::string::npos);
  ASSERT_FALSE(perpetrator.empty()) << c.body;
  {
    EXPECT_NE(Http("GET", "/api/cases?q=" + perpetrator, jar).body.find("\"case_id\":\"" + case_id + "\""),
              std::string::npos)
        << perpetrator;
  }
  // Victims are never shown to housing: no search finds a case by one.
  std::map<std::string, std::set<std::string>> roles;
  for (const auto& line : lines_) {
    rapidjson::Document e;
    e.Parse(line.c_str());
    if (!e.IsObject() || !e.HasMember("subjects") || !e["subjects"].IsArray()) continue;
    for (const auto& subject : e["subjects"].GetArray()) {
      roles[json::GetString(subject, "id").data()].insert(json::GetString(subject, "role").data());
    }
  }
  int victims = 0;
  for (const auto& [id, r] : roles) {
    if (r != std::set<std::string>{"victim"} || ++victims > 5) continue;
    EXPECT_EQ(Http("GET", "/api/cases?q=" + id, jar).body, "[]") << id;
  }
  EXPECT_GT(victims, 0);
  EXPECT_EQ(Http("GET", "/api/cases?q=x", jar).status, 400);
  // A case housing has no task on, and a task of another partner: not found.
  Reply police_tasks = Http("GET", "/api/tasks?status=all", police_jar);
  rapidjson::Document pt;
  pt.Parse(police_tasks.body.c_str());
  ASSERT_TRUE(pt.IsArray() && pt.Size() > 0);
  std::string police_task, police_only_case;
  std::set<std::string> housing_cases;
  for (const auto& t : tasks.GetArray()) housing_cases.insert(t["case_id"].GetString());
  for (const auto& t : pt.GetArray()) {
    if (police_task.empty()) police_task = t["task_id"].GetString();
    if (!housing_cases.count(t["case_id"].GetString())) police_only_case = t["case_id"].GetString();
  }
  EXPECT_EQ(Http("POST", "/api/tasks/" + police_task + "/acknowledge", jar, "{}").status, 404);
  EXPECT_EQ(Http("GET", "/api/tasks/" + police_task, jar).status, 404);
  Reply one = Http("GET", "/api/tasks/" + task_id, jar);
  EXPECT_EQ(one.status, 200);
  EXPECT_NE(one.body.find("\"task_id\":\"" + task_id + "\""), std::string::npos) << one.body;
  ASSERT_FALSE(police_only_case.empty());
  EXPECT_EQ(Http("GET", "/api/cases/" + police_only_case, jar).status, 404);
  EXPECT_EQ(Http("GET", "/api/cases?q=" + police_only_case, jar).body.find(police_only_case), std::string::npos);
  EXPECT_EQ(Http("POST", "/api/cases/" + police_only_case + "/note", jar, R"({"note":"x"})").status, 404);
  EXPECT_EQ(Http("POST", "/api/cases/" + case_id + "/note", jar, "{}").status, 400);
  Reply note = Http("POST", "/api/cases/" + case_id + "/note", jar, R"({"note":"tenancy visit booked"})");
  EXPECT_EQ(note.status, 202) << note.body;
  EXPECT_EQ(Http("GET", "/api/cases/no-such-case", jar).status, 404);
  // Panels: only their chair finds them.
  EXPECT_EQ(Http("GET", "/api/panels", jar).body, "[]");
  EXPECT_EQ(Http("GET", "/api/panels/marac/2026-03-17", jar).status, 404);
  EXPECT_EQ(Http("POST", "/api/panels/marac/2026-03-17/held", jar, R"({"attendees":["housing"]})").status,
            404);
  EXPECT_NE(Http("GET", "/api/panels", police_jar).body.find(R"("id":"marac")"), std::string::npos);

  // A form cannot change anything; JSON with the session can.
  EXPECT_EQ(Http("POST", "/api/tasks/" + task_id + "/acknowledge", jar, "note=x",
                 "application/x-www-form-urlencoded").status,
            415);
  Reply ack = Http("POST", "/api/tasks/" + task_id + "/acknowledge", jar, R"({"note":"visiting Tuesday"})");
  ASSERT_EQ(ack.status, 202) << ack.body;
  // The event is on convene.events, as any other input...
  bool on_topic = false;
  for (const auto& m : KcatConsume(engine_->bootstrap(), "convene.events")) {
    rapidjson::Document d;
    d.Parse(m.c_str());
    if (d.IsObject() && std::string(json::GetString(d, "type")) == "task.acknowledged" &&
        std::string(json::GetString(d["data"], "task_id")) == task_id) {
      on_topic = true;
      EXPECT_EQ(std::string(json::GetString(d, "source")), "housing");
      EXPECT_EQ(std::string(json::GetString(d["data"], "by")), "coordinator@housing.example");
      EXPECT_EQ(std::string(json::GetString(d["data"], "note")), "visiting Tuesday");
    }
  }
  EXPECT_TRUE(on_topic);
  // ...and the engine applies it: the task's status changes in the state.
  EXPECT_TRUE(WaitFor(
      [&] {
        Reply r = Http("GET", "/api/tasks?status=all", jar);
        return r.body.find("\"task_id\":\"" + task_id + "\"") != std::string::npos &&
               r.body.find("\"task_id\":\"" + task_id + "\"") <
                   r.body.find("\"status\":\"acknowledged\"", r.body.find("\"task_id\":\"" + task_id + "\""));
      },
      std::chrono::seconds(30)));
  // Another task completed; a task or an action that is not there is not found.
  std::string second;
  for (const auto& t : tasks.GetArray()) {
    if (std::string(t["task_id"].GetString()) != task_id) second = t["task_id"].GetString();
  }
  EXPECT_EQ(Http("POST", "/api/tasks/" + second + "/complete", jar, R"({"note":"done"})").status, 202);
  // Claimed by the user: theirs, for the team to see.
  EXPECT_EQ(Http("POST", "/api/tasks/" + task_id + "/claim", jar, "{}").status, 202);
  EXPECT_TRUE(WaitFor(
      [&] {
        Reply r = Http("GET", "/api/tasks?status=all&claimed=me", jar);
        return r.body.find("\"task_id\":\"" + task_id + "\"") != std::string::npos &&
               r.body.find(R"("claimed_by":"coordinator@housing.example")") != std::string::npos;
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(Http("GET", "/api/tasks?status=all&claimed=none", jar).body.find("\"task_id\":\"" + task_id + "\""),
            std::string::npos);
  EXPECT_EQ(Http("POST", "/api/tasks/t-nope/decline", jar, "{}").status, 404);
  EXPECT_EQ(Http("POST", "/api/tasks/" + second + "/approve", jar, "{}").status, 404);

  // The pages: signed out, the sign-in; a form without the session's CSRF
  // token changes nothing.
  std::string nobody = dir_.Sub("nobody.jar");
  Reply page = Http("GET", "/tasks", nobody);
  EXPECT_EQ(page.status, 303);
  EXPECT_NE(page.headers.find("Location: /sign-in"), std::string::npos) << page.headers;
  Reply forged = Http("POST", "/tasks/" + second + "/decline", jar, "note=forged",
                      "application/x-www-form-urlencoded");
  EXPECT_EQ(forged.status, 403) << forged.body;
  Reply inbox = Http("GET", "/tasks?status=all", jar);
  ASSERT_EQ(inbox.status, 200);
  EXPECT_NE(inbox.headers.find("Content-Security-Policy: default-src 'self'; script-src 'none'"),
            std::string::npos)
      << inbox.headers;

  ASSERT_TRUE(WaitFor(
      [&] {
        Reply r = Http("GET", "/api/tasks?status=all", jar);
        size_t at = r.body.find("\"task_id\":\"" + second + "\"");
        return at != std::string::npos && r.body.find("\"status\":\"completed\"", at) != std::string::npos &&
               r.body.find("\"status\":\"completed\"", at) < r.body.find("\"task_id\"", at + 10);
      },
      std::chrono::seconds(30)));
  // A completed task is not taken back.
  Reply again = Http("POST", "/api/tasks/" + second + "/acknowledge", jar, "{}");
  EXPECT_EQ(again.status, 409) << again.body;
  // The chair's agenda: each case on it is a view in the audit trail.
  rapidjson::Document panels;
  panels.Parse(Http("GET", "/api/panels", police_jar).body.c_str());
  ASSERT_TRUE(panels.IsArray() && panels.Size() > 0);
  std::string meeting, agenda_case;
  for (const auto& p : panels.GetArray()) {
    for (const auto& m : p["meetings"].GetArray()) {
      if (meeting.empty() && m["cases"].GetInt() > 0) {
        meeting = std::string(p["id"].GetString()) + "/" + m["date"].GetString();
      }
    }
  }
  ASSERT_FALSE(meeting.empty()) << "no meeting with cases";
  rapidjson::Document agenda;
  agenda.Parse(Http("GET", "/api/panels/" + meeting, police_jar).body.c_str());
  ASSERT_TRUE(agenda.IsObject() && agenda["cases"].Size() > 0);
  agenda_case = agenda["cases"][0]["case_id"].GetString();
  // The engine applies the views; the trail is read beside it, as a person would.
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        return RunToCompletion({CONVENE_BINARY, "audit", "list", "--data", data_, "--kind", "viewed",
                                "--case", agenda_case},
                               &out) == 0 &&
               out.find(R"("by":"chair@police.example")") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << out;
  EXPECT_NE(out.find("\"on\":\"agenda of " + meeting.substr(0, meeting.find('/'))), std::string::npos) << out;
  ASSERT_EQ(engine_->Stop(), 0);
  engine_.reset();
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "case", "--data", data_, case_id}, &out), 0);
  EXPECT_NE(out.find(task_id + "  acknowledged"), std::string::npos) << out;
  // The note is on the case's timeline, by the id of the event the console sent.
  rapidjson::Document sent;
  sent.Parse(note.body.c_str());
  ASSERT_TRUE(sent.IsObject());
  EXPECT_NE(out.find(json::GetString(sent, "event_id")), std::string::npos) << out;
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "tasks", "--data", data_, "--partner", "housing",
                             "--status", "all"},
                            &out),
            0);
  EXPECT_NE(out.find(second + "  completed"), std::string::npos) << out;
  // Who saw the case is in the audit trail; nothing of the case it was refused.
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "audit", "list", "--data", data_, "--kind", "viewed",
                             "--case", case_id},
                            &out),
            0);
  EXPECT_NE(out.find(R"("by":"coordinator@housing.example")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("partner":"housing")"), std::string::npos) << out;
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "audit", "list", "--data", data_, "--kind", "viewed",
                             "--case", police_only_case},
                            &out),
            0);
  EXPECT_EQ(out, "");
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "audit", "verify", "--data", data_}, &out), 0) << out;
}

// Bodies from anyone, signed in or not: none may bring down the engine and
// the console with it (a 300 KB body nested 150,000 levels deep did, through
// the JSON parser's recursion on the listener's thread).
TEST_F(ApiTest, HostileBodiesAreRefusedAndTheEngineGoesOn) {
  std::string jar = dir_.Sub("hostile.jar");
  const std::string deep = dir_.Sub("deep.json");
  std::ofstream(deep) << std::string(150000, '[') << std::string(150000, ']');
  Reply r = Http("POST", "/api/session", jar, "@" + deep);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("nested more than 64 levels deep"), std::string::npos) << r.body;
  // The media type is application/json exactly, parameters aside.
  r = Http("POST", "/api/session", jar, R"({"email":"a","password":"b"})", "application/jsonx");
  EXPECT_EQ(r.status, 415) << r.body;
  r = Http("POST", "/api/session", jar,
           R"({"email":"coordinator@housing.example","password":"housing-pass-12"})",
           "Application/JSON; charset=utf-8");
  EXPECT_EQ(r.status, 200) << r.body;
  rapidjson::Document list;
  ASSERT_TRUE(WaitFor(
      [&] {
        Reply tasks = Http("GET", "/api/tasks?status=open", jar);
        list.Parse(tasks.body.c_str());
        return tasks.status == 200 && list.IsArray() && !list.Empty();
      },
      std::chrono::seconds(60)));
  std::string task_id(json::GetString(list[0], "task_id"));
  r = Http("POST", "/api/tasks/" + task_id + "/acknowledge", jar, "@" + deep);
  EXPECT_EQ(r.status, 400) << r.body;
  // Text that is not UTF-8 is refused here, not accepted (202) and then
  // dead-lettered by the engine (found by fuzz_api).
  const std::string latin1 = dir_.Sub("latin1.json");
  std::ofstream(latin1) << "{\"note\":\"caf\xe9\"}";
  r = Http("POST", "/api/tasks/" + task_id + "/acknowledge", jar, "@" + latin1);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("Invalid encoding"), std::string::npos) << r.body;
  // A state change from another site's page is refused, signed in or not;
  // the console's own pages and clients without an Origin are not.
  std::string host = "127.0.0.1:" + std::to_string(port_);
  std::string note = R"({"note":"from elsewhere"})";
  auto posted = [&](const std::string& origin) {
    std::string code;
    RunToCompletion({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", jar, "-H",
                     "Origin: " + origin, "-H", "Content-Type: application/json", "--data-binary",
                     note, "http://" + host + "/api/tasks/" + task_id + "/claim"},
                    &code, std::chrono::seconds(30));
    return code;
  };
  EXPECT_EQ(posted("https://evil.example"), "403");
  EXPECT_EQ(posted("null"), "403");
  EXPECT_EQ(posted("http://" + host), "202");
  EXPECT_TRUE(engine_->process().Running());
  EXPECT_EQ(Http("GET", "/api/tasks", jar).status, 200);
}

TEST_F(ApiTest, RepeatedFailedSignInsLockTheAccount) {
  std::string jar = dir_.Sub("jar");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(SignIn(jar, "other@housing.example", "not-the-password").status, 401) << i;
  }
  Reply locked = SignIn(jar, "other@housing.example", "another-pass-12");
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_NE(locked.headers.find("Retry-After"), std::string::npos);
  // Another account is not locked by it.
  EXPECT_EQ(SignIn(jar, "coordinator@housing.example", "housing-pass-12").status, 200);
  EXPECT_EQ(Http("GET", "/api/tasks", jar).status, 200);
  // Ten wrong passwords for the chair sent side by side: no more than five
  // are checked, and the account is locked after them.
  std::string parallel = "for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null -w '%{http_code}\\n' "
                         "-H 'Content-Type: application/json' --data-binary "
                         "'{\"email\":\"chair@police.example\",\"password\":\"wrong-password\"}' "
                         "http://127.0.0.1:" + std::to_string(port_) + "/api/session & done; wait";
  std::string codes;
  ASSERT_EQ(RunToCompletion({"sh", "-c", parallel}, &codes, std::chrono::seconds(60)), 0);
  int refused = 0, checked = 0;
  for (const auto& code : Lines(codes)) (code == "401" ? checked : refused) += 1;
  EXPECT_LE(checked, 5) << codes;
  EXPECT_EQ(checked + refused, 10) << codes;
  EXPECT_EQ(SignIn(dir_.Sub("chair.jar"), "chair@police.example", "police-pass-123").status, 429);
  // A removed user can no longer sign in, and its session ends.
  std::string out;
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "user", "remove", "--data", data_, "--email",
                             "coordinator@housing.example"},
                            &out),
            0);
  EXPECT_EQ(SignIn(jar, "coordinator@housing.example", "housing-pass-12").status, 401);
  EXPECT_EQ(Http("GET", "/api/tasks", jar).status, 401);
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "user", "list", "--data", data_}, &out), 0);
  EXPECT_EQ(out.find("coordinator@housing.example"), std::string::npos) << out;
  EXPECT_NE(out.find("chair@police.example  police"), std::string::npos) << out;
  EXPECT_EQ(ReadFile(data_ + "/users.json").find("pass-12"), std::string::npos);
  EXPECT_NE(ReadFile(data_ + "/users.json").find("$argon2id$"), std::string::npos);
}

}  // namespace
}  // namespace convene::testing

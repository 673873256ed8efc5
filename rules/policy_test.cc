#include "rules/policy_test.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "rules/json.h"
#include "rules/yaml_reporter.h"

namespace convene::rules {
namespace {

namespace fs = std::filesystem;

// YAML to JSON: quoted scalars are strings; plain ones are numbers, booleans
// or null when they read as such.
void WriteJson(const YAML::Node& n, json::Writer& w) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      w.StartObject();
      for (const auto& kv : n) {
        json::Key(w, kv.first.Scalar());
        WriteJson(kv.second, w);
      }
      w.EndObject();
      return;
    case YAML::NodeType::Sequence:
      w.StartArray();
      for (const auto& item : n) WriteJson(item, w);
      w.EndArray();
      return;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      w.Null();
      return;
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {
    if (s == "true" || s == "false") {
      w.Bool(s == "true");
      return;
    }
    if (s == "null" || s == "~") {
      w.Null();
      return;
    }
    int64_t i;
    auto r = std::from_chars(s.data(), s.data() + s.size(), i);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) {
      w.Int64(i);
      return;
    }
    double d;
    auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
    if (rd.ec == std::errc() && rd.ptr == s.data() + s.size() && !s.empty()) {
      w.Double(d);
      return;
    }
  }
  json::String(w, s);
}

class TestLoader : public YamlReporter {
 public:
  explicit TestLoader(fs::path dir) : dir_(std::move(dir)) {}

  std::variant<std::vector<PolicyTest>, std::vector<ConfigError>> Load() {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "tests", ec)) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        files.push_back("tests/" + e.path().filename().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) LoadFile(f);
    if (!errors_.empty()) return errors_;
    return tests_;
  }

 private:
  void LoadFile(const std::string& f) {
    file_ = f;
    std::ifstream in(dir_ / f);
    std::stringstream buf;
    buf << in.rdbuf();
    std::optional<YAML::Node> parsed = Parse(buf.str());
    if (!parsed) return;
    const YAML::Node root = *parsed;
    if (!root["tests"] || !root["tests"].IsSequence()) {
      Error(root, "a tests file holds 'tests:', a list of tests");
      return;
    }
    for (const auto& t : root["tests"]) LoadTest(t);
  }

  void LoadTest(const YAML::Node& t) {
    PolicyTest test;
    test.file = file_;
    test.line = t.Mark().line + 1;
    if (!t.IsMap()) {
      Error(t, "a test is {name, events, expect}");
      return;
    }
    CheckKeys(t, {"name", "events", "expect"}, "a test");
    test.name = t["name"] ? t["name"].Scalar() : "test at line " + std::to_string(test.line);
    if (!t["events"] || !t["events"].IsSequence()) {
      Error(t, "test '" + test.name + "' needs 'events', a list");
    } else {
      for (const auto& item : t["events"]) {
        TestStep step;
        step.line = item.Mark().line + 1;
        if (!item.IsMap()) {
          Error(item, "an events item is an event, {advance: DURATION}, {at: TIME} or {raw: TEXT}");
          continue;
        }
        if (item["advance"]) {
          auto d = ParseDuration(item["advance"].Scalar());
          if (!d.ok()) {
            Error(item["advance"], "advance: " + d.status().message());
            continue;
          }
          step.kind = TestStep::Kind::kAdvance;
          step.advance = *d;
        } else if (item["at"]) {
          auto at = ParseRfc3339(item["at"].Scalar());
          if (!at) {
            Error(item["at"], "at: '" + item["at"].Scalar() + "' is not an RFC 3339 timestamp");
            continue;
          }
          step.kind = TestStep::Kind::kAt;
          step.at = *at;
        } else if (item["raw"]) {
          step.kind = TestStep::Kind::kRaw;
          step.json = item["raw"].Scalar();
        } else {
          step.kind = TestStep::Kind::kEvent;
          const YAML::Node data = item["data"];
          if (data && data.IsMap() && data["rule"] && data["to"] && !data["task_id"]) {
            step.task_rule = data["rule"].Scalar();
            step.task_partner = data["to"].Scalar();
          }
          rapidjson::StringBuffer buf;
          json::Writer w(buf);
          WriteJson(item, w);
          step.json.assign(buf.GetString(), buf.GetSize());
        }
        test.steps.push_back(std::move(step));
      }
    }
    if (const YAML::Node e = t["expect"]) LoadExpect(e, &test.expect);
    const TestExpect& x = test.expect;
    if (x.tasks.empty() && !x.only && !x.no_tasks && !x.stage && !x.flags && !x.risk && !x.cases &&
        !x.dead_letters && !x.referrals) {
      // A test that checks nothing passes whatever the rules do.
      Error(t["expect"] ? t["expect"] : t,
            "test '" + test.name + "' expects nothing, so it would pass whatever the rules do: "
            "give expect at least one of tasks, only, no_tasks, stage, flags, risk, cases, "
            "dead_letters, referrals");
    }
    tests_.push_back(std::move(test));
  }

  void LoadExpect(const YAML::Node& e, TestExpect* x) {
    CheckKeys(e, {"tasks", "only", "no_tasks", "stage", "flags", "risk", "cases", "dead_letters",
                  "referrals"},
              "expect");
    if (const YAML::Node refs = e["referrals"]) {
      std::vector<ReferralMatcher> matchers;
      for (const auto& m : refs) {
        CheckKeys(m, {"panel", "meeting"}, "a referral matcher");
        ReferralMatcher rm;
        if (m["panel"]) rm.panel = m["panel"].Scalar();
        if (m["meeting"]) {
          std::string v = m["meeting"].Scalar();
          if (auto t = ParseRfc3339(v)) {
            rm.meeting = FormatRfc3339(*t);
          } else if (ParseDate(v)) {
            rm.meeting = v;
          } else {
            Error(m["meeting"], "meeting: a date (YYYY-MM-DD) or an RFC 3339 timestamp");
          }
        }
        matchers.push_back(std::move(rm));
      }
      x->referrals = std::move(matchers);
    }
    if (const YAML::Node tasks = e["tasks"]) {
      for (const auto& m : tasks) {
        CheckKeys(m, {"to", "rule", "kind", "priority", "case_type", "due_at", "title_contains"},
                  "a task matcher");
        TaskMatcher tm;
        auto get = [&m](const char* k) -> std::optional<std::string> {
          if (m[k]) return m[k].Scalar();
          return std::nullopt;
        };
        tm.to = get("to");
        tm.rule = get("rule");
        tm.kind = get("kind");
        tm.priority = get("priority");
        tm.case_type = get("case_type");
        tm.title_contains = get("title_contains");
        if (auto due = get("due_at")) {
          auto t = ParseRfc3339(*due);
          if (!t) {
            Error(m["due_at"], "due_at: '" + *due + "' is not an RFC 3339 timestamp");
          } else {
            tm.due_at = FormatRfc3339(*t);
          }
        }
        x->tasks.push_back(std::move(tm));
      }
    }
    x->only = e["only"] && e["only"].as<std::string>() == "true";
    x->no_tasks = e["no_tasks"] && e["no_tasks"].as<std::string>() == "true";
    if (e["stage"]) x->stage = e["stage"].Scalar();
    if (e["risk"]) x->risk = e["risk"].Scalar();
    if (e["flags"]) {
      std::vector<std::string> flags;
      for (const auto& f : e["flags"]) flags.push_back(f.Scalar());
      x->flags = flags;
    }
    try {
      if (e["cases"]) x->cases = e["cases"].as<int>();
      if (e["dead_letters"]) x->dead_letters = e["dead_letters"].as<int>();
    } catch (const YAML::Exception&) {
      Error(e, "cases and dead_letters are whole numbers");
    }
  }

  fs::path dir_;
  std::vector<PolicyTest> tests_;
};

}  // namespace

std::string TaskMatcher::Describe() const {
  std::string s;
  auto add = [&s](const char* k, const std::optional<std::string>& v) {
    if (v) s += (s.empty() ? "" : ", ") + std::string(k) + ": " + *v;
  };
  add("to", to);
  add("rule", rule);
  add("kind", kind);
  add("priority", priority);
  add("case_type", case_type);
  add("due_at", due_at);
  add("title_contains", title_contains);
  return "{" + s + "}";
}

std::variant<std::vector<PolicyTest>, std::vector<ConfigError>> LoadPolicyTests(
    const std::filesystem::path& dir) {
  return TestLoader(dir).Load();
}

}  // namespace convene::rules

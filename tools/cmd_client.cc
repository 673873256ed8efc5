// `convene tasks`, `convene case` and `convene rules check`.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <unistd.h>
#include <thread>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "connectors/topic_reader.h"
#include "engine/audit_trail.h"
#include "engine/case_record.h"
#include "engine/case_store.h"
#include "policy/policy_test_runner.h"
#include "policy/rules_replay.h"
#include "tools/replay_format.h"
#include "engine/task_book.h"
#include "engine/clock.h"
#include "report/report.h"
#include "rules/config_loader.h"
#include "tools/commands.h"
#include "tools/engine_host.h"

namespace convene::tools {

namespace {

// A task as one line: id, status (OVERDUE when past its due date at `as_of`
// and not finished), partner, priority, title, due date.
std::string TaskLine(const engine::Task& t, TimeMs as_of) {
  std::string line = t.task_id + "  " + t.status;
  if (report::Overdue(t, as_of)) line += " OVERDUE";
  line += "  " + t.partner + "  [" + t.priority + "]  " + t.title;
  if (t.due_at) line += "  (due " + FormatRfc3339(*t.due_at) + ")";
  return line;
}

// Opens the state in `data_dir` to read, and the engine's clock in it ("now"
// for what is overdue); says why not on stderr.
bool OpenToRead(const std::string& data_dir, std::unique_ptr<engine::CaseStore>* store,
                TimeMs* as_of) {
  auto opened = OpenStateFolder(data_dir);
  if (!opened) return false;
  engine::SystemClock clock;
  auto now = report::AsOf(*opened, clock.Now());
  if (!now.ok()) {
    std::cerr << now.status().message() << "\n";
    return false;
  }
  *store = std::move(opened);
  *as_of = *now;
  return true;
}

}  // namespace

int StoredTasksCommand(const std::string& data_dir, const std::string& partner,
                       const std::string& status) {
  std::unique_ptr<engine::CaseStore> store;
  TimeMs as_of = 0;
  if (!OpenToRead(data_dir, &store, &as_of)) return 1;
  std::vector<engine::Task> tasks;
  Status s = engine::ReadAllTasks(*store, [&](const engine::Task& t) {
    if (t.partner == partner && report::Listed(t, status, as_of)) tasks.push_back(t);
    return true;
  });
  if (!s.ok()) {
    std::cerr << "tasks: " << s.message() << "\n";
    return 1;
  }
  // Soonest due first; those without a due date last.
  std::stable_sort(tasks.begin(), tasks.end(), [](const engine::Task& a, const engine::Task& b) {
    return a.due_at.value_or(INT64_MAX) < b.due_at.value_or(INT64_MAX);
  });
  size_t overdue = 0;
  for (const auto& t : tasks) {
    overdue += report::Overdue(t, as_of);
    std::cout << TaskLine(t, as_of) << "  case " << t.case_id << "\n";
  }
  std::cerr << tasks.size() << " " << status << " task" << (tasks.size() == 1 ? "" : "s") << " of "
            << partner;
  if (status != "overdue") std::cerr << ", " << overdue << " overdue";
  std::cerr << " (as of " << FormatRfc3339(as_of) << ")\n";
  return 0;
}

int TasksCommand(const std::string& kafka, const std::string& partner,
                 const std::string& config_dir, const std::string& topic_prefix) {
  std::string topic = topic_prefix + "tasks." + partner;
  if (!config_dir.empty()) {
    auto rules = LoadRulesOrReport(config_dir, topic_prefix);
    if (!rules) return 2;
    const rules::Partner* p = rules->FindPartner(partner);
    if (!p) {
      std::cerr << "unknown partner '" << partner << "' in " << config_dir << "\n";
      return 2;
    }
    topic = p->topic;
  }
  auto tasks = connectors::ReadTopic(kafka, topic, std::chrono::seconds(30));
  if (!tasks.ok()) {
    std::cerr << "tasks: " << tasks.status().message() << "\n";
    return 1;
  }
  for (const auto& t : *tasks) std::cout << t << "\n";
  std::cerr << tasks->size() << " task" << (tasks->size() == 1 ? "" : "s") << " on " << topic
            << "\n";
  return 0;
}

namespace {

// The tasks of a case (or of a panel meeting, "marac/2026-03-17"), with their
// status; returns how many there are.
Result<size_t> PrintTasks(const engine::CaseStore& store, const std::string& case_id,
                          TimeMs as_of) {
  size_t open = 0, overdue = 0, all = 0;
  Status scanned = engine::ReadTasksOf(store, case_id, [&](const engine::Task& t) {
    ++all;
    if (engine::IsOpenStatus(t.status)) ++open;
    if (report::Overdue(t, as_of)) ++overdue;
    std::cout << "  " << TaskLine(t, as_of) << "\n";
    return true;
  });
  if (all > 0) {
    std::cout << "  " << open << " open of " << all;
    if (overdue > 0) std::cout << ", " << overdue << " overdue";
    std::cout << " (as of " << FormatRfc3339(as_of) << ")\n";
  }
  if (!scanned.ok()) return scanned;
  return all;
}

}  // namespace

int CaseCommand(const std::string& data_dir, const std::string& case_id) {
  std::unique_ptr<engine::CaseStore> store;
  TimeMs as_of = 0;
  if (!OpenToRead(data_dir, &store, &as_of)) return 1;
  auto c = engine::ReadCase(*store, case_id, /*with_history=*/true);
  if (!c.ok()) {
    std::cerr << "cannot read case '" << case_id << "': " << c.status().message() << "\n";
    return 1;
  }
  if (!c->has_value()) {
    // A panel meeting owns the tasks that are not about one case.
    bool has_tasks = false;
    Status s = store->TasksOf(case_id, [&](std::string_view) {
      has_tasks = true;
      return false;  // one is enough
    });
    if (!s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
    if (has_tasks) {
      std::cout << "Panel meeting " << case_id << ": tasks\n";
      auto printed = PrintTasks(*store, case_id, as_of);
      if (!printed.ok()) {
        std::cerr << printed.status().message() << "\n";
        return 1;
      }
      return 0;
    }
    std::cerr << "no case '" << case_id << "' in " << data_dir << "\n";
    return 1;
  }
  const engine::CaseRecord& record = **c;
  const auto& v = record.view;
  std::cout << v.id << "  " << v.type << "  stage " << v.stage << "  (" << v.status << ")\n"
            << "  opened   " << FormatRfc3339(v.opened_at) << "\n";
  if (!v.flags.empty()) {
    std::cout << "  flags   ";
    for (const auto& f : v.flags) std::cout << " " << f;
    std::cout << "\n";
  }
  for (const auto& [k, val] : v.fields) std::cout << "  " << k << " = " << val << "\n";
  std::cout << "  keys    ";
  for (const auto& k : record.keys) std::cout << " " << k;
  std::cout << "\n\nTimeline (event time)\n";
  for (const auto& e : record.timeline) {
    std::cout << "  " << FormatRfc3339(e.occurred_at) << "  " << e.type << "  " << e.event_id
              << "\n";
  }
  std::cout << "\nHistory (what convene did, under which rules)\n";
  for (const auto& h : record.history) {
    std::cout << "  " << FormatRfc3339(h.at) << "  " << h.action;
    if (!h.rule.empty()) std::cout << "  [" << h.rule << "]";
    std::cout << "  " << h.detail << "  (event " << h.event_id << ", rules " << h.rules_version
              << ")\n";
  }
  std::cout << "\nTasks" << (v.status == "closed" ? " (the case is closed)" : "") << "\n";
  if (auto printed = PrintTasks(*store, case_id, as_of); !printed.ok()) {
    std::cerr << printed.status().message() << "\n";
    return 1;
  }
  return 0;
}

int AuditVerifyCommand(const std::string& data_dir) {
  auto store = OpenStateFolder(data_dir);
  if (!store) return 1;
  auto verified = engine::AuditTrail::Verify(*store);
  if (!verified.ok()) {
    std::cerr << "audit trail of " << data_dir << ": " << verified.status().message() << "\n";
    return 1;
  }
  if (!verified->broken.empty()) {
    std::cout << "audit trail of " << data_dir << ": BROKEN at " << verified->broken << " ("
              << verified->entries << " entries before it hold)\n";
    return 1;
  }
  std::cout << "audit trail of " << data_dir << ": " << verified->entries
            << " entries, the chain holds; head " << verified->head << "\n";
  return 0;
}

int AuditListCommand(const std::string& data_dir, const std::string& kind,
                     const std::string& case_id) {
  auto store = OpenStateFolder(data_dir);
  if (!store) return 1;
  std::string damaged;
  Status s = store->Scan(engine::Family::kAudit, "", [&](std::string_view k, std::string_view v) {
    size_t nl = v.rfind('\n');
    rapidjson::Document d;
    if (nl != std::string_view::npos) d.Parse(v.data(), nl);
    if (!d.IsObject()) {
      damaged = "entry " + std::to_string(engine::DecodeU64(k)) + " is damaged";
      return false;
    }
    if (!kind.empty() && json::GetString(d, "kind") != kind) return true;
    if (!case_id.empty() && json::GetString(d, "case_id") != case_id) return true;
    std::cout << v.substr(0, nl) << "\n";
    return true;
  });
  if (!s.ok() || !damaged.empty()) {
    std::cerr << "audit trail of " << data_dir << ": " << (s.ok() ? damaged : s.message())
              << " (convene audit verify checks the chain)\n";
    return 1;
  }
  return 0;
}

int RulesCheckCommand(const std::string& config_dir) {
  auto rules = LoadRulesOrReport(config_dir, "convene.");
  if (!rules) return 1;
  for (const auto& w : rules->warnings) {
    std::cout << config_dir << "/" << w.ToString().insert(w.ToString().find(": ") + 2, "warning: ")
              << "\n";
  }
  std::cout << config_dir << ": OK, rules version " << rules->version << " ("
            << rules->partners.size() << " partners, " << rules->case_types.size()
            << " case types, " << rules->calendars.size() << " calendars, " << rules->rules.size()
            << " rules)";
  if (!rules->warnings.empty()) {
    std::cout << ", " << rules->warnings.size() << " warning"
              << (rules->warnings.size() == 1 ? "" : "s");
  }
  std::cout << "\n";
  return 0;
}

int RulesTestCommand(const std::string& config_dir, const std::string& filter) {
  auto rules = LoadRulesOrReport(config_dir, "convene.");
  if (!rules) return 1;
  auto loaded = rules::LoadPolicyTests(config_dir);
  if (auto* errors = std::get_if<std::vector<rules::ConfigError>>(&loaded)) {
    for (const auto& e : *errors) std::cerr << config_dir << "/" << e.ToString() << "\n";
    return 1;
  }
  std::vector<rules::PolicyTest> tests;
  for (auto& t : std::get<std::vector<rules::PolicyTest>>(loaded)) {
    if (filter.empty() || t.name.find(filter) != std::string::npos) tests.push_back(std::move(t));
  }
  char scratch[] = "/tmp/convene-rules-test-XXXXXX";
  if (!mkdtemp(scratch)) {
    std::cerr << "cannot create a scratch folder\n";
    return 1;
  }
  std::cout << "rules " << rules->version << " from " << config_dir << ": " << tests.size()
            << " test" << (tests.size() == 1 ? "" : "s") << "\n";
  auto results = policy::RunPolicyTests(rules, tests, scratch, &g_stop);
  std::filesystem::remove_all(scratch);
  size_t passed = 0, failed = 0;
  for (const auto& r : results) {
    std::cout << (r.passed ? "PASS  " : "FAIL  ") << r.test->name << "  (" << r.test->file << ":"
              << r.test->line << ")\n";
    for (const auto& f : r.failures) std::cout << "      " << f << "\n";
    for (const auto& w : r.warnings) {
      std::cout << "      warning (" << r.test->name << "): " << w << "\n";
    }
    (r.passed ? passed : failed)++;
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  if (results.size() < tests.size()) {
    std::cout << "interrupted: " << tests.size() - results.size() << " tests not run\n";
    return 130;
  }
  return failed == 0 ? 0 : 1;
}

int RulesReplayCommand(const std::string& events_file, const std::string& from_dir,
                       const std::string& to_dir, size_t examples, const std::string& format) {
  spdlog::set_level(spdlog::level::err);  // rejected lines are counted, not logged one by one
  auto from = LoadRulesOrReport(from_dir, "convene.");
  auto to = LoadRulesOrReport(to_dir, "convene.");
  if (!from || !to) return 1;
  std::ifstream in(events_file, std::ios::binary);
  if (!in) {
    std::cerr << events_file << ": cannot read\n";
    return 1;
  }
  std::vector<std::string> events;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) events.push_back(std::move(line));
  }
  char scratch[] = "/tmp/convene-replay-XXXXXX";
  if (!mkdtemp(scratch)) {
    std::cerr << "cannot create a scratch folder\n";
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  // On a terminal, progress on stderr once it takes more than a moment;
  // Ctrl-C or SIGTERM stops it within an event.
  size_t total = events.size();
  std::atomic<size_t> applied{0};
  std::atomic<bool> done{false};
  std::thread shown;
  if (isatty(STDERR_FILENO)) {
    shown = std::thread([&] {
      auto since = std::chrono::steady_clock::now();
      bool printed = false;
      while (!done.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (std::chrono::steady_clock::now() - since < std::chrono::seconds(1)) continue;
        size_t n = applied.load();
        std::fprintf(stderr, "\rreplaying: %zu of %zu events (%zu%%)", n, total,
                     total ? n * 100 / total : 100);
        printed = true;
      }
      if (printed) std::fprintf(stderr, "\r\033[K");
    });
  }
  policy::ReplayControl control;
  control.stop = &g_stop;
  control.applied = &applied;
  auto report = policy::ReplayRules(from, to, std::move(events), scratch, control);
  done = true;
  if (shown.joinable()) shown.join();
  std::filesystem::remove_all(scratch);
  if (!report.ok()) {
    std::cerr << report.status().message() << "\n";
    return report.status().code() == Status::Code::kInterrupted ? 130 : 1;
  }
  ReplayHeading h;
  h.from_dir = from_dir;
  h.to_dir = to_dir;
  h.from_version = from->version;
  h.to_version = to->version;
  h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  h.examples = examples;
  if (format == "csv") {
    std::cout << ReplayCsv(*report, h);
  } else if (format == "html") {
    std::cout << ReplayHtml(*report, h);
  } else {
    std::cout << ReplayText(*report, h);
  }
  return 0;
}

}  // namespace convene::tools

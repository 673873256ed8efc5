// `convene report` as a manager runs it, on the state `convene run` kept of
// the shipped sample year; each figure checked against a count taken
// elsewhere: the partners' queues and the case updates (read with kcat), and
// the sample events themselves.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "rules/config_loader.h"
#include "rules/json.h"
#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

// section,group,figure -> value, from the report's csv.
std::map<std::string, std::string> ReadCsv(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& line : Lines(text)) {
    size_t last = line.rfind(',');
    if (last != std::string::npos) out[line.substr(0, last)] = line.substr(last + 1);
  }
  return out;
}

bool IsIncident(const std::string& type) {
  return type.rfind("task.", 0) != 0 && type.rfind("panel.", 0) != 0 &&
         type.rfind("case.", 0) != 0;
}

size_t CountRepeats(const std::map<std::string, int>& counts) {
  size_t n = 0;
  for (const auto& [k, c] : counts) n += c >= 2;
  return n;
}

TEST(ReportTest, TheReportAndTheTaskListsAgreeWithTheQueuesAndTheSampleEvents) {
  auto loaded = rules::LoadRuleSet(CONVENE_CONFIG_DIR);
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const rules::RuleSet>>(loaded));
  auto rules = std::get<std::shared_ptr<const rules::RuleSet>>(loaded);
  const std::string samples = std::string(CONVENE_CONFIG_DIR) + "/samples/events.jsonl";
  std::vector<std::string> lines = Lines(ReadFile(samples));
  ASSERT_GT(lines.size(), 100u);

  TempDir dir;
  std::string data = dir.Sub("data");
  EmbeddedEngineProcess engine(dir, "engine", data, {"--max-future", "31d"});
  ASSERT_TRUE(engine.ok());
  std::string out;
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "send", "--kafka", engine.bootstrap(), samples}, &out,
                            std::chrono::seconds(120)),
            0)
      << out;
  ASSERT_TRUE(WaitFor(
      [&] {
        Progress p = ReadProgress(data);
        return p.next_offset == static_cast<int64_t>(lines.size()) && p.outbox_empty;
      },
      std::chrono::seconds(60)));

  // Counted from the queues: each partner's tasks, and the cases updated.
  std::map<std::string, std::set<std::string>> tasks_of;
  for (const auto& partner : rules->partners) {
    for (const auto& m : KcatConsume(engine.bootstrap(), partner.topic)) {
      rapidjson::Document d;
      d.Parse(m.c_str());
      ASSERT_TRUE(d.IsObject()) << m;
      tasks_of[partner.id].insert(d["task_id"].GetString());
    }
  }
  std::map<std::string, std::set<std::string>> cases_of_priority;
  std::set<std::string> cases;
  for (const auto& m : KcatConsume(engine.bootstrap(), "convene.case-updates")) {
    rapidjson::Document d;
    d.Parse(m.c_str());
    ASSERT_TRUE(d.IsObject()) << m;
    std::string id = d["case"]["id"].GetString();
    const rules::CaseType* type = rules->FindCaseType(d["case"]["type"].GetString());
    ASSERT_NE(type, nullptr) << m;
    cases.insert(id);
    cases_of_priority[type->priority].insert(id);
  }
  // Counted from the sample events the engine took (the samples hold some
  // it rejects, each on the dead-letter topic with its offset: its line).
  std::set<int64_t> rejected;
  for (const auto& m : KcatConsume(engine.bootstrap(), "convene.dead-letter")) {
    rapidjson::Document d;
    d.Parse(m.c_str());
    ASSERT_TRUE(d.IsObject()) << m;
    rejected.insert(d["offset"].GetInt64());
  }
  ASSERT_FALSE(rejected.empty());
  // An event sent twice (the samples hold one) is applied once.
  std::set<std::string> ids;
  std::vector<bool> applied(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (rejected.count(static_cast<int64_t>(i))) continue;
    rapidjson::Document d;
    d.Parse(lines[i].c_str());
    ASSERT_TRUE(d.IsObject()) << lines[i];
    applied[i] = ids.insert(d["id"].GetString()).second;
  }
  const size_t accepted = ids.size();
  std::map<std::string, int> victims, places;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!applied[i]) continue;
    rapidjson::Document d;
    d.Parse(lines[i].c_str());
    if (!IsIncident(d["type"].GetString())) continue;
    std::set<std::string> named;
    if (d.HasMember("subjects")) {
      for (const auto& s : d["subjects"].GetArray()) {
        if (std::string(s["role"].GetString()) == "victim") named.insert(s["id"].GetString());
      }
    }
    for (const auto& p : named) ++victims[p];
    if (d.HasMember("location")) {
      std::string place(json::GetString(d["location"], "uprn"));
      if (place.empty()) place = json::GetString(d["location"], "postcode");
      if (!place.empty()) ++places[place];
    }
  }

  ASSERT_EQ(engine.Stop(), 0) << engine.process().Stderr();

  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "report", "--data", data, "--config",
                             CONVENE_CONFIG_DIR, "--format", "csv"},
                            &out, std::chrono::seconds(60)),
            0)
      << out;
  auto figures = ReadCsv(out);
  EXPECT_EQ(figures["total,all,events"], std::to_string(accepted));
  EXPECT_EQ(figures["total,all,cases opened"], std::to_string(cases.size()));
  for (const auto& [priority, ids] : cases_of_priority) {
    EXPECT_EQ(figures["priority," + priority + ",cases opened"], std::to_string(ids.size()))
        << priority;
  }
  size_t tasks = 0;
  for (const auto& [partner, ids] : tasks_of) {
    tasks += ids.size();
    if (ids.empty()) continue;
    EXPECT_EQ(figures["partner," + partner + ",tasks issued"], std::to_string(ids.size()))
        << partner;
  }
  EXPECT_GT(tasks, 100u);
  EXPECT_EQ(figures["total,all,tasks issued"], std::to_string(tasks));
  EXPECT_EQ(figures["total,all,repeat victims"], std::to_string(CountRepeats(victims)));
  EXPECT_EQ(figures["total,all,repeat locations"], std::to_string(CountRepeats(places)));
  EXPECT_GT(CountRepeats(victims), 0u);
  // A case is open or closed at the period's end, never both.
  EXPECT_EQ(std::stoll(figures["total,all,cases open"]) + std::stoll(figures["total,all,cases closed"]),
            static_cast<long long>(cases.size()));

  // A period: only what happened in it (the first quarter's events, from the file).
  size_t in_quarter = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!applied[i]) continue;
    rapidjson::Document d;
    d.Parse(lines[i].c_str());
    std::string at = d["occurred_at"].GetString();
    in_quarter += at >= "2026-01-01" && at < "2026-04-01";
  }
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "report", "--data", data, "--config",
                             CONVENE_CONFIG_DIR, "--format", "csv", "--from", "2026-01-01", "--to",
                             "2026-04-01"},
                            &out, std::chrono::seconds(60)),
            0)
      << out;
  EXPECT_EQ(ReadCsv(out)["total,all,events"], std::to_string(in_quarter));

  // The page: self-contained, with its charts and tables.
  std::string page = dir.Sub("report.html");
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "report", "--data", data, "--config",
                             CONVENE_CONFIG_DIR, "--format", "html", "--out", page},
                            &out, std::chrono::seconds(60)),
            0)
      << out;
  std::string html = ReadFile(page);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg role=\"img\" aria-label=\"Cases opened by strategy priority\""),
            std::string::npos);
  EXPECT_NE(html.find("<caption>Tasks by partner</caption>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "nothing fetched from elsewhere";

  // The same tasks as the partner's coordinator lists them from the state,
  // soonest due first, the overdue ones marked as the report counts them.
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "tasks", "--data", data, "--partner", "housing",
                             "--status", "all"},
                            &out, std::chrono::seconds(30)),
            0);
  std::vector<std::string> listed = Lines(out);
  EXPECT_EQ(listed.size(), tasks_of["housing"].size());
  size_t marked = 0;
  for (const auto& line : listed) {
    EXPECT_TRUE(tasks_of["housing"].count(line.substr(0, line.find(' ')))) << line;
    marked += line.find(" OVERDUE ") != std::string::npos;
  }
  EXPECT_GT(marked, 0u);
  EXPECT_EQ(std::to_string(marked), figures["partner,housing,overdue"]);
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "tasks", "--data", data, "--partner", "housing",
                             "--status", "overdue"},
                            &out, std::chrono::seconds(30)),
            0);
  EXPECT_EQ(Lines(out).size(), marked);
  // A case's page marks them too, and says how many are overdue.
  std::string overdue_line;
  for (const auto& line : listed) {
    if (line.find(" OVERDUE ") != std::string::npos) overdue_line = line;
  }
  std::string case_id = overdue_line.substr(overdue_line.rfind("case ") + 5);
  ASSERT_EQ(RunToCompletion({CONVENE_BINARY, "case", "--data", data, case_id}, &out,
                            std::chrono::seconds(30)),
            0);
  EXPECT_NE(out.find(overdue_line.substr(0, overdue_line.find("  case "))), std::string::npos)
      << out;
  EXPECT_NE(out.find(" overdue (as of "), std::string::npos) << out;

  // Bad usage is refused with a reason.
  EXPECT_EQ(RunToCompletion({"/bin/sh", "-c",
                             std::string(CONVENE_BINARY) + " report --data " + data +
                                 " --from 'last week' 2>&1"},
                            &out, std::chrono::seconds(30)),
            2);
  EXPECT_NE(out.find("not a date"), std::string::npos) << out;
}

}  // namespace
}  // namespace convene::testing

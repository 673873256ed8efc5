// `convene rules replay` as a policy officer runs it: a lowered Case Review
// threshold, in text, as a spreadsheet and as a page for a meeting pack.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <csignal>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/town_year.h"

namespace convene {
namespace {

class ReplayCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(CONVENE_CONFIG_DIR, lowered_.path(),
                          std::filesystem::copy_options::recursive);
    std::string path = lowered_.Sub("rules/asb.yaml");
    std::string text = testing::ReadFile(path);
    std::ofstream(path, std::ios::trunc)
        << std::regex_replace(text, std::regex(R"(("6mo"\) >= )3)"), "$012");
  }
  int Replay(const std::string& format, std::string* out) {
    return testing::RunToCompletion(
        {CONVENE_BINARY, "rules", "replay", "--events",
         std::string(CONVENE_CONFIG_DIR) + "/samples/events.jsonl", "--from", CONVENE_CONFIG_DIR,
         "--to", lowered_.path(), "--format", format},
        out);
  }
  testing::TempDir lowered_;
};

TEST_F(ReplayCommandTest, TextNamesEachChangedRuleItsCasesWhereTheyAreAndWhatFiredOnNothing) {
  std::string out;
  ASSERT_EQ(Replay("text", &out), 0) << out;
  EXPECT_NE(out.find("asb-case-review-threshold: ASB Case Review threshold (three incidents in six "
                     "months)\n  fired 7 times before, 12 times after\n"),
            std::string::npos)
      << out;
  // Cases with their postcode and ward; tasks by partner before -> after.
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(cases affected: \d+: asb-\d{6} \(SG\d \d[A-Z]{2}, [A-Za-z ]+\))")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(tasks by partner: .*council-asb \d+ -> \d+)")));
  // A task moved to an earlier event says when, not only which event.
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(~ asb-\d{6} .*on 2026-\d\d-\d\d \(event [^)]+\) instead of on 2026-)")))
      << out;
  EXPECT_NE(out.find("Rules that would fire on no event of these:\n"), std::string::npos);
  EXPECT_NE(out.find("closure-hearing-72h: it takes effect on 2027-04-01, after the last event"),
            std::string::npos);
  EXPECT_EQ(out.find("clock/"), std::string::npos) << "internal ids in the report";
}

TEST_F(ReplayCommandTest, CsvIsARowPerRuleASpreadsheetReads) {
  std::string out;
  ASSERT_EQ(Replay("csv", &out), 0) << out;
  std::vector<std::string> rows;
  for (size_t pos = 0, end; pos < out.size(); pos = end + 2) {
    end = out.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos) << "every row ends in CRLF";
    rows.push_back(out.substr(pos, end - pos));
  }
  ASSERT_GT(rows.size(), 20u);
  EXPECT_EQ(rows[0],
            "rule,title,in_from,in_to,fired_before,fired_after,tasks_before,tasks_after,"
            "cases_affected,cases,tasks_by_partner,note");
  auto row = std::find_if(rows.begin(), rows.end(), [](const std::string& r) {
    return r.rfind("asb-case-review-threshold,", 0) == 0;
  });
  ASSERT_NE(row, rows.end());
  EXPECT_EQ(row->rfind("asb-case-review-threshold,ASB Case Review threshold (three incidents in six "
                       "months),yes,yes,7,12,",
                       0),
            0u)
      << *row;
  // Quoted where a field holds commas or quotes, quotes doubled.
  EXPECT_NE(out.find("\"fired on no event: its condition never held on the "), std::string::npos);
  EXPECT_NE(out.find("distinct(\"\"asb.report\"\""), std::string::npos);
}

TEST_F(ReplayCommandTest, HtmlIsAPageForAMeetingPack) {
  std::string out;
  ASSERT_EQ(Replay("html", &out), 0) << out;
  EXPECT_EQ(out.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(out.find("<caption>Each rule, before and after</caption>"), std::string::npos);
  EXPECT_NE(out.find("<tr class=\"changed\"><th scope=\"row\">ASB Case Review threshold (three "
                     "incidents in six months)<br><small>asb-case-review-threshold</small></th>"
                     "<td class=\"n\">7</td><td class=\"n\">12</td>"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("distinct(&quot;asb.report&quot;"), std::string::npos);  // escaped
  EXPECT_EQ(out.find("distinct(\"asb.report\""), std::string::npos);
  EXPECT_NE(out.find("</html>\n"), std::string::npos);
}

TEST_F(ReplayCommandTest, AnUnknownFormatIsRefused) {
  std::string out;
  EXPECT_NE(Replay("pdf", &out), 0);
}

// A long replay stops within moments of SIGTERM (as of Ctrl-C), saying so,
// and with the status a shell gives an interrupted command.
TEST(ReplayInterruptTest, ALongReplayStopsPromptlyOnSigterm) {
  testing::TempDir dir;
  tools::TownYearOptions o;
  o.events = 40000;
  o.year = 2025;
  std::string events = dir.Sub("year.jsonl");
  {
    std::ofstream out(events);
    for (const auto& e : tools::MakeTownYear(o)) out << e << "\n";
  }
  testing::Process run({CONVENE_BINARY, "rules", "replay", "--events", events, "--from",
                        CONVENE_CONFIG_DIR, "--to", CONVENE_CONFIG_DIR},
                       dir.Sub("replay"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(run.Running()) << "the replay ended before it could be interrupted";
  auto sent = std::chrono::steady_clock::now();
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(std::chrono::seconds(10)), 130) << run.Stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(2));
  EXPECT_NE(run.Stderr().find("replay interrupted"), std::string::npos) << run.Stderr();
  EXPECT_EQ(run.Stdout(), "");  // no report of a part
}

}  // namespace
}  // namespace convene

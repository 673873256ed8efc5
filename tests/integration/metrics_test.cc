// GET /metrics as Prometheus scrapes it from `convene run --http`: the text
// format read by a strict parser, and counters that move with the events.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "tests/support/convene_processes.h"

namespace convene::testing {
namespace {

// The Prometheus text format 0.0.4, strictly: every sample's family has a
// TYPE line before it, names and labels are well formed, values are numbers,
// counters are named _total, a histogram's buckets are cumulative with le in
// order and end at +Inf equal to its _count. Returns "name{labels}" -> value.
std::map<std::string, double> Parse(const std::string& text, std::string* error) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN))");
  std::map<std::string, std::string> types;
  std::map<std::string, double> out;
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  if (text.empty() || text.back() != '\n') *error = "the text does not end in a newline";
  for (const auto& line : Lines(text)) {
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      if (types.count(m[1])) *error = "two TYPE lines for " + m[1].str();
      types[m[1]] = m[2];
      continue;
    }
    if (std::regex_match(line, m, kHelp)) continue;
    if (!std::regex_match(line, m, kSample)) {
      *error = "not a sample: " + line;
      continue;
    }
    std::string name = m[1], family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s(suffix);
      if (!types.count(family) && family.size() > s.size() &&
          family.compare(family.size() - s.size(), s.size(), s) == 0) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    if (!types.count(family)) *error = "no TYPE before " + name;
    if (types[family] == "counter" &&
        (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0)) {
      *error = "counter not named _total: " + name;
    }
    std::string value = m[7];
    double v = value == "+Inf" ? INFINITY : std::stod(value);
    std::string key = name + m[2].str();
    if (out.count(key)) *error = "twice: " + key;
    out[key] = v;
    if (types[family] == "histogram" && name == family + "_bucket") {
      std::smatch le;
      std::string labels = m[2];
      if (!std::regex_search(labels, le, std::regex(R"re(le="([^"]+)")re"))) *error = "bucket without le";
      std::string bound = le[1];
      buckets[family].emplace_back(bound == "+Inf" ? INFINITY : std::stod(bound), v);
    }
  }
  for (const auto& [family, bs] : buckets) {
    for (size_t i = 1; i < bs.size(); ++i) {
      if (bs[i].first <= bs[i - 1].first || bs[i].second < bs[i - 1].second) {
        *error = family + ": buckets not cumulative in le order";
      }
    }
    if (bs.empty() || bs.back().first != INFINITY || bs.back().second != out[family + "_count"]) {
      *error = family + ": no +Inf bucket equal to _count";
    }
  }
  return out;
}

std::string Asb(int n) {
  std::string id = "police:M" + std::to_string(n);
  return id + "\t" + R"({"id":")" + id + R"(","type":"asb.report","occurred_at":"2026-05-0)" +
         std::to_string(1 + n % 9) + R"(T10:00:00Z","source":"police",)"
         R"("location":{"uprn":"1000800777)" + std::to_string(n % 3) +
         R"(","postcode":"SG1 1AA","ward":"Bedwell"},"data":{"category":"nuisance","incident_ref":"R)" +
         std::to_string(n) + R"("}})";
}

TEST(MetricsTest, ScrapesParseAsPrometheusTextAndCountersMoveWithEvents) {
  // The parser refuses what Prometheus would.
  for (const char* bad : {"x_total 1\n", "# TYPE x counter\nx 1\n", "# TYPE x gauge\nx one\n",
                          "# TYPE x gauge\nx{a=b} 1\n", "# TYPE x gauge\nx 1",
                          "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                          "h_sum 1\nh_count 1\n"}) {
    std::string error;
    Parse(bad, &error);
    EXPECT_FALSE(error.empty()) << bad;
  }
  TempDir dir;
  int port = FreePort();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  EmbeddedEngineProcess engine(dir, "engine", dir.Sub("data"),
                               {"--http", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(engine.ok());
  std::string text, error;
  ASSERT_TRUE(WaitFor([&] { return RunToCompletion({"curl", "-sf", url}, &text) == 0; },
                      std::chrono::seconds(20)))
      << engine.process().Stderr();
  auto before = Parse(text, &error);
  ASSERT_TRUE(error.empty()) << error << "\n" << text;
  EXPECT_EQ(before["convene_events_accepted_total"], 0);
  for (const char* name : {"convene_events_read_total", "convene_events_rejected_total",
                           "convene_events_duplicated_total", "convene_batch_apply_seconds_count",
                           "convene_tasks_overdue", "convene_timers_pending",
                           "convene_outbox_depth"}) {
    EXPECT_TRUE(before.count(name)) << name << " missing:\n" << text;
  }

  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i) lines.push_back(Asb(i));
  lines.push_back("bad\tnot an event");
  lines.push_back(Asb(0));  // the same event again
  ASSERT_EQ(KcatProduce(engine.bootstrap(), "convene.events", lines, dir), 0);
  std::map<std::string, double> after;
  ASSERT_TRUE(WaitFor(
      [&] {
        if (RunToCompletion({"curl", "-sf", url}, &text) != 0) return false;
        error.clear();
        after = Parse(text, &error);
        return after["convene_events_read_total"] == 32;
      },
      std::chrono::seconds(30)))
      << text;
  ASSERT_TRUE(error.empty()) << error << "\n" << text;
  EXPECT_EQ(after["convene_events_accepted_total"], 30);
  EXPECT_EQ(after["convene_events_rejected_total"], 1);
  EXPECT_EQ(after["convene_events_duplicated_total"], 1);
  EXPECT_EQ(after["convene_cases_opened_total"], 3);  // three addresses
  EXPECT_GE(after["convene_batch_apply_seconds_count"], 1);
  EXPECT_GT(after["convene_batch_apply_seconds_sum"], 0);
  // Three reports at an address reach the ASB Case Review threshold: tasks.
  EXPECT_GE(after["convene_tasks_issued_total{partner=\"council-asb\"}"], 3) << text;
  EXPECT_EQ(after.count("convene_rules_info{version=\"\"}"), 0u);
  // A route that is not there.
  EXPECT_NE(RunToCompletion({"curl", "-sf", "http://127.0.0.1:" + std::to_string(port) + "/nope"},
                            &text),
            0);
  EXPECT_EQ(engine.Stop(), 0);
}

}  // namespace
}  // namespace convene::testing

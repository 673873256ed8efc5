#include "rules/expression.h"

#include <gtest/gtest.h>

#include <functional>

#include <map>

namespace convene::rules {
namespace {

// A case with a fixed history, for evaluating expressions without an engine.
class FakeContext : public EvalContext {
 public:
  struct Past {
    std::string type;
    TimeMs at;
    std::string ref;
    std::map<std::string, Value> paths = {};  // what where: and same: read of it
  };
  std::map<std::string, Value> paths;
  std::vector<Past> history;
  int64_t prior = 0;
  TimeMs now = *ParseRfc3339("2026-06-01T12:00:00Z");
  Calendars cals;

  Value Resolve(const std::vector<std::string>& path) const override {
    std::string key;
    for (const auto& p : path) key += (key.empty() ? "" : ".") + p;
    auto it = paths.find(key);
    return it == paths.end() ? Value() : it->second;
  }
  // A past event as a context: its own event.* paths, the rest as the case's.
  class PastContext : public EvalContext {
   public:
    PastContext(const FakeContext& outer, const Past& p) : outer_(outer), past_(p) {}
    Value Resolve(const std::vector<std::string>& path) const override {
      std::string key;
      for (const auto& s : path) key += (key.empty() ? "" : ".") + s;
      if (path[0] != "event") return outer_.Resolve(path);
      auto it = past_.paths.find(key);
      return it == past_.paths.end() ? Value() : it->second;
    }
    int64_t Count(const TypeFilter&, TimeMs, TimeMs) const override { return 0; }
    int64_t Distinct(const TypeFilter&, const std::vector<std::string>&, TimeMs,
                     TimeMs) const override {
      return 0;
    }
    int64_t PriorCases(std::string_view, TimeMs, TimeMs) const override { return 0; }
    TimeMs Now() const override { return past_.at; }
    const Calendars& calendars() const override { return outer_.cals; }

   private:
    const FakeContext& outer_;
    const Past& past_;
  };
  void ForEachEvent(const TypeFilter& types, TimeMs from, TimeMs to,
                    const std::function<void(const EvalContext&)>& fn) const override {
    for (const auto& h : history) {
      if (types.Matches(h.type) && h.at > from && h.at <= to) fn(PastContext(*this, h));
    }
  }
  int64_t Count(const TypeFilter& types, TimeMs from, TimeMs to) const override {
    int64_t n = 0;
    for (const auto& h : history) n += types.Matches(h.type) && h.at > from && h.at <= to;
    return n;
  }
  int64_t Distinct(const TypeFilter& types, const std::vector<std::string>&, TimeMs from,
                   TimeMs to) const override {
    std::set<std::string> refs;
    for (const auto& h : history) {
      if (types.Matches(h.type) && h.at > from && h.at <= to && !h.ref.empty()) refs.insert(h.ref);
    }
    return static_cast<int64_t>(refs.size());
  }
  int64_t PriorCases(std::string_view, TimeMs, TimeMs) const override { return prior; }
  TimeMs Now() const override { return now; }
  const Calendars& calendars() const override { return cals; }
};

class ExpressionTest : public ::testing::Test {
 protected:
  Value Eval(const std::string& text) {
    auto parsed = Expression::Parse(text);
    if (auto* err = std::get_if<ExpressionError>(&parsed)) {
      ADD_FAILURE() << text << ": " << err->message;
      return Value();
    }
    return std::get<Expression>(parsed).Evaluate(ctx_);
  }
  bool Holds(const std::string& text) { return Eval(text).Truthy(); }
  ExpressionError Error(const std::string& text) {
    auto parsed = Expression::Parse(text);
    if (!std::holds_alternative<ExpressionError>(parsed)) {
      ADD_FAILURE() << "parsed: " << text;
      return {};
    }
    return std::get<ExpressionError>(parsed);
  }
  FakeContext ctx_;
};

TEST_F(ExpressionTest, LiteralsAndComparisons) {
  EXPECT_TRUE(Holds("1 < 2"));
  EXPECT_TRUE(Holds("2 <= 2 and 3 >= 2 and 3 > 2.5"));
  EXPECT_TRUE(Holds("'a' == \"a\""));
  EXPECT_TRUE(Holds("'a' != 'b'"));
  EXPECT_TRUE(Holds("true"));
  EXPECT_FALSE(Holds("false"));
  EXPECT_TRUE(Holds("-1 < 0"));
  EXPECT_TRUE(Holds("'abc' < 'abd'"));
  ctx_.paths["event.data.n"] = Value(int64_t{1});
  EXPECT_TRUE(Holds("event.data.n == '1'"));  // text that is a number compares as one
  EXPECT_FALSE(Holds("event.data.n == 'one'"));  // other text is never equal to a number
}

TEST_F(ExpressionTest, BooleanOperatorsAndPrecedence) {
  EXPECT_TRUE(Holds("true or false and false"));  // and binds tighter
  EXPECT_FALSE(Holds("(true or false) and false"));
  EXPECT_TRUE(Holds("not false"));
  EXPECT_TRUE(Holds("not not true"));
  EXPECT_FALSE(Holds("not (1 < 2)"));
}

TEST_F(ExpressionTest, PathsAndMissingValues) {
  ctx_.paths["event.data.yes_count"] = Value(int64_t{15});
  ctx_.paths["case.stage"] = Value(std::string("reported"));
  EXPECT_TRUE(Holds("event.data.yes_count >= 14"));
  EXPECT_TRUE(Holds("case.stage == 'reported'"));
  // A missing path is null: ordering with null is false either way round.
  EXPECT_FALSE(Holds("event.data.missing > 1"));
  EXPECT_FALSE(Holds("event.data.missing < 1"));
  EXPECT_TRUE(Holds("event.data.missing == null"));
  EXPECT_FALSE(Holds("event.data.yes_count == null"));
  EXPECT_TRUE(Holds("event.data.missing != 'x'"));
}

TEST_F(ExpressionTest, TextThatIsANumberComparesAsThatNumber) {
  // A system that sends ages as text: "15" is a child to `< 18`.
  ctx_.paths["event.data.age"] = Value(std::string("15"));
  ctx_.paths["event.data.padded"] = Value(std::string(" 21 "));
  ctx_.paths["event.data.words"] = Value(std::string("15 years"));
  ctx_.paths["event.data.hex"] = Value(std::string("0x0f"));
  ctx_.paths["event.data.empty"] = Value(std::string(""));
  EXPECT_TRUE(Holds("event.data.age < 18"));
  EXPECT_FALSE(Holds("event.data.age >= 18"));
  EXPECT_TRUE(Holds("event.data.age == 15"));
  EXPECT_TRUE(Holds("15 == event.data.age"));
  EXPECT_TRUE(Holds("event.data.age in [14, 15, 16]"));
  EXPECT_TRUE(Holds("event.data.padded > 20"));
  EXPECT_TRUE(Holds("event.data.age == '15'"));  // text with text, as ever
  // Text that is not a whole number is not one: never equal, never ordered.
  for (const char* path : {"words", "hex", "empty"}) {
    std::string p = std::string("event.data.") + path;
    EXPECT_FALSE(Holds(p + " < 18")) << p;
    EXPECT_FALSE(Holds(p + " >= 18")) << p;
    EXPECT_FALSE(Holds(p + " == 15")) << p;
  }
}

TEST_F(ExpressionTest, InAndListsOfSubjects) {
  ctx_.paths["case.stage"] = Value(std::string("cpn"));
  ctx_.paths["event.subjects.perpetrator"] =
      Value(Value::List{Value(std::string("person:1")), Value(std::string("person:2"))});
  EXPECT_TRUE(Holds("case.stage in ['cpn', 'enforcement']"));
  EXPECT_FALSE(Holds("case.stage in ['warning']"));
  EXPECT_TRUE(Holds("event.subjects.perpetrator == 'person:2'"));
  EXPECT_TRUE(Holds("event.subjects.perpetrator in ['person:9', 'person:1']"));
  EXPECT_FALSE(Holds("event.subjects.perpetrator in []"));
}

TEST_F(ExpressionTest, FunctionsOverTheCaseHistory) {
  auto t = [](const char* s) { return *ParseRfc3339(s); };
  ctx_.history = {{"asb.report", t("2025-11-15T10:00:00Z"), "A"},  // outside six months
                  {"asb.report", t("2026-01-10T10:00:00Z"), "B"},
                  {"asb.report", t("2026-01-11T10:00:00Z"), "B"},  // same incident, another agency
                  {"crime.report", t("2026-03-01T10:00:00Z"), "C"},
                  {"asb.report", t("2026-05-30T10:00:00Z"), "D"}};
  EXPECT_EQ(Eval("count('asb.report', '6mo')"), Value(int64_t{3}));
  EXPECT_EQ(Eval("count(['asb.report', 'crime.report'], '6mo')"), Value(int64_t{4}));
  EXPECT_EQ(Eval("count('*', '1y')"), Value(int64_t{5}));
  EXPECT_EQ(Eval("count('asb.*', '1w')"), Value(int64_t{1}));
  EXPECT_EQ(Eval("distinct('asb.report', 'event.data.incident_ref', '6mo')"), Value(int64_t{2}));
  EXPECT_TRUE(Holds("distinct(\"asb.report\", \"event.data.incident_ref\", \"6mo\") >= 2 and "
                    "count('asb.report', '6mo') == 3"));
  ctx_.prior = 2;
  EXPECT_TRUE(Holds("prior_cases('dv', '12mo') >= 1"));
}

// "A young person in 2 ASB incidents in 3 months": only the child's own
// incidents count, not every incident at the address.
TEST_F(ExpressionTest, CountAndDistinctTakeWhereAndSame) {
  auto t = [](const char* s) { return *ParseRfc3339(s); };
  auto person = [](const char* id) { return Value(Value::List{Value(std::string(id))}); };
  ctx_.history = {
      {"asb.report", t("2026-04-01T10:00:00Z"), "A",
       {{"event.subjects.young_person", person("person:C")}, {"event.data.age", Value(int64_t{15})}}},
      {"asb.report", t("2026-04-20T10:00:00Z"), "B",
       {{"event.subjects.young_person", person("person:D")}, {"event.data.age", Value(int64_t{34})}}},
      {"asb.report", t("2026-05-20T10:00:00Z"), "C",
       {{"event.subjects.young_person", person("person:C")}, {"event.data.age", Value(int64_t{15})},
        {"event.subjects.reporter", Value(Value::List{Value(std::string("person:R1")),
                                                      Value(std::string("person:R2"))})}}},
      {"asb.report", t("2025-12-01T10:00:00Z"), "D",  // outside three months
       {{"event.subjects.young_person", person("person:C")}, {"event.data.age", Value(int64_t{14})}}},
  };
  ctx_.paths["event.subjects.young_person"] = person("person:C");
  EXPECT_EQ(Eval("count('asb.report', '3mo')"), Value(int64_t{3}));
  EXPECT_EQ(Eval("count('asb.report', '3mo', same: 'event.subjects.young_person')"),
            Value(int64_t{2}));
  EXPECT_EQ(Eval("count('asb.report', '3mo', where: event.data.age < 18)"), Value(int64_t{2}));
  EXPECT_EQ(Eval("count(\"asb.report\", \"3mo\", same: \"event.subjects.young_person\", "
                 "where: event.data.age < 18)"),
            Value(int64_t{2}));
  EXPECT_EQ(Eval("count('asb.report', '3mo', where: event.data.age >= 18)"), Value(int64_t{1}));
  // Distinct complainants: a joint complaint naming two reporters counts both.
  EXPECT_EQ(Eval("distinct('asb.report', 'event.subjects.reporter', '6mo', where: true)"),
            Value(int64_t{2}));
  // With nothing to share, nothing is counted.
  ctx_.paths.erase("event.subjects.young_person");
  EXPECT_EQ(Eval("count('asb.report', '3mo', same: 'event.subjects.young_person')"),
            Value(int64_t{0}));
  EXPECT_NE(Error("count('asb.report', '3mo', whre: true)").message.find("unknown named argument"),
            std::string::npos);
  EXPECT_NE(Error("count('asb.report', '3mo', where: count('x', '1d') > 1)").message.find(
                "cannot be used inside where"),
            std::string::npos);
  EXPECT_NE(Error("count('asb.report', where: true, '3mo')").message.find("come after"),
            std::string::npos);
  EXPECT_NE(Error("exists(event.x, where: true)").message.find("takes no named arguments"),
            std::string::npos);
}

TEST_F(ExpressionTest, ExistsContainsMatchesDaysSince) {
  ctx_.paths["event.data.note"] = Value(std::string("knife seen near school"));
  ctx_.paths["case.flags"] = Value(Value::List{Value(std::string("repeat"))});
  ctx_.paths["case.opened_at"] = Value(std::string("2026-05-01T12:00:00Z"));
  ctx_.paths["event.subjects.child"] = Value(Value::List{});
  EXPECT_TRUE(Holds("exists(event.data.note)"));
  EXPECT_TRUE(Holds("exists('event.data.note')"));
  EXPECT_FALSE(Holds("exists(event.data.other)"));
  EXPECT_FALSE(Holds("exists(event.subjects.child)"));
  EXPECT_TRUE(Holds("contains(case.flags, 'repeat')"));
  EXPECT_TRUE(Holds("contains(event.data.note, 'knife')"));
  EXPECT_FALSE(Holds("contains(case.flags, 'vulnerable')"));
  EXPECT_TRUE(Holds("matches(event.data.note, '^knife\\\\b')"));
  EXPECT_FALSE(Holds("matches(event.data.other, 'x')"));
  EXPECT_EQ(Eval("days_since(case.opened_at)"), Value(int64_t{31}));
}

TEST_F(ExpressionTest, RegularExpressionsRunInLinearTimeAndIgnoreCaseWorks) {
  // Catastrophic backtracking for a backtracking matcher (and, at this length,
  // a stack overflow): RE2 answers at once.
  ctx_.paths["event.data.x"] = Value(std::string(200000, 'a') + "!");
  EXPECT_FALSE(Holds("matches(event.data.x, '(a+)+$')"));
  EXPECT_TRUE(Holds("matches(event.data.x, '(a+)+!$')"));
  ctx_.paths["event.data.note"] = Value(std::string("KNIFE seen near school"));
  EXPECT_TRUE(Holds("matches(event.data.note, '(?i)^knife')"));
  EXPECT_FALSE(Holds("matches(event.data.note, '^knife')"));
}

TEST_F(ExpressionTest, ARegexRE2CannotRunIsAnErrorAtItsColumn) {
  ExpressionError e = Error("matches(event.data.x, 'a(b)\\\\1')");
  EXPECT_EQ(e.column, 28) << e.message;
  EXPECT_NE(e.message.find("bad regular expression"), std::string::npos);
  EXPECT_EQ(Error("matches(event.data.x, 'x(?=y)')").column, 25);
}

// Found by fuzzing: parsing, checking and evaluating recurse, so depth and
// size are bounded, whatever a rules file holds.
TEST_F(ExpressionTest, DeepOrHugeExpressionsAreErrorsNotStackOverflows) {
  ExpressionError deep = Error(std::string(100000, '[') + "1" + std::string(100000, ']'));
  EXPECT_NE(deep.message.find("over 1000 parts"), std::string::npos) << deep.message;
  ExpressionError nested = Error(std::string(70, '(') + "1 < 2" + std::string(70, ')'));
  EXPECT_EQ(nested.column, 65);
  EXPECT_NE(nested.message.find("nested more than 64 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 200; ++i) nots += "not ";
  EXPECT_NE(Error(nots + "true").message.find("nested more than 64"), std::string::npos);
  std::string chain = "1 < 2";
  for (int i = 0; i < 100000; ++i) chain += " and 1 < 2";
  EXPECT_NE(Error(chain).message.find("over 1000 parts"), std::string::npos);
  // What a policy needs is far inside the limits.
  std::string fine = "1 < 2";
  for (int i = 0; i < 100; ++i) fine += " and 1 < 2";
  EXPECT_TRUE(Holds(fine));
  EXPECT_TRUE(Holds(std::string(30, '(') + "1 < 2" + std::string(30, ')')));
}

TEST_F(ExpressionTest, ErrorsNameTheColumn) {
  EXPECT_EQ(Error("case.stage = 'x'").column, 12);
  EXPECT_NE(Error("case.stage = 'x'").message.find("=="), std::string::npos);
  EXPECT_EQ(Error("count('asb.report')").column, 1);
  EXPECT_EQ(Error("count('asb.report', 'six months')").column, 21);
  EXPECT_EQ(Error("cases.stage == 'x'").column, 1);
  EXPECT_EQ(Error("1 < ").column, 5);
  EXPECT_EQ(Error("(1 < 2").column, 7);
  EXPECT_EQ(Error("'open").column, 1);
  EXPECT_EQ(Error("frobnicate(1)").column, 1);
  EXPECT_EQ(Error("matches(event.data.x, '(')").column, 23);
  EXPECT_EQ(Error("1 < 2 3").column, 7);
  EXPECT_EQ(Error("a && b").column, 3);
}

TEST_F(ExpressionTest, TypeErrorsAreFoundAtLoad) {
  EXPECT_EQ(Error("count('asb.report', '6mo') >= '3'").column, 28);
  EXPECT_NE(Error("count('asb.report', '6mo') >= '3'").message.find("a number with text"),
            std::string::npos);
  EXPECT_EQ(Error("exists(event.data.x) > 1").column, 22);
  EXPECT_EQ(Error("case.stage in 3").column, 12);
  EXPECT_EQ(Error("true < false").column, 6);
  // SPEC 3 gives some fields a type: a DASH score is a number, a flag true/false.
  EXPECT_EQ(Error("event.data.yes_count >= '14'").column, 22);
  EXPECT_NE(Error("event.data.yes_count >= '14'").message.find("write numbers without quotes"),
            std::string::npos);
  EXPECT_EQ(Error("event.data.visible_high_risk == 'yes'").column, 30);
  EXPECT_EQ(Error("count('asb.report', '6mo', where: event.data.consent == 'yes') > 0").column, 54);
  // Other paths are known only when an event arrives: no error.
  EXPECT_TRUE(std::holds_alternative<Expression>(Expression::Parse("event.data.x >= '3'")));
  EXPECT_TRUE(std::holds_alternative<Expression>(Expression::Parse("event.data.x == null")));
}

TEST_F(ExpressionTest, RendersACaretUnderTheColumn) {
  ExpressionError e{12, "bad"};
  EXPECT_EQ(e.Render("case.stage = 'x'"), "case.stage = 'x'\n           ^");
}

}  // namespace
}  // namespace convene::rules

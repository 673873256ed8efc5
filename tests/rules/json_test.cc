#include "rules/json.h"

#include <gtest/gtest.h>

#include <string>

namespace convene::json {
namespace {

std::string Nested(int depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

TEST(JsonTest, ParsesNestingUpToTheBound) {
  rapidjson::Document d;
  ASSERT_TRUE(Parse(&d, Nested(kMaxDepth)).ok());
  EXPECT_EQ(DepthOf(d), kMaxDepth);
  EXPECT_TRUE(TooDeep(d).empty());
}

TEST(JsonTest, RefusesNestingPastTheBoundAndSaysWhere) {
  rapidjson::Document d;
  Status s = Parse(&d, Nested(kMaxDepth + 1));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "nested more than 64 levels deep at byte 65");
  EXPECT_TRUE(d.IsNull());
  // Objects count as arrays do.
  std::string objects;
  for (int i = 0; i <= kMaxDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kMaxDepth + 1, '}');
  EXPECT_FALSE(Parse(&d, objects).ok());
}

TEST(JsonTest, ADocumentDeepEnoughToExhaustTheStackIsAnErrorNotACrash) {
  // 150,000 levels: RapidJSON's recursive parser overflows an 8 MiB stack.
  rapidjson::Document d;
  Status s = Parse(&d, Nested(150000, ""));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nested more than 64 levels deep"), std::string::npos);
  // And within a batch's bound, each record is judged on its own.
  ASSERT_TRUE(Parse(&d, "[" + Nested(kMaxDepth) + "," + Nested(kMaxDepth + 5) + "]",
                    kMaxBatchDepth).ok());
  EXPECT_TRUE(TooDeep(d[0]).empty());
  EXPECT_EQ(TooDeep(d[1]), "nested more than 64 levels deep");
}

TEST(JsonTest, AnEscapeOfHalfASurrogatePairIsNotText) {
  // Found by fuzz_api: decoded to bytes that are not UTF-8, which the console
  // then put in an event the engine refused.
  rapidjson::Document d;
  Status s = Parse(&d, R"({"note":"ca\udc00fe"})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("half a surrogate pair"), std::string::npos) << s.message();
  EXPECT_FALSE(Parse(&d, R"({"\ud800":1})").ok());  // in a key too
  // A whole pair, and text of three-byte characters (ED 9F BF is U+D7FF), are text.
  ASSERT_TRUE(Parse(&d, R"({"note":"\ud83d\ude00 \ud7ff \u00e9"})").ok());
  EXPECT_EQ(GetString(d, "note"), "\xF0\x9F\x98\x80 \xED\x9F\xBF \xC3\xA9");
}

TEST(JsonTest, ReportsSyntaxErrorsAsRapidJsonDoes) {
  rapidjson::Document d;
  Status s = Parse(&d, "{\"a\":1} x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "The document root must not be followed by other values. at byte 9");
  EXPECT_TRUE(Parse(&d, "\xEF\xBB\xBF{\"a\":\"caf\xC3\xA9\"}").ok());  // a BOM, as Parse skips
  EXPECT_EQ(GetString(d, "a"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace convene::json

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

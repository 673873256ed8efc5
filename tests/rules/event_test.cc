#include "rules/event.h"

#include <gtest/gtest.h>

#include "rules/text.h"

namespace convene::rules {
namespace {

bool KnownPartner(std::string_view s) { return s == "police" || s == "housing"; }

std::string Reason(std::string_view bytes) {
  auto r = ParseEvent(bytes, KnownPartner);
  EXPECT_FALSE(r.ok()) << "accepted: " << bytes;
  return r.ok() ? "" : r.status().message();
}

constexpr const char* kValid =
    R"({"id":"police:INC-1","type":"asb.report","occurred_at":"2026-03-01T14:05:00Z",)"
    R"("source":"police","subjects":[{"id":"person:P-1","role":"perpetrator"},)"
    R"({"id":"person:R-1","role":"reporter"}],"location":{"uprn":"100080012345","postcode":"SG1 1AA"},)"
    R"("data":{"category":"nuisance","incident_ref":"INC-1"}})";

TEST(EventTest, AcceptsTheSpecExample) {
  auto r = ParseEvent(kValid, KnownPartner);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Event& e = **r;
  EXPECT_EQ(e.id(), "police:INC-1");
  EXPECT_EQ(e.type(), "asb.report");
  EXPECT_EQ(e.source(), "police");
  EXPECT_EQ(e.occurred_at(), *ParseRfc3339("2026-03-01T14:05:00Z"));
  ASSERT_EQ(e.subjects().size(), 2u);
  EXPECT_EQ(e.Resolve({"location", "uprn"}), Value(std::string("100080012345")));
  EXPECT_EQ(e.Resolve({"subjects", "perpetrator"}),
            Value(Value::List{Value(std::string("person:P-1"))}));
  EXPECT_TRUE(e.Resolve({"data", "missing"}).is_null());
  EXPECT_TRUE(e.Resolve({"location", "uprn", "deeper"}).is_null());
}

TEST(EventTest, ReadsOffsetsAndFractionalSeconds) {
  auto r = ParseEvent(
      R"({"id":"a","type":"t","occurred_at":"2026-07-01T15:05:00.250+01:00","source":"police"})",
      KnownPartner);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->occurred_at(), *ParseRfc3339("2026-07-01T14:05:00Z") + 250);
}

TEST(EventTest, TextCutInsideACharacterIsFoundInvalidWhereItStarts) {
  // Found by fuzzing: the check read past the end of such text.
  EXPECT_EQ(text::InvalidUtf8At("Incident Numbe\xF2"), 14u);
  EXPECT_EQ(text::InvalidUtf8At(std::string("ab\xE2\x82", 4)), 2u);
  EXPECT_FALSE(text::InvalidUtf8At("caf\xC3\xA9"));
}

TEST(EventTest, RejectsWhatIsNotJson) {
  EXPECT_NE(Reason("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(Reason("").find("not valid JSON"), std::string::npos);
  EXPECT_NE(Reason(R"({"id":"a"} trailing)").find("not valid JSON"), std::string::npos);
}

TEST(EventTest, RejectsDataNestedPastTheBound) {
  // 150,000 levels in data crashed the engine at every start (a poison pill).
  for (int depth : {63, 150000}) {
    std::string bytes = R"({"id":"a","type":"t","occurred_at":"2026-03-01T14:05:00Z",)"
                        R"("source":"police","data":{"x":)" +
                        std::string(depth, '[') + std::string(depth, ']') + "}}";
    std::string reason = Reason(bytes);
    EXPECT_NE(reason.find("not valid JSON: nested more than 64 levels deep at byte "),
              std::string::npos) << reason;
  }
}

TEST(EventTest, RejectsInvalidUtf8) {
  std::string bytes = R"({"id":"a)";
  bytes += "\xff\xfe";
  bytes += R"(","type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"police"})";
  EXPECT_NE(Reason(bytes).find("not valid JSON"), std::string::npos);
}

TEST(EventTest, RejectsAValueThatIsNotAnObject) {
  EXPECT_NE(Reason("[1,2]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(Reason("42").find("must be a JSON object"), std::string::npos);
}

TEST(EventTest, RejectsEachMissingRequiredField) {
  EXPECT_EQ(Reason(R"({"type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"police"})"),
            "required field 'id' is missing");
  EXPECT_EQ(Reason(R"({"id":"a","occurred_at":"2026-03-01T14:05:00Z","source":"police"})"),
            "required field 'type' is missing");
  EXPECT_EQ(Reason(R"({"id":"a","type":"t","source":"police"})"),
            "required field 'occurred_at' is missing");
  EXPECT_EQ(Reason(R"({"id":"a","type":"t","occurred_at":"2026-03-01T14:05:00Z"})"),
            "required field 'source' is missing");
}

TEST(EventTest, RejectsRequiredFieldsOfTheWrongType) {
  EXPECT_EQ(Reason(R"({"id":7,"type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"police"})"),
            "field 'id' must be a string, not a number");
  EXPECT_EQ(Reason(R"({"id":"a","type":null,"occurred_at":"2026-03-01T14:05:00Z","source":"police"})"),
            "field 'type' must be a string, not null");
  EXPECT_EQ(Reason(R"({"id":"","type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"police"})"),
            "field 'id' is empty");
}

TEST(EventTest, RejectsBadTimestamps) {
  for (const char* t : {"2026-03-01T14:05:00", "2026-13-01T14:05:00Z", "2026-02-30T10:00:00Z",
                        "31/03/2026 14:05", "2026-03-01T25:00:00Z", "2026-03-01T14:05:00+1"}) {
    std::string bytes = std::string(R"({"id":"a","type":"t","occurred_at":")") + t +
                        R"(","source":"police"})";
    EXPECT_NE(Reason(bytes).find("not an RFC 3339 timestamp"), std::string::npos) << t;
  }
}

TEST(EventTest, RejectsAnUnknownSource) {
  EXPECT_NE(Reason(R"({"id":"a","type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"fire"})")
                .find("unknown source 'fire'"),
            std::string::npos);
}

TEST(EventTest, RejectsMalformedOptionalFields) {
  const std::string head = R"({"id":"a","type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"police",)";
  EXPECT_EQ(Reason(head + R"("subjects":{}})"), "field 'subjects' must be a list, not an object");
  EXPECT_EQ(Reason(head + R"("subjects":["x"]})"), "subjects[0] must be an object with id and role");
  EXPECT_EQ(Reason(head + R"("subjects":[{"id":"p"}]})"),
            "subjects[0]: required field 'role' is missing");
  EXPECT_EQ(Reason(head + R"("location":"SG1"})"), "field 'location' must be an object, not a string");
  EXPECT_EQ(Reason(head + R"("data":[1]})"), "field 'data' must be an object, not a list");
}

TEST(EventTest, RejectsEventsOverOneMebibyte) {
  std::string big = R"({"id":"a","type":"t","occurred_at":"2026-03-01T14:05:00Z","source":"police","data":{"x":")";
  big += std::string(kMaxEventBytes, 'x');
  big += R"("}})";
  EXPECT_NE(Reason(big).find("over the 1 MiB limit"), std::string::npos);
}

}  // namespace
}  // namespace convene::rules

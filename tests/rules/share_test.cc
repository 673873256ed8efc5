#include "rules/share.h"

#include <gtest/gtest.h>

namespace convene::rules {
namespace {

std::shared_ptr<const Event> SampleEvent() {
  auto e = ParseEvent(
      R"({"id":"e1","type":"asb.report","occurred_at":"2026-03-01T14:05:00Z","source":"police",)"
      R"("subjects":[{"id":"person:P-1","role":"perpetrator"},{"id":"person:V-1","role":"victim"}],)"
      R"("location":{"uprn":"1","postcode":"SG1 1AA"},)"
      R"("data":{"tenancy_ref":"T-9","medical":"confidential","incident_ref":"I-1"}})",
      [](std::string_view) { return true; });
  return *e;
}

CaseView SampleCase() {
  CaseView c;
  c.id = "asb-000001";
  c.type = "asb";
  c.stage = "reported";
  c.flags = {"repeat"};
  c.fields["risk"] = "high";
  return c;
}

TEST(ShareTest, CarriesOnlyTheSharedPaths) {
  Partner housing;
  housing.id = "housing";
  housing.share = {{"case"}, {"event", "location"}, {"event", "subjects", "perpetrator"},
                   {"event", "data", "tenancy_ref"}};
  SharedContext ctx = BuildContext(housing, *SampleEvent(), SampleCase());
  rapidjson::Document d;
  d.Parse(ctx.json.c_str());
  ASSERT_TRUE(d.IsObject()) << ctx.json;
  EXPECT_STREQ(d["case"]["id"].GetString(), "asb-000001");
  EXPECT_STREQ(d["case"]["risk"].GetString(), "high");
  EXPECT_STREQ(d["event"]["location"]["postcode"].GetString(), "SG1 1AA");
  ASSERT_EQ(d["event"]["subjects"]["perpetrator"].Size(), 1u);
  EXPECT_STREQ(d["event"]["subjects"]["perpetrator"][0].GetString(), "person:P-1");
  EXPECT_STREQ(d["event"]["data"]["tenancy_ref"].GetString(), "T-9");
  EXPECT_FALSE(d["event"]["data"].HasMember("medical"));
  EXPECT_FALSE(d["event"]["subjects"].HasMember("victim"));
  EXPECT_EQ(ctx.withheld, (std::vector<std::string>{"event.data.medical", "event.data.incident_ref",
                                                    "event.subjects.victim"}));
}

TEST(ShareTest, APartnerWithNoAgreementSeesNothing) {
  Partner nobody;
  nobody.id = "nobody";
  SharedContext ctx = BuildContext(nobody, *SampleEvent(), SampleCase());
  EXPECT_EQ(ctx.json, "{}");
  EXPECT_EQ(ctx.withheld.size(), 6u);
}

TEST(ShareTest, OneCaseFieldCanBeSharedAlone) {
  Partner p;
  p.share = {{"case", "stage"}, {"event", "data"}};
  SharedContext ctx = BuildContext(p, *SampleEvent(), SampleCase());
  EXPECT_EQ(ctx.json,
            R"({"case":{"stage":"reported"},"event":{"data":{"tenancy_ref":"T-9",)"
            R"("medical":"confidential","incident_ref":"I-1"}}})");
}

}  // namespace
}  // namespace convene::rules

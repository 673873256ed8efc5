#include "connectors/mapping.h"

#include <gtest/gtest.h>

#include "rules/json.h"
#include "rules/text.h"
#include "tests/support/temp_dir.h"

namespace convene::connectors {
namespace {

const char* kPolice = R"(source: police
type: csv
timezone: Europe/London
id: "police:{{Incident Number}}"
event_type:
  from: "Category"
  map: {ASB-P: asb.report, ASB-N: asb.report, CRIME: crime.report}
  otherwise: reject
fields:
  occurred_at: {from: "Date/Time", format: "%d/%m/%Y %H:%M"}
  location.uprn: {from: "UPRN", normalise: digits}
  location.postcode: {from: "Postcode", normalise: postcode}
  location.ward: "Ward"
  data.incident_ref: "Incident Number"
  data.category: {from: "Category", map: {ASB-P: personal, ASB-N: nuisance}, otherwise: omit}
  data.hate_motivation: {from: "Hate", map: {N: none, RACE: race}}
  data.yes_count: {from: "DASH Score", as: integer}
  data.channel: {value: "999"}
subjects:
  - {id: "person:{{Suspect Ref}}", role: perpetrator, if: "Suspect Ref"}
  - {id: "person:{{Victim Ref}}", role: victim, if: "Victim Ref"}
)";

class MappingTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Mapping> Load(const std::string& yaml) {
    dir_.Write("m.yaml", yaml);
    auto r = Mapping::Load(dir_.Sub("m.yaml"));
    if (auto* e = std::get_if<std::vector<rules::ConfigError>>(&r)) {
      for (const auto& err : *e) ADD_FAILURE() << err.ToString();
      return nullptr;
    }
    return std::get<std::shared_ptr<const Mapping>>(r);
  }
  std::vector<std::string> Errors(const std::string& yaml) {
    dir_.Write("m.yaml", yaml);
    auto r = Mapping::Load(dir_.Sub("m.yaml"));
    std::vector<std::string> out;
    if (auto* e = std::get_if<std::vector<rules::ConfigError>>(&r)) {
      for (const auto& err : *e) out.push_back(err.ToString().substr(dir_.Sub("m.yaml").size()));
    }
    return out;
  }
  // A CSV row as the csv source hands it over.
  static rapidjson::Document Row(const std::map<std::string, std::string>& fields) {
    rapidjson::Document d(rapidjson::kObjectType);
    for (const auto& [k, v] : fields) {
      d.AddMember(rapidjson::Value(k.c_str(), d.GetAllocator()),
                  rapidjson::Value(v.c_str(), d.GetAllocator()), d.GetAllocator());
    }
    return d;
  }
  static std::map<std::string, std::string> Asb() {
    return {{"Incident Number", "INC-1"}, {"Date/Time", "01/03/2026 14:05"}, {"Category", "ASB-N"},
            {"UPRN", "1000 8001 2345"}, {"Postcode", "sg1  1aa"}, {"Ward", "Bedwell"},
            {"Hate", ""}, {"DASH Score", ""}, {"Suspect Ref", "P-1"}, {"Victim Ref", ""}};
  }

  testing::TempDir dir_;
};

TEST_F(MappingTest, ARowBecomesTheEventTheSpecDescribes) {
  auto m = Load(kPolice);
  ASSERT_TRUE(m);
  auto event = m->Apply(Row(Asb()));
  ASSERT_TRUE(event.ok()) << event.status().message();
  EXPECT_EQ(*event,
            R"({"id":"police:INC-1","type":"asb.report","source":"police",)"
            R"("occurred_at":"2026-03-01T14:05:00Z","location":{"uprn":"100080012345",)"
            R"("postcode":"SG1 1AA","ward":"Bedwell"},"data":{"incident_ref":"INC-1",)"
            R"("category":"nuisance","channel":"999"},"subjects":[{"id":"person:P-1","role":"perpetrator"}]})");
}

TEST_F(MappingTest, LocalTimesAreReadInTheMappingsTimeZone) {
  auto m = Load(kPolice);
  auto row = Asb();
  row["Date/Time"] = "01/07/2026 14:05";  // summer time: 13:05 UTC
  auto event = m->Apply(Row(row));
  ASSERT_TRUE(event.ok());
  EXPECT_NE(event->find(R"("occurred_at":"2026-07-01T13:05:00Z")"), std::string::npos) << *event;
  // 01:30 on the night the clocks go back happens twice: the first is taken.
  row["Date/Time"] = "25/10/2026 01:30";
  event = m->Apply(Row(row));
  ASSERT_TRUE(event.ok());
  EXPECT_NE(event->find(R"("occurred_at":"2026-10-25T00:30:00Z")"), std::string::npos) << *event;
  row["Date/Time"] = "29/03/2026 01:30";  // never happened
  event = m->Apply(Row(row));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().message(),
            "'Date/Time': '29/03/2026 01:30' is a local time that does not exist in "
            "Europe/London (the clocks went forward)");
}

TEST_F(MappingTest, BadValuesAreRejectedWithTheColumnAndWhatWasExpected) {
  auto m = Load(kPolice);
  auto reason = [&](const std::string& column, const std::string& value) {
    auto row = Asb();
    row[column] = value;
    auto e = m->Apply(Row(row));
    return e.ok() ? std::string("accepted") : e.status().message();
  };
  EXPECT_EQ(reason("Date/Time", "31/02/2026 10:00"),
            "'Date/Time': '31/02/2026 10:00' is not a date and time in the format %d/%m/%Y %H:%M");
  // Found by fuzzing: seconds missing after the colon left date.h reading an unset value.
  EXPECT_EQ(reason("Date/Time", "02/09/2026 23:20:"),
            "'Date/Time': '02/09/2026 23:20:' is not a date and time: a ':' with no digits after it");
  EXPECT_EQ(reason("Postcode", "SG1"), "'Postcode': 'SG1' is not a full UK postcode (e.g. SG1 1AA)");
  EXPECT_EQ(reason("UPRN", "n/a"), "'UPRN' is 'n/a', which has no digits");
  EXPECT_EQ(reason("DASH Score", "high"), "'DASH Score' is 'high', not a whole number");
  EXPECT_EQ(reason("Incident Number", " "), "id: 'Incident Number' is empty");
  EXPECT_NE(reason("Category", "ASB-Q").find("'Category' is 'ASB-Q', which the mapping ("),
            std::string::npos);
  // A value the map does not know is kept, and then checked against SPEC 3.
  auto row = Asb();
  row["Category"] = "CRIME";
  row["Hate"] = "RACE/REL";
  auto crime = m->Apply(Row(row));
  ASSERT_FALSE(crime.ok());
  EXPECT_EQ(crime.status().message(),
            "crime.report: data.hate_motivation is 'RACE/REL'; it must be one of race, religion, "
            "sexual_orientation, disability, transgender, none");
}

TEST_F(MappingTest, EventsAreCheckedAgainstTheDataTheSpecDefines) {
  auto m = Load(kPolice);
  auto row = Asb();
  row["Category"] = "CRIME";
  row["Hate"] = "RACE";
  row["Victim Ref"] = "V-9";
  auto event = m->Apply(Row(row));
  ASSERT_TRUE(event.ok()) << event.status().message();
  EXPECT_NE(event->find(R"("type":"crime.report")"), std::string::npos);
  EXPECT_EQ(event->find("category"), std::string::npos);  // otherwise: omit
  EXPECT_NE(event->find(R"({"id":"person:V-9","role":"victim"})"), std::string::npos);

  rapidjson::Document data;
  data.Parse(R"({"yes_count": 25})");
  EXPECT_EQ(CheckDefinedData("dash.assessment", data).message(),
            "dash.assessment: data.yes_count is 25; it must be a whole number from 0 to 24");
  data.Parse(R"({})");
  EXPECT_EQ(CheckDefinedData("dash.assessment", data).message(),
            "dash.assessment needs data.yes_count (0 to 24)");
  data.Parse(R"({"category": "noise"})");
  EXPECT_FALSE(CheckDefinedData("asb.report", data).ok());
  EXPECT_TRUE(CheckDefinedData("case.note", data).ok());
}

TEST_F(MappingTest, JsonRecordsUseDottedPathsListsAndFallbacks) {
  auto m = Load(R"(source: housing
type: jsonl
id: "housing:{{report_id}}"
event_type: asb.report
fields:
  occurred_at: {from: reported_at, format: "%Y-%m-%d %H:%M"}
  location.uprn: {from: property.uprn, normalise: digits}
  data.incident_ref: {from: [police_ref, report_id]}
  data.category: {from: category, map: {Noise: nuisance}}
subjects:
  - each: people
    id: "person:{{ref}}"
    role: {from: role, map: {"Alleged perpetrator": perpetrator, Complainant: reporter}, otherwise: reject}
)");
  ASSERT_TRUE(m);
  rapidjson::Document r;
  r.Parse(R"({"report_id": "H-1", "reported_at": "2026-01-05 09:00", "police_ref": null,
              "property": {"uprn": 100080012345}, "category": "Noise",
              "people": [{"ref": "P-1", "role": "Alleged perpetrator"}, {"ref": "R-1", "role": "Complainant"}]})");
  auto event = m->Apply(r);
  ASSERT_TRUE(event.ok()) << event.status().message();
  EXPECT_EQ(*event,
            R"({"id":"housing:H-1","type":"asb.report","source":"housing","occurred_at":"2026-01-05T09:00:00Z",)"
            R"("location":{"uprn":"100080012345"},"data":{"incident_ref":"H-1","category":"nuisance"},)"
            R"("subjects":[{"id":"person:P-1","role":"perpetrator"},{"id":"person:R-1","role":"reporter"}]})");
  r["police_ref"].SetString("STV/26/1");
  r["people"][1]["role"].SetString("Landlord");
  event = m->Apply(r);
  ASSERT_FALSE(event.ok());
  EXPECT_NE(event.status().message().find("role: 'role' is 'Landlord', which the mapping"),
            std::string::npos);
}

TEST_F(MappingTest, MistakesInAMappingNameTheLineAndColumn) {
  auto errors = Errors(R"(source: police
type: csv
id: "police:{{Incident Number"
event_type: {from: Category, map: {A: asb.report}}
fields:
  occured_at: {from: "Date/Time"}
  location.uprn: {from: UPRN, normalise: numbers, as: digits}
  data.x: {form: X}
)");
  const std::string not_a_path =
      ":6:3: fields: 'occured_at' is not an event path: occurred_at, location.NAME or data.NAME "
      "(id, type and source have their own keys)";
  const std::string needs_occurred_at =
      ":6:3: fields needs occurred_at: when it happened, e.g. occurred_at: {from: \"Date/Time\", "
      "format: \"%d/%m/%Y %H:%M\"}";
  EXPECT_EQ(errors, (std::vector<std::string>{
      ":3:5: '{{' without '}}' in \"police:{{Incident Number\"",
      not_a_path,
      ":7:55: location.uprn: as: one of text, integer, number, boolean, timestamp",
      ":7:42: location.uprn: normalise: one of postcode, digits, upper, lower",
      ":8:12: unknown key 'form' in data.x (did you mean 'from'?)",
      ":8:11: data.x needs from: (a column) or value: (a constant)",
      needs_occurred_at}));
}

TEST(TextTest, Windows1252BecomesUtf8AndBadBytesAreFound) {
  EXPECT_EQ(text::Windows1252ToUtf8("Caf\xe9 \x80" "5"), "Caf\xC3\xA9 \xE2\x82\xAC" "5");
  EXPECT_EQ(text::InvalidUtf8At("Caf\xe9"), std::optional<size_t>(3));
  EXPECT_EQ(text::InvalidUtf8At("Caf\xC3\xA9"), std::nullopt);
  EXPECT_EQ(text::InvalidUtf8At(std::string("a\0b", 3)), std::optional<size_t>(1));
}

}  // namespace
}  // namespace convene::connectors

#include "rules/config_loader.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace convene::rules {
namespace {

constexpr const char* kPartners = R"(partners:
  - id: housing
    name: Borough Council Housing
    share: [case, event.location]
  - id: council-asb
    name: ASB team
    share: [case]
)";
constexpr const char* kCaseTypes = R"(case_types:
  - id: asb
    opened_by: [asb.report]
    correlate_by: [event.location.uprn]
    stages: [reported, warning, case-review]
)";
constexpr const char* kCalendar = R"(timezone: Europe/London
calendars:
  working-days: {closed: [saturday, sunday], holidays: [2026-12-25]}
)";

class ConfigLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("partners.yaml", kPartners);
    dir_.Write("case_types.yaml", kCaseTypes);
    dir_.Write("calendar.yaml", kCalendar);
  }
  std::vector<ConfigError> Errors() {
    auto r = LoadRuleSet(dir_.path());
    if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) return *e;
    return {};
  }
  // The first error of rules/asb.yaml holding `yaml`, or "" when it loads.
  std::string FirstError(const std::string& yaml) {
    dir_.Write("rules/asb.yaml", yaml);
    auto errors = Errors();
    return errors.empty() ? std::string() : errors[0].ToString();
  }
  std::shared_ptr<const RuleSet> Loaded() {
    auto r = LoadRuleSet(dir_.path());
    if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) {
      for (const auto& err : *e) ADD_FAILURE() << err.ToString();
      return nullptr;
    }
    return std::get<std::shared_ptr<const RuleSet>>(r);
  }
  testing::TempDir dir_;
};

TEST_F(ConfigLoaderTest, TheShippedConfigLoads) {
  auto r = LoadRuleSet(CONVENE_CONFIG_DIR);
  if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const auto& err : *e) ADD_FAILURE() << err.ToString();
  }
  auto set = std::get<std::shared_ptr<const RuleSet>>(r);
  EXPECT_GE(set->partners.size(), 3u);
  EXPECT_NE(set->FindCaseType("asb"), nullptr);
  EXPECT_EQ(set->version.size(), 12u);
}

TEST_F(ConfigLoaderTest, LoadsARuleWithDefaults) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    when: count("asb.report", "6mo") >= 3
    then:
      - escalate: case-review
      - task: {to: [housing, council-asb], title: "Review {{case.id}}", due: 10 working days}
)");
  auto set = Loaded();
  ASSERT_TRUE(set);
  ASSERT_EQ(set->rules.size(), 1u);
  const Rule& r = set->rules[0];
  EXPECT_EQ(r.then.size(), 2u);
  EXPECT_EQ(r.then[1].task.to.size(), 2u);
  EXPECT_EQ(r.then[1].task.priority, "normal");
  EXPECT_EQ(set->FindPartner("housing")->topic, "convene.tasks.housing");
}

TEST_F(ConfigLoaderTest, ATitleShowingWhatAPartnerMayNotSeeIsRefused) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    then:
      - task:
          to: housing
          title: "Reporter {{event.subjects.reporter}} age {{event.data.age}} at {{event.location.postcode}}"
          sla:
            acknowledge: 2d
            on_breach:
              - task: {to: council-asb, title: "Overdue: {{task.title}}"}
)");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  ASSERT_EQ(text.size(), 5u) << ::testing::PrintToString(text);
  EXPECT_EQ(text[0], "rules/asb.yaml:8:28: the title shows event.subjects.reporter, which "
                     "housing's share does not allow (take it out of the title, or add it to "
                     "housing's share in partners.yaml)");
  EXPECT_EQ(text[1].substr(0, 55), "rules/asb.yaml:8:60: the title shows event.data.age, wh");
  // The escalation's {{task.title}} would carry all three to council-asb,
  // whose share is the case alone.
  for (int i = 2; i < 5; ++i) {
    EXPECT_NE(text[i].find("rules/asb.yaml:12:58:"), std::string::npos) << text[i];
    EXPECT_NE(text[i].find(" (through {{task.title}}), which council-asb's share does not allow"),
              std::string::npos)
        << text[i];
  }
}

TEST_F(ConfigLoaderTest, ATitleShowingTheCasesSubjectsNeedsThemSharedByName) {
  // `case` shares the case's own fields, not everyone its events named.
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    then:
      - task: {to: housing, title: "Leak {{case.subjects}}"}
)");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  ASSERT_EQ(text.size(), 1u) << ::testing::PrintToString(text);
  EXPECT_EQ(text[0], "rules/asb.yaml:6:42: the title shows case.subjects, which housing's share "
                     "does not allow (take it out of the title, or add it to housing's share in "
                     "partners.yaml)");
  dir_.Write("partners.yaml", R"(partners:
  - id: housing
    name: Borough Council Housing
    share: [case, case.subjects, event.location]
  - id: council-asb
    name: ASB team
    share: [case]
)");
  EXPECT_TRUE(Errors().empty());
}

TEST_F(ConfigLoaderTest, AnUnknownPlaceholderIsAnErrorWithTheNearestField) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    then:
      - set: {risk: high}
      - task: {to: housing, title: "{{case.idd}} {{case.risk}} {{event.locaton.ward}} {{rule.name}}"}
)");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  ASSERT_EQ(text.size(), 3u) << ::testing::PrintToString(text);
  // In reading order; case.risk is written by the rule's `set`.
  EXPECT_NE(text[0].find("rules/asb.yaml:7:37: title: unknown placeholder '{{case.idd}}'"),
            std::string::npos) << text[0];
  EXPECT_NE(text[0].find("did you mean 'case.id'?"), std::string::npos);
  EXPECT_NE(text[1].find("7:64: title: unknown placeholder '{{event.locaton.ward}}'"),
            std::string::npos) << text[1];
  EXPECT_NE(text[1].find("did you mean 'event.location'?"), std::string::npos);
  EXPECT_NE(text[2].find("7:87: title: unknown placeholder '{{rule.name}}'"), std::string::npos)
      << text[2];
}

TEST_F(ConfigLoaderTest, LinkTakesOnlyACorrelateByPathOfTheRulesCaseType) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    then:
      - link: event.location.uprn
      - link: event.location.uprm
      - link: event.location.ward
)");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  ASSERT_EQ(text.size(), 2u) << ::testing::PrintToString(text);
  EXPECT_NE(text[0].find("rules/asb.yaml:7:15: link: 'event.location.uprm' is not a "
                         "correlate_by path of case type 'asb'"),
            std::string::npos) << text[0];
  EXPECT_NE(text[0].find("did you mean 'event.location.uprn'?"), std::string::npos);
  EXPECT_NE(text[1].find("8:15: link: 'event.location.ward'"), std::string::npos) << text[1];
}

// Found by fuzzing: yaml-cpp throws when a plain value is read as a map, and a
// running engine reloads through this loader.
TEST_F(ConfigLoaderTest, AFileOrSectionOfTheWrongShapeIsAnErrorNotACrash) {
  dir_.Write("rules/asb.yaml", "rules\n");
  dir_.Write("rules/b.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    then:
      - task: {to: housing, title: "x", sla: 2d}
)");
  dir_.Write("panels.yaml", "just text\n");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  ASSERT_EQ(text.size(), 3u) << ::testing::PrintToString(text);
  EXPECT_NE(text[0].find("panels.yaml:1:1: panels.yaml holds 'panels:'"), std::string::npos)
      << text[0];
  EXPECT_NE(text[1].find("rules/asb.yaml:1:1: rules/asb.yaml holds 'rules:'"), std::string::npos)
      << text[1];
  EXPECT_NE(text[2].find("rules/b.yaml:6:46: sla takes {acknowledge, complete, on_breach}"),
            std::string::npos)
      << text[2];
}

// The typos a policy officer makes that used to load silently, so that the
// rule never fired and nobody knew.
TEST_F(ConfigLoaderTest, AMistypedStageIsAnErrorAndAMistypedEventTypeAWarning) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    when: case.stage == "reportd" or case.stage != "casereview" or case.stage in ["warning", "warnnig"]
    then:
      - flag: x
  - id: r2
    on: [asb.reprot]
    case: asb
    when: distinct("asb.reprot", "event.data.incident_ref", "6mo") >= 3
    then:
      - flag: y
)");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  ASSERT_EQ(text.size(), 3u) << ::testing::PrintToString(text);
  EXPECT_EQ(text[0], "rules/asb.yaml:5:25: when: case type 'asb' has no stage 'reportd' (did you "
                     "mean 'reported'?)");
  EXPECT_NE(text[1].find("5:52: when: case type 'asb' has no stage 'casereview' (did you mean "
                         "'case-review'?)"),
            std::string::npos)
      << text[1];
  EXPECT_NE(text[2].find("5:94: when: case type 'asb' has no stage 'warnnig'"), std::string::npos)
      << text[2];
  // With the stages right, it loads, with a warning for each mistyped event type.
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r2
    on: [asb.reprot]
    case: asb
    when: distinct("asb.reprot", "event.data.incident_ref", "6mo") >= 3
    then:
      - flag: y
)");
  auto set = Loaded();
  ASSERT_TRUE(set);
  std::vector<std::string> warnings;
  for (const auto& w : set->warnings) {
    if (w.file == "rules/asb.yaml") warnings.push_back(w.ToString());
  }
  ASSERT_EQ(warnings.size(), 2u) << ::testing::PrintToString(warnings);
  EXPECT_EQ(warnings[0].substr(0, 46), "rules/asb.yaml:3:10: event type 'asb.reprot' i");
  EXPECT_NE(warnings[0].find("(did you mean 'asb.report'?)"), std::string::npos) << warnings[0];
  EXPECT_EQ(warnings[1].substr(0, 21), "rules/asb.yaml:5:20: ");
}

// Each item of `on` is read once: a wrong one is one error, and a mistyped
// event type is named at its own item, also when the list repeats a type.
TEST_F(ConfigLoaderTest, EachItemOfOnIsReadOnceAndNamedAtItsOwnPosition) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report, {a: 1}, asb.report]
    case: asb
    then:
      - flag: x
)");
  std::vector<std::string> text;
  for (const auto& e : Errors()) text.push_back(e.ToString());
  EXPECT_EQ(text, std::vector<std::string>{
                      "rules/asb.yaml:3:22: on: each item must be a single value"});
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.reprot, asb.report, asb.reprot]
    case: asb
    then:
      - flag: x
)");
  auto set = Loaded();
  ASSERT_TRUE(set);
  std::vector<std::string> at;
  for (const auto& w : set->warnings) {
    if (w.file == "rules/asb.yaml") at.push_back(w.ToString().substr(0, 20));
  }
  EXPECT_EQ(at, (std::vector<std::string>{"rules/asb.yaml:3:10:", "rules/asb.yaml:3:34:"}));
}

// yaml-cpp's own messages name a cause ("end of map not found") and
// sometimes a line that are not what a person must fix.
TEST_F(ConfigLoaderTest, YamlMistakesNameTheirRealLineAndCause) {
  EXPECT_EQ(FirstError("rules:\n  - id: r1\n\ton: [asb.report]\n"),
            "rules/asb.yaml:3:1: YAML: a tab in the indentation: YAML indents with spaces only "
            "(replace the tab with spaces, lined up with the lines above)");
  EXPECT_EQ(FirstError("rules:\n  - id: r1\n    on: [asb.report]\n   case: asb\n    then: []\n"),
            "rules/asb.yaml:4:4: YAML: this line's indentation (3 spaces) lines up with no line "
            "above it: YAML nests by indentation, so line it up with the keys it belongs with");
  EXPECT_EQ(FirstError("rules:\n  - id: r1\n    title: \"Case review\n    on: [asb.report]\n"),
            "rules/asb.yaml:3:12: YAML: the double quote opened here is never closed: close it "
            "on this line");
  // Quotes inside plain values, doubled quotes, comments and block text are not openings.
  EXPECT_EQ(FirstError("rules:\n  - id: r1  # the officer's rule\n    title: Don't 'quote' me\n"
                  "    on: ['asb.report']\n    case: asb\n"
                  "    when: 'case.stage == ''reported'''\n"
                  "    then:\n      - task:\n          to: housing\n          title: |\n"
                  "            it's \"quoted\n"),
            "");
}

TEST_F(ConfigLoaderTest, NestingPastTheBoundIsAnErrorAtItsPlace) {
  const std::string kTooDeep = "YAML: nested more than 64 levels deep; a configuration needs a few";
  // Within yaml-cpp's own guard: the loader's bound, at the first node past it.
  EXPECT_EQ(FirstError("rules:\n  - id: r1\n    on: " + std::string(70, '[') + std::string(70, ']') +
                  "\n"),
            "rules/asb.yaml:3:70: " + kTooDeep);
  // Past yaml-cpp's (150,000 levels would overflow the stack): its guard, said as plainly.
  std::string deep = FirstError("rules:\n  - id: r1\n    on: " + std::string(150000, '[') +
                           std::string(150000, ']') + "\n");
  EXPECT_NE(deep.find("rules/asb.yaml:3:"), std::string::npos) << deep;
  EXPECT_NE(deep.find(kTooDeep), std::string::npos) << deep;
}

TEST_F(ConfigLoaderTest, TheVersionChangesWithTheContent) {
  auto a = Loaded();
  dir_.Write("partners.yaml", std::string(kPartners) + "# a comment\n");
  auto b = Loaded();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->version, b->version);
}

// RuleSetLoader keeps what it parsed of the three base files, and must give
// what a fresh load gives whichever file changed, base files included.
TEST_F(ConfigLoaderTest, ALoaderUsedAgainGivesWhatAFreshLoadGives) {
  constexpr const char* kRule = R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    then:
      - task: {to: housing, title: "Review {{case.id}}", due: 10 working days}
)";
  dir_.Write("rules/asb.yaml", kRule);
  RuleSetLoader loader(dir_.path());
  auto VersionOf = [](const LoadResult& r) {
    auto* set = std::get_if<std::shared_ptr<const RuleSet>>(&r);
    return set ? (*set)->version : std::string("errors");
  };
  auto ErrorsOf = [](const LoadResult& r) {
    std::string text;
    if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) {
      for (const auto& err : *e) text += err.ToString() + "\n";
    }
    return text;
  };
  auto first = loader.Load();
  ASSERT_EQ(ErrorsOf(first), "");
  EXPECT_EQ(VersionOf(first), VersionOf(LoadRuleSet(dir_.path())));
  EXPECT_EQ(VersionOf(loader.Load()), VersionOf(first));

  // A rule changed: only the rest is loaded again, onto the kept base.
  dir_.Write("rules/asb.yaml", std::string(kRule) + "# reviewed\n");
  auto second = loader.Load();
  EXPECT_NE(VersionOf(second), VersionOf(first));
  EXPECT_EQ(VersionOf(second), VersionOf(LoadRuleSet(dir_.path())));

  // A base file changed: its new content is what counts. Without housing,
  // the rule's task goes to an unknown partner.
  dir_.Write("partners.yaml", R"(partners:
  - id: council-asb
    name: ASB team
    share: [case]
)");
  auto third = loader.Load();
  EXPECT_NE(ErrorsOf(third), "");
  EXPECT_EQ(ErrorsOf(third), ErrorsOf(LoadRuleSet(dir_.path())));
  dir_.Write("partners.yaml", kPartners);
  EXPECT_EQ(VersionOf(loader.Load()), VersionOf(second));

  // panels.yaml, the second stage, written and then removed again.
  dir_.Write("panels.yaml", "panels: 3\n");
  auto fourth = loader.Load();
  EXPECT_NE(ErrorsOf(fourth).find("panels.yaml"), std::string::npos);
  EXPECT_EQ(ErrorsOf(fourth), ErrorsOf(LoadRuleSet(dir_.path())));
  std::filesystem::remove(dir_.path() / "panels.yaml");
  EXPECT_EQ(VersionOf(loader.Load()), VersionOf(second));

  // A base file removed, then a calendar that does not parse.
  std::filesystem::remove(dir_.path() / "calendar.yaml");
  EXPECT_NE(ErrorsOf(loader.Load()).find("calendar.yaml"), std::string::npos);
  dir_.Write("calendar.yaml", "timezone: [\n");
  EXPECT_EQ(ErrorsOf(loader.Load()), ErrorsOf(LoadRuleSet(dir_.path())));
  dir_.Write("calendar.yaml", kCalendar);
  EXPECT_EQ(VersionOf(loader.Load()), VersionOf(second));
}

TEST_F(ConfigLoaderTest, ReportsEveryMistakeWithFileLineAndColumn) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    case: asb
    when: case.stage = "warning"
    then:
      - task: {to: housng, title: "Review {{case.id}}", due: 10 working days}
  - id: r2
    on: [asb.report]
    case: asb
    then:
      - escalate: case-reveiw
      - task: {to: housing, title: "x", due: 3 fortnights}
      - flagg: repeat
    cooldwn: 30d
)");
  std::vector<ConfigError> errors = Errors();
  std::vector<std::string> text;
  for (const auto& e : errors) text.push_back(e.ToString());
  ASSERT_EQ(errors.size(), 6u) << ::testing::PrintToString(text);
  EXPECT_EQ(text[0].substr(0, text[0].find(": when")), "rules/asb.yaml:5:22");
  EXPECT_NE(text[0].find("did you mean '=='?"), std::string::npos);
  EXPECT_EQ(text[1], "rules/asb.yaml:7:20: unknown partner 'housng' (did you mean 'housing'?)");
  EXPECT_EQ(text[2], "rules/asb.yaml:12:19: case type 'asb' has no stage 'case-reveiw' (did you mean 'case-review'?)");
  EXPECT_NE(text[3].find("rules/asb.yaml:13:46: due: '3 fortnights' has unknown unit"), std::string::npos);
  EXPECT_EQ(text[4], "rules/asb.yaml:14:9: unknown action 'flagg' (did you mean 'flag'?)");
  EXPECT_EQ(text[5], "rules/asb.yaml:15:5: unknown key 'cooldwn' in a rule (did you mean 'cooldown'?)");
}

TEST_F(ConfigLoaderTest, ReportsBrokenYamlAndMissingFiles) {
  dir_.Write("rules/bad.yaml", "rules:\n  - id: [unclosed\n");
  std::filesystem::remove(dir_.path() / "calendar.yaml");
  std::vector<ConfigError> errors = Errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].ToString(), "calendar.yaml: missing: this file is required");
  EXPECT_EQ(errors[1].file, "rules/bad.yaml");
  EXPECT_GT(errors[1].line, 0);
  EXPECT_NE(errors[1].message.find("YAML"), std::string::npos);
}

TEST_F(ConfigLoaderTest, TitleTemplatesAreCheckedAtLoad) {
  dir_.Write("rules/asb.yaml", R"(rules:
  - id: r1
    on: [asb.report]
    then:
      - task: {to: housing, title: "Review {{case.id}} at {{evnt.location.postcode}}"}
)");
  std::vector<ConfigError> errors = Errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].ToString().find("rules/asb.yaml:5:59: title: unknown placeholder '{{evnt.location.postcode}}'"),
            std::string::npos)
      << errors[0].ToString();
}

TEST_F(ConfigLoaderTest, UnknownCalendarsAndTimezonesAreErrors) {
  dir_.Write("calendar.yaml", "timezone: Europe/Londn\n");
  std::vector<ConfigError> errors = Errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "calendar.yaml:1:11: unknown timezone 'Europe/Londn' (use a tz database name, e.g. "
            "Europe/London)");
}

TEST(DidYouMeanTest, SuggestsOnlyCloseWords) {
  EXPECT_EQ(DidYouMean("housng", {"housing", "police"}), "housing");
  EXPECT_EQ(DidYouMean("zzz", {"housing", "police"}), "");
}

// The walk that stops early must pick what the whole table picks: the first
// candidate at the smallest distance, within a third of the word's length.
TEST(DidYouMeanTest, PicksWhatTheWholeDistanceTablePicks) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      for (size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                            d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      }
    }
    return d[a.size()][b.size()];
  };
  std::mt19937 random(20261202);
  auto word = [&random](size_t max_length) {
    std::string w(random() % (max_length + 1), 'a');
    for (char& c : w) c = static_cast<char>('a' + random() % 4);  // few letters: near misses
    return w;
  };
  for (int round = 0; round < 2000; ++round) {
    std::string typed = word(14);
    std::vector<std::string> candidates;
    for (int k = 0; k < 6; ++k) candidates.push_back(word(14));
    std::string expected;
    size_t best = std::max<size_t>(2, typed.size() / 3) + 1;
    for (const auto& c : candidates) {
      if (size_t d = distance(typed, c); d < best) {
        best = d;
        expected = c;
      }
    }
    ASSERT_EQ(DidYouMean(typed, candidates), expected) << "word '" << typed << "'";
  }
}

}  // namespace
}  // namespace convene::rules

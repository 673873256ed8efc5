#include "rules/policy_test.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace convene::rules {
namespace {

TEST(PolicyTestTest, ATestThatExpectsNothingIsRefused) {
  testing::TempDir dir;
  dir.Write("tests/a.yaml", R"(tests:
  - name: checks nothing
    events:
      - {id: e1, type: asb.report, occurred_at: 2026-01-05T10:00:00Z, source: police}
    expect: {}
  - name: has no expect at all
    events:
      - {id: e2, type: asb.report, occurred_at: 2026-01-05T10:00:00Z, source: police}
  - name: checks the stage
    events:
      - {id: e3, type: asb.report, occurred_at: 2026-01-05T10:00:00Z, source: police}
    expect: {stage: reported}
)");
  auto loaded = LoadPolicyTests(dir.path());
  auto* errors = std::get_if<std::vector<ConfigError>>(&loaded);
  ASSERT_TRUE(errors);
  ASSERT_EQ(errors->size(), 2u);
  EXPECT_EQ((*errors)[0].ToString().substr(0, 62),
            "tests/a.yaml:5:13: test 'checks nothing' expects nothing, so i");
  EXPECT_EQ((*errors)[1].line, 6);
  EXPECT_NE((*errors)[1].message.find("'has no expect at all' expects nothing"), std::string::npos);
}

}  // namespace
}  // namespace convene::rules

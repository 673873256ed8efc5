// Policy tests: what a policy officer writes in tests/*.yaml (SPEC 4) to pin
// down what the rules must do, parsed into immutable values. Running them is
// the engine's job (policy/policy_test_runner.h), so they exercise the real
// evaluator, store and timers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rules/config_loader.h"
#include "rules/duration.h"

namespace convene::rules {

struct TestStep {
  enum class Kind { kEvent, kRaw, kAdvance, kAt };
  Kind kind = Kind::kEvent;
  std::string json;            // kEvent: the event as JSON; kRaw: the bytes
  Duration advance;            // kAdvance
  TimeMs at = 0;               // kAt
  std::string task_rule;       // kEvent task events naming their task by rule and partner
  std::string task_partner;
  int line = 0;
};

struct TaskMatcher {
  std::optional<std::string> to, rule, kind, priority, case_type, due_at, title_contains;
  std::string Describe() const;
};

struct ReferralMatcher {
  std::optional<std::string> panel;
  std::optional<std::string> meeting;  // a date (YYYY-MM-DD) or a timestamp
};

struct TestExpect {
  std::vector<TaskMatcher> tasks;
  bool only = false;
  bool no_tasks = false;
  std::optional<std::string> stage;
  std::optional<std::vector<std::string>> flags;
  std::optional<std::string> risk;
  std::optional<int> cases;
  std::optional<int> dead_letters;
  std::optional<std::vector<ReferralMatcher>> referrals;
};

struct PolicyTest {
  std::string name;
  std::string file;  // relative to the config folder
  int line = 0;
  std::vector<TestStep> steps;
  TestExpect expect;
};

// Reads every DIR/tests/*.yaml. Errors name file:line:col like the rest of
// the configuration.
std::variant<std::vector<PolicyTest>, std::vector<ConfigError>> LoadPolicyTests(
    const std::filesystem::path& dir);

}  // namespace convene::rules

// Runs policy tests (rules/policy_test.h) against a rule set with the real
// engine: each test gets a fresh RocksDB store in a scratch folder and a clock
// that follows event time (`advance` and `at` move it on and fire what falls
// due). What the engine would have published is read from its outbox.
// Thread-compatible: one runner per thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "rules/policy_test.h"
#include "rules/rule_set.h"

namespace convene::policy {

struct PolicyTestResult {
  const rules::PolicyTest* test = nullptr;
  bool passed = false;
  std::vector<std::string> failures;  // what did not hold, for people
  // What the engine warned of while the test ran (an event it rejected...),
  // so that each warning is read beside the test that caused it.
  std::vector<std::string> warnings;
};

// `stop`, when given, is checked before each test: once true, the tests run
// so far are returned.
std::vector<PolicyTestResult> RunPolicyTests(const std::shared_ptr<const rules::RuleSet>& rules,
                                             const std::vector<rules::PolicyTest>& tests,
                                             const std::filesystem::path& scratch,
                                             const std::atomic<bool>* stop = nullptr);

}  // namespace convene::policy

// A realistic year of a busy town's events, for benchmarks and what-if
// replays: addresses and people drawn from skewed (Zipf) distributions, so a
// town-centre address gets about 1,900 reports in 100,000 events and one
// prolific person about 200, as real hot spots do; ASB reports (a tenth of
// them the same incident reported again by housing), crimes with domestic
// abuse, drugs and hate among them, DASH assessments, youth referrals and
// children in ASB, Community Protection warnings and notices, injunctions and
// their breaches, closure notices and modern slavery indicators. In time
// order over the year. Deterministic for a seed. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convene::tools {

struct TownYearOptions {
  size_t events = 100000;
  size_t addresses = 12000;
  size_t people = 22000;
  int year = 2026;
  uint64_t seed = 20261201;
};

// One JSON event per element (SPEC 3), sources from the shipped partners.
std::vector<std::string> MakeTownYear(const TownYearOptions& options);

}  // namespace convene::tools

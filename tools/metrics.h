// The engine's figures in the Prometheus text exposition format, version
// 0.0.4 (SPEC 8: `GET /metrics`). What is counted: docs/metrics.md.
// Thread-safety: BatchTimes is safe from any thread; the rest are functions.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "engine/engine.h"

namespace convene::tools {

// A histogram of how long batches took to apply and write.
class BatchTimes {
 public:
  static constexpr std::array<double, 11> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,    2.5,   5,    10};
  void Observe(std::chrono::nanoseconds took);
  struct Snapshot {
    std::array<uint64_t, kBounds.size()> buckets{};  // cumulative, as Prometheus has them
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Get() const;

 private:
  mutable std::mutex mu_;
  Snapshot s_;
};

struct MetricsSnapshot {
  engine::EngineTotals totals;
  std::optional<int64_t> consumer_lag;  // none: the broker has not said yet
  uint64_t outbox_depth = 0;
  uint64_t tasks_overdue = 0;
  uint64_t timers_pending = 0;
  std::string rules_version;
  BatchTimes::Snapshot batches;
};

std::string FormatMetrics(const MetricsSnapshot& m);

}  // namespace convene::tools

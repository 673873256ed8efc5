// Wall-clock time for the engine, injectable so tests are deterministic.
// Event time (windows, due dates) comes from events, not from here; this
// clock stamps when convene did something (created_at) and fires timers.
#pragma once

#include <atomic>
#include <chrono>

#include "rules/time_point.h"

namespace convene::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  // Now, in ms since the epoch. Thread-safe.
  virtual TimeMs Now() const = 0;
};

class SystemClock : public Clock {
 public:
  TimeMs Now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to.
class ManualClock : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs Now() const override { return now_.load(); }
  void Set(TimeMs t) { now_.store(t); }
  void Advance(TimeMs delta) { now_.fetch_add(delta); }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace convene::engine

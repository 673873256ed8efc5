// The engine's main loop: poll a batch from the source, apply it, tell the
// relay and the source. Stops between batches, so a stop never splits one.
// Thread-safety: Run on one thread; `stop` may be set from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "connectors/event_source.h"
#include "engine/engine.h"
#include "engine/outbox_relay.h"

namespace convene::engine {

struct LoopOptions {
  size_t max_batch = 5000;
  size_t max_timers = 1000;  // timers fired between two batches of events
  std::chrono::milliseconds poll_timeout{100};
  // Called after each batch of events is written, with its size and how long
  // it took to apply and write (for the metrics). Optional.
  std::function<void(size_t records, std::chrono::nanoseconds took)> on_batch;
};

// Runs until `stop` is set or an error that the engine cannot go on from
// (a failed store write); returns that error.
Status RunEngineLoop(Engine* engine, connectors::EventSource* source, OutboxRelay* relay,
                     const std::atomic<bool>& stop, const LoopOptions& options = {});

}  // namespace convene::engine

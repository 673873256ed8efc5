#include "engine/engine_loop.h"

#include <spdlog/spdlog.h>

namespace convene::engine {

Status RunEngineLoop(Engine* engine, connectors::EventSource* source, OutboxRelay* relay,
                     const std::atomic<bool>& stop, const LoopOptions& options) {
  std::vector<connectors::InputRecord> batch;
  batch.reserve(options.max_batch);
  while (!stop.load()) {
    // Timers first, a bounded number at a time, so deadlines that fell due
    // (also while the engine was down) fire promptly without holding events up.
    auto fired = engine->FireDueTimers(options.max_timers);
    if (!fired.ok()) {
      spdlog::critical("engine: {}; stopping (state on disk is intact)", fired.status().message());
      return fired.status();
    }
    if (*fired > 0) relay->Wake();
    batch.clear();
    if (Status s = source->Poll(&batch, options.max_batch, options.poll_timeout); !s.ok()) {
      return s;
    }
    if (batch.empty()) continue;
    auto started = std::chrono::steady_clock::now();
    if (Status s = engine->ProcessBatch(batch); !s.ok()) {
      spdlog::critical("engine: {}; stopping (state on disk is intact)", s.message());
      return s;
    }
    if (options.on_batch) options.on_batch(batch.size(), std::chrono::steady_clock::now() - started);
    relay->Wake();
    source->Acknowledge(engine->Offsets());
    const EngineTotals t = engine->totals();
    spdlog::debug("engine: batch of {} (total {} accepted, {} rejected, {} duplicate, {} tasks)",
                  batch.size(), t.accepted, t.rejected, t.duplicates, t.tasks);
  }
  return Status::Ok();
}

}  // namespace convene::engine

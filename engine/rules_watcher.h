// Live reload of the rules: watches a config folder and, when its content
// changes (or on request, e.g. SIGHUP), loads and validates the whole set.
// A valid set is swapped into the engine atomically and takes effect from the
// next batch of events; a set with any error is refused whole, every error is
// logged, and the running set stays.
//
// Thread-safety: Start/Stop from one thread; the watcher runs on its own
// thread; RequestReload from any thread (it is async-signal-unsafe: call it
// from a normal thread, not from a signal handler).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "rules/config_loader.h"

namespace convene::engine {

class RulesWatcher {
 public:
  RulesWatcher(Engine* engine, std::filesystem::path dir, rules::LoadOptions options,
               std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~RulesWatcher();

  void Start();
  void Stop();
  // Reloads now, whether or not the files changed.
  void RequestReload();

  // How many reloads were applied / refused since Start.
  uint64_t applied() const { return applied_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  void Run();
  // A cheap fingerprint of the folder: names, sizes and modification times.
  uint64_t Fingerprint() const;
  void Reload(const char* why);

  Engine* engine_;
  std::filesystem::path dir_;
  rules::RuleSetLoader loader_;  // used by the watcher's thread only
  std::chrono::milliseconds interval_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool requested_ = false;
  uint64_t fingerprint_ = 0;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace convene::engine

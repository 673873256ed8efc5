// Wires the concrete parts of a running engine together: the rule set, the
// RocksDB store, the Kafka source and sink, the engine and its relay. Used by
// `convene run` and `convene demo`.
// Thread-safety: Start/Stop from one thread; the loop runs on its own thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/embedded_broker.h"
#include "connectors/kafka_event_source.h"
#include "engine/case_store.h"
#include "engine/clock.h"
#include "engine/engine.h"
#include "engine/outbox_relay.h"
#include "engine/rules_watcher.h"
#include "rules/rule_set.h"
#include "tools/metrics.h"

namespace convene::tools {

class EngineHost {
 public:
  struct Options {
    std::string data_dir;
    std::string bootstrap;
    std::string topic_prefix = "convene.";
    bool sync = true;
    size_t batch_size = 5000;
    // Events further ahead of the wall clock than this are rejected.
    TimeMs max_future_ms = 24 * kMsPerHour;
    // The broker was started by this process (embedded): new, whatever the
    // store says.
    bool fresh_broker = false;
    // Watch this config folder and apply valid changes live (empty: don't).
    std::string watch_config;
  };

  static Result<std::unique_ptr<EngineHost>> Start(const Options& options,
                                                   std::shared_ptr<const rules::RuleSet> rules);
  ~EngineHost();

  // Stops after the current batch and delivers what the outbox holds (up to `drain`).
  Status Stop(std::chrono::milliseconds drain);
  // True when every record up to `end_offset` of the events topic's
  // partition 0..n has been applied and the outbox is delivered.
  bool CaughtUp(int64_t events_end) const;

  // Reloads the watched config folder now (SIGHUP).
  void RequestReload() {
    if (watcher_) watcher_->RequestReload();
  }
  engine::Engine* engine() { return engine_.get(); }
  // The store, for readers beside the engine (its reads are safe from any thread).
  const engine::CaseStore* store() const { return store_.get(); }
  // The figures of GET /metrics. The overdue tasks and pending timers are
  // counted from the store, at most once a `recount` (a scan each).
  MetricsSnapshot Metrics(std::chrono::seconds recount = std::chrono::seconds(30));
  engine::OutboxRelay* relay() { return relay_.get(); }
  bool running() const { return !finished_.load() && !stop_.load(); }

 private:
  EngineHost() = default;

  engine::SystemClock clock_;
  std::unique_ptr<engine::CaseStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::OutboxRelay> relay_;
  std::unique_ptr<connectors::KafkaEventSource> source_;
  std::unique_ptr<engine::RulesWatcher> watcher_;
  std::thread loop_;
  std::thread scrub_;  // CaseStore::Scrub, once, beside the loop
  std::mutex scrub_mu_;
  Status scrub_status_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  Status loop_status_;
  BatchTimes batch_times_;
  std::mutex counted_mu_;
  std::chrono::steady_clock::time_point counted_at_;
  uint64_t tasks_overdue_ = 0, timers_pending_ = 0;
};

// Loads and validates a config folder; prints every error to stderr.
std::shared_ptr<const rules::RuleSet> LoadRulesOrReport(const std::string& dir,
                                                        const std::string& topic_prefix);

// The state in `data_dir` (the engine's --data), opened to read; none, and
// why on stderr, when there is no such folder or it cannot be opened.
std::unique_ptr<engine::CaseStore> OpenStateFolder(const std::string& data_dir);

// The topics convene uses: events, dead-letter, case-updates, each partner's queue.
std::vector<std::string> ConveneTopics(const rules::RuleSet* rules, const std::string& prefix);

// Starts the embedded broker with convene's topics created.
Result<std::unique_ptr<connectors::EmbeddedBroker>> StartEmbeddedBroker(
    const rules::RuleSet* rules, const std::string& prefix);

}  // namespace convene::tools

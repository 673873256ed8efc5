#include "tools/engine_host.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "connectors/kafka_config.h"
#include "connectors/kafka_message_sink.h"
#include "engine/engine_loop.h"
#include "report/report.h"
#include "rules/config_loader.h"

namespace convene::tools {

Result<std::unique_ptr<EngineHost>> EngineHost::Start(const Options& options,
                                                      std::shared_ptr<const rules::RuleSet> rules) {
  std::unique_ptr<EngineHost> host(new EngineHost());
  auto store = engine::CaseStore::Open(options.data_dir);
  if (!store.ok()) return store.status();
  host->store_ = std::move(*store);
  engine::EngineOptions eo;
  eo.topic_prefix = options.topic_prefix;
  eo.sync = options.sync;
  eo.max_future_ms = options.max_future_ms;
  auto engine = engine::Engine::Open(host->store_.get(), std::move(rules), &host->clock_, eo);
  if (!engine.ok()) return engine.status();
  host->engine_ = std::move(*engine);
  host->relay_ = std::make_unique<engine::OutboxRelay>(host->store_.get());
  auto sink = connectors::KafkaMessageSink::Open(options.bootstrap, host->relay_->DeliveryHandler());
  if (!sink.ok()) return sink.status();
  host->relay_->Start(std::move(*sink));
  engine::Engine* e = host->engine_.get();
  auto source = connectors::KafkaEventSource::Open(
      options.bootstrap, e->events_topic(), connectors::kEngineGroup,
      [e](const std::string& topic, int32_t partition) { return e->StoredOffset(topic, partition); },
      /*sole_reader=*/options.fresh_broker);
  if (!source.ok()) return source.status();
  host->source_ = std::move(*source);
  auto republished = e->AdoptBroker(host->source_->cluster_id(), options.fresh_broker);
  if (!republished.ok()) return republished.status();
  if (*republished > 0) host->relay_->Wake();
  if (!options.watch_config.empty()) {
    rules::LoadOptions lo;
    lo.topic_prefix = options.topic_prefix;
    host->watcher_ = std::make_unique<engine::RulesWatcher>(e, options.watch_config, lo);
    host->watcher_->Start();
  }
  EngineHost* h = host.get();
  // Every table file checked again beside the engine (start-up checks only
  // those never checked): a damaged one stops the engine with the reason.
  host->scrub_ = std::thread([h] {
    Status s = h->store_->Scrub(h->stop_);
    if (s.ok()) return;
    spdlog::critical("{}; convene stops", s.message());
    {
      std::lock_guard<std::mutex> lock(h->scrub_mu_);
      h->scrub_status_ = s;
    }
    h->stop_ = true;
  });
  engine::LoopOptions loop_options;
  loop_options.max_batch = options.batch_size;
  loop_options.on_batch = [h](size_t, std::chrono::nanoseconds took) {
    h->batch_times_.Observe(took);
  };
  host->loop_ = std::thread([h, loop_options] {
    h->loop_status_ = engine::RunEngineLoop(h->engine_.get(), h->source_.get(), h->relay_.get(),
                                            h->stop_, loop_options);
    h->finished_ = true;
  });
  return host;
}

EngineHost::~EngineHost() { (void)Stop(std::chrono::milliseconds(0)); }

MetricsSnapshot EngineHost::Metrics(std::chrono::seconds recount) {
  MetricsSnapshot m;
  m.totals = engine_->totals();
  connectors::OffsetMap applied = engine_->Offsets();
  m.consumer_lag = source_->Lag(applied);
  uint64_t handed = relay_->cursor();
  m.outbox_depth = (m.totals.outbox_seq > handed ? m.totals.outbox_seq - handed : 0) +
                   relay_->in_flight();
  m.rules_version = engine_->rules()->version;
  m.batches = batch_times_.Get();
  std::lock_guard<std::mutex> lock(counted_mu_);
  auto now = std::chrono::steady_clock::now();
  if (counted_at_ == std::chrono::steady_clock::time_point() || now - counted_at_ >= recount) {
    // Read beside the engine: the store's reads are safe from any thread.
    auto as_of = report::AsOf(*store_, clock_.Now());
    uint64_t overdue = 0, timers = 0;
    Status s = store_->Scan(engine::Family::kTasks, "", [&](std::string_view, std::string_view v) {
      auto t = engine::Task::FromRecord(v);
      if (t.ok() && as_of.ok() && report::Overdue(*t, *as_of)) ++overdue;
      return true;
    });
    if (s.ok()) {
      s = store_->Scan(engine::Family::kTimers, "", [&](std::string_view, std::string_view) {
        ++timers;
        return true;
      });
    }
    if (s.ok()) {
      tasks_overdue_ = overdue;
      timers_pending_ = timers;
      counted_at_ = now;
    } else {
      spdlog::warn("metrics: {}", s.message());
    }
  }
  m.tasks_overdue = tasks_overdue_;
  m.timers_pending = timers_pending_;
  return m;
}

Status EngineHost::Stop(std::chrono::milliseconds drain) {
  if (watcher_) watcher_->Stop();
  stop_ = true;
  if (loop_.joinable()) loop_.join();
  if (scrub_.joinable()) scrub_.join();
  if (relay_) relay_->Stop(drain);
  std::lock_guard<std::mutex> lock(scrub_mu_);
  return scrub_status_.ok() ? loop_status_ : scrub_status_;
}

bool EngineHost::CaughtUp(int64_t events_end) const {
  int64_t applied = 0;
  for (const auto& [tp, offset] : engine_->Offsets()) {
    if (tp.first == engine_->events_topic()) applied += offset;
  }
  return applied >= events_end && relay_->Idle();
}

std::unique_ptr<engine::CaseStore> OpenStateFolder(const std::string& data_dir) {
  if (!std::filesystem::exists(data_dir)) {
    std::cerr << "no state folder '" << data_dir << "' (the engine's --data)\n";
    return nullptr;
  }
  auto store = engine::CaseStore::Open(data_dir, /*read_only=*/true);
  if (!store.ok()) {
    std::cerr << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(*store);
}

std::shared_ptr<const rules::RuleSet> LoadRulesOrReport(const std::string& dir,
                                                        const std::string& topic_prefix) {
  rules::LoadOptions options;
  options.topic_prefix = topic_prefix;
  auto loaded = rules::LoadRuleSet(dir, options);
  if (auto* errors = std::get_if<std::vector<rules::ConfigError>>(&loaded)) {
    for (const auto& e : *errors) std::cerr << dir << "/" << e.ToString() << "\n";
    std::cerr << errors->size() << " error" << (errors->size() == 1 ? "" : "s") << " in " << dir
              << "\n";
    return nullptr;
  }
  return std::get<std::shared_ptr<const rules::RuleSet>>(loaded);
}

std::vector<std::string> ConveneTopics(const rules::RuleSet* rules, const std::string& prefix) {
  std::vector<std::string> topics = {prefix + "events", prefix + "dead-letter",
                                     prefix + "case-updates"};
  if (rules) {
    for (const auto& p : rules->partners) topics.push_back(p.topic);
  }
  return topics;
}

Result<std::unique_ptr<connectors::EmbeddedBroker>> StartEmbeddedBroker(
    const rules::RuleSet* rules, const std::string& prefix) {
  auto broker = connectors::EmbeddedBroker::Start();
  if (!broker.ok()) return broker.status();
  // One partition per topic: events are applied in the order they were sent.
  for (const auto& t : ConveneTopics(rules, prefix)) {
    if (Status s = (*broker)->CreateTopic(t, 1); !s.ok()) return s;
  }
  return broker;
}

}  // namespace convene::tools

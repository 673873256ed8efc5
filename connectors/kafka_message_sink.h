// A MessageSink over an idempotent Kafka producer (acks=all, no duplicates
// from retries). Thread-safety: as MessageSink (one thread).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/engine_lag.h"
#include "connectors/message_sink.h"

namespace convene::connectors {

class KafkaMessageSink : public MessageSink {
 public:
  // Where a delivered message landed, for producers that track it.
  using OffsetCallback = std::function<void(uint64_t token, int32_t partition, int64_t offset)>;
  static Result<std::unique_ptr<KafkaMessageSink>> Open(const std::string& bootstrap,
                                                        DeliveryCallback on_delivery,
                                                        OffsetCallback on_offset = nullptr);
  ~KafkaMessageSink() override;

  Status Produce(const std::string& topic, std::string_view key, std::string_view payload,
                 uint64_t token) override;
  void Poll(std::chrono::milliseconds timeout) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  // Drops every message not yet delivered, so that closing does not wait
  // for them (a stop on request).
  void Abandon();

 private:
  class Reports;
  KafkaMessageSink() = default;

  std::unique_ptr<Reports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// Sends messages and confirms them: Flush() succeeds only when the broker has
// every message sent so far. For producers that send, then must know (the
// connectors, `convene send`).
//
// In front of the embedded broker (SPEC 6) it also waits for the engine on
// `events_topic`: Send holds back while what it sent there and the engine
// has not applied would put the broker's small log at risk (kEmbeddedBudget),
// and Flush returns only once the engine has applied all of it. Against a
// real cluster, whose retention is days, neither waits. Thread-compatible.
class ConfirmedProducer {
 public:
  // Unapplied bytes this producer may have on the embedded broker's events
  // topic: well under the ~5 MiB a partition keeps, leaving room for others.
  static constexpr size_t kEmbeddedBudget = 2 << 20;
  struct Options {
    std::string events_topic = "convene.events";
    // Send and Flush fail when the engine applies nothing for this long, or
    // the broker takes nothing (a full local queue) for this long; every
    // later call then fails at once with the same reason.
    std::chrono::milliseconds stall_timeout = std::chrono::minutes(2);
    // When set (by SIGINT/SIGTERM), every wait ends within a few seconds
    // (kStopGrace, and a query in flight) with an Interrupted status, what
    // finishes in that time finishing. Not owned; null: never.
    const std::atomic<bool>* stop = nullptr;
  };
  static Result<std::unique_ptr<ConfirmedProducer>> Open(const std::string& bootstrap,
                                                         const Options& options);
  static Result<std::unique_ptr<ConfirmedProducer>> Open(const std::string& bootstrap) {
    return Open(bootstrap, Options());
  }
  // Stopped on request: what was not delivered is dropped, not waited for.
  ~ConfirmedProducer();
  // Queues one message (waiting while the local queue is full, or, on the
  // embedded broker, while the engine is too far behind).
  Status Send(const std::string& topic, std::string_view key, std::string_view payload);
  // Waits for every message sent so far; an error if any was not delivered
  // (or, on the embedded broker, not applied by the engine in time).
  Status Flush();
  // True when the broker is the embedded one.
  bool embedded() const { return lag_ != nullptr; }
  // Messages sent so far; of them, confirmed by the broker; and (on the
  // embedded broker, for the events topic) seen applied by the engine.
  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t applied() const { return applied_; }
  // True once the engine or the broker took nothing for stall_timeout.
  bool stalled() const { return !stalled_.ok(); }

 private:
  // A message on the events topic the engine has not been seen to apply.
  struct Unapplied {
    uint64_t token;
    size_t bytes;
    int32_t partition = -1;  // until delivered
    int64_t offset = -1;
  };
  ConfirmedProducer() = default;
  // Waits until no more than `budget` unapplied bytes remain.
  Status WaitForEngine(size_t budget);

  Options options_;
  std::unique_ptr<KafkaMessageSink> sink_;
  std::unique_ptr<EngineLag> lag_;  // null: not the embedded broker
  std::deque<Unapplied> unapplied_;
  size_t unapplied_bytes_ = 0;
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  uint64_t applied_ = 0;
  std::string first_error_;
  Status stalled_;  // the engine applied nothing, or the broker took nothing, for stall_timeout
  // Interrupted once options_.stop has been set for kStopGrace.
  static constexpr std::chrono::seconds kStopGrace{2};
  Status Stopped() const;
  // stall_timeout in whole seconds, for messages.
  std::string StallSeconds() const;
  mutable std::optional<std::chrono::steady_clock::time_point> stop_seen_;
};

// Produces `lines` to `topic` (key: the event id when a line is a JSON event
// with one), waiting for every delivery — and, on the embedded broker when
// `topic` is the events topic, for the engine to apply them. For `convene
// send` and tests.
// Stops at the first line the engine or the broker cannot take in time, or
// when `stop` is set; the error then says how many lines were applied (or,
// on a real cluster, delivered) and which were not.
Status ProduceAll(const std::string& bootstrap, const std::string& topic,
                  const std::vector<std::string>& lines,
                  std::chrono::milliseconds stall_timeout = std::chrono::minutes(2),
                  const std::atomic<bool>* stop = nullptr);

}  // namespace convene::connectors

// An EventSource over a Kafka topic, read by a consumer group. Partitions are
// positioned at the offsets the engine stored (StartOffsetLookup), not the
// group's committed offsets; committed offsets are updated after each durable
// batch only so that monitoring tools see the group's progress.
//
// Thread-safety: as EventSource (one thread).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "connectors/event_source.h"

namespace convene::connectors {

class KafkaEventSource : public EventSource {
 public:
  // Subscribes `group` to `topic` at `bootstrap`. `sole_reader` (the
  // embedded broker, which only this process reads): every partition is
  // assigned at once instead, without waiting for a group join; offsets are
  // still committed to `group`.
  static Result<std::unique_ptr<KafkaEventSource>> Open(const std::string& bootstrap,
                                                        const std::string& topic,
                                                        const std::string& group,
                                                        StartOffsetLookup start_offsets,
                                                        bool sole_reader = false);
  ~KafkaEventSource() override;

  Status Poll(std::vector<InputRecord>* out, size_t max,
              std::chrono::milliseconds timeout) override;
  void Acknowledge(const OffsetMap& next_offsets) override;
  bool Ready() const override { return assigned_.load(); }
  // Records on the topic past `applied` (next offsets), from the high
  // watermarks the broker last reported (no request is made); none until it
  // has reported one. Safe from any thread.
  std::optional<int64_t> Lag(const OffsetMap& applied) const;
  // The broker's cluster id, learnt when the source opened.
  const std::string& cluster_id() const { return cluster_id_; }

 private:
  class Rebalance;
  KafkaEventSource() = default;
  // sole_reader: assigns every partition of the topic at its start offset.
  Status AssignAll();

  std::unique_ptr<Rebalance> rebalance_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> assigned_{false};
  std::string cluster_id_;
  std::string sole_topic_;      // set when the sole reader (assigned, not subscribed)
  StartOffsetLookup lookup_;    // for AssignAll
};

}  // namespace convene::connectors

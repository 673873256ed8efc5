// A MessageSink over an idempotent Kafka producer (acks=all, no duplicates
// from retries). Thread-safety: as MessageSink (one thread).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <string>

#include "connectors/message_sink.h"

namespace convene::connectors {

class KafkaMessageSink : public MessageSink {
 public:
  static Result<std::unique_ptr<KafkaMessageSink>> Open(const std::string& bootstrap,
                                                        DeliveryCallback on_delivery);
  ~KafkaMessageSink() override;

  Status Produce(const std::string& topic, std::string_view key, std::string_view payload,
                 uint64_t token) override;
  void Poll(std::chrono::milliseconds timeout) override;
  Status Flush(std::chrono::milliseconds timeout) override;

 private:
  class Reports;
  KafkaMessageSink() = default;

  std::unique_ptr<Reports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// Sends messages and confirms them: Flush() succeeds only when the broker has
// every message sent so far. For producers that send, then must know (the
// connectors, `convene send`). Thread-compatible.
class ConfirmedProducer {
 public:
  static Result<std::unique_ptr<ConfirmedProducer>> Open(const std::string& bootstrap);
  // Queues one message (waiting while the local queue is full).
  Status Send(const std::string& topic, std::string_view key, std::string_view payload);
  // Waits for every message sent so far; an error if any was not delivered.
  Status Flush();

 private:
  ConfirmedProducer() = default;
  std::unique_ptr<KafkaMessageSink> sink_;
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  std::string first_error_;
};

// Produces `lines` to `topic` (key: the event id when a line is a JSON event
// with one), waiting for every delivery. For `convene send` and tests.
Status ProduceAll(const std::string& bootstrap, const std::string& topic,
                  const std::vector<std::string>& lines);

}  // namespace convene::connectors

// The embedded Kafka-protocol broker: librdkafka's mock cluster, serving real
// clients (convene's own, kcat, any other) over TCP on loopback, consumer
// groups included. For a single machine, demos and tests; production runs
// against a real Kafka cluster with --kafka.
//
// Thread-safety: create and destroy on one thread; the broker serves clients
// on its own threads. Data lives in memory and is gone when it stops.
#pragma once

#include <memory>
#include <string>

#include "rules/status.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace convene::connectors {

class EmbeddedBroker {
 public:
  static Result<std::unique_ptr<EmbeddedBroker>> Start();
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:PORT": what clients use as bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }

  // Creates a topic (an existing one is left as it is).
  Status CreateTopic(const std::string& topic, int partitions);

 private:
  EmbeddedBroker() = default;
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace convene::connectors

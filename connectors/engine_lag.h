// How far the engine is behind on its events topic, as a producer sees it:
// the offsets the engine's consumer group has committed (it commits only what
// it has durably applied) per partition, and which broker this is.
//
// In front of the embedded broker — small, in memory, deleting its oldest
// messages past about 5 MiB a partition — convene's producers use this to
// wait for the engine rather than let retention delete what it has not read
// (SPEC 6). Against a real cluster they do not wait.
//
// Thread-compatible: one thread uses an instance.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "rules/status.h"

namespace convene::connectors {

class EngineLag {
 public:
  // Asks the broker at `bootstrap` who it is; fails when it does not answer.
  static Result<std::unique_ptr<EngineLag>> Open(const std::string& bootstrap,
                                                 const std::string& topic);
  ~EngineLag();

  // True for the embedded broker: producers must wait for the engine.
  bool embedded() const { return embedded_; }
  const std::string& cluster_id() const { return cluster_id_; }

  // The next offset the engine has still to apply, per partition of the
  // topic that `partitions` names; 0 for one it has never committed.
  Result<std::map<int32_t, int64_t>> Applied(const std::vector<int32_t>& partitions);

 private:
  EngineLag() = default;
  std::string topic_;
  std::string cluster_id_;
  bool embedded_ = false;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;  // never subscribed: reads offsets only
};

}  // namespace convene::connectors

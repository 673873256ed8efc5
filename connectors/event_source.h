// Where the engine's input comes from. The engine owns its offsets (they are
// stored in the same atomic write as the state they produced), so a source
// asks the engine where to start each partition instead of trusting a
// consumer group's committed offsets.
//
// Thread-safety: one thread (the engine's) calls every method.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/record.h"
#include "rules/status.h"

namespace convene::connectors {

using TopicPartition = std::pair<std::string, int32_t>;
// Next offset to read per partition.
using OffsetMap = std::map<TopicPartition, int64_t>;
// Where to start a partition: the stored next offset, or nullopt for the beginning.
using StartOffsetLookup = std::function<std::optional<int64_t>(const std::string& topic,
                                                               int32_t partition)>;

class EventSource {
 public:
  virtual ~EventSource() = default;

  // Appends up to `max` records to `out`, waiting at most `timeout` for the
  // first. Returns an error only for failures the engine cannot go on from;
  // an empty poll is OK.
  virtual Status Poll(std::vector<InputRecord>* out, size_t max,
                      std::chrono::milliseconds timeout) = 0;

  // Tells the source (for monitoring only) how far the engine has durably
  // processed. Failures are logged, never fatal.
  virtual void Acknowledge(const OffsetMap& next_offsets) = 0;

  // True once the source has partitions assigned and positioned.
  virtual bool Ready() const = 0;
};

}  // namespace convene::connectors

// Reads a whole topic from the beginning to its current end, outside any
// consumer group: how `convene tasks` and the demo show what the engine
// published. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "rules/status.h"

namespace convene::connectors {

// Every message value of `topic`, in partition then offset order. A topic that
// does not exist yet reads as empty.
Result<std::vector<std::string>> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                           std::chrono::milliseconds timeout);

// The sum of the end offsets of `topic`'s partitions (0 when it does not exist).
Result<int64_t> TopicEndOffset(const std::string& bootstrap, const std::string& topic,
                               std::chrono::milliseconds timeout);

}  // namespace convene::connectors

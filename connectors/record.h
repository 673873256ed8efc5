// One message read from a topic, as the engine sees it: where it came from
// (so rejects can say so and offsets can be stored) and its bytes.
#pragma once

#include <cstdint>
#include <string>

namespace convene::connectors {

struct InputRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;
};

}  // namespace convene::connectors

// librdkafka configuration shared by convene's Kafka clients.
#pragma once

#include <string_view>

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "rules/status.h"

namespace convene::connectors {

// The engine's consumer group. It commits the offsets the engine has durably
// applied, so any Kafka tool (and convene's own producers) sees its lag.
inline constexpr const char* kEngineGroup = "convene-engine";

// True for the embedded broker (librdkafka's mock cluster names itself so):
// its log is small and in memory, so producers wait for the engine (SPEC 6).
inline bool IsEmbeddedCluster(std::string_view cluster_id) {
  return cluster_id.substr(0, 11) == "mockCluster";
}

// A client configuration with bootstrap.servers and `settings` applied.
Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::string& bootstrap, const std::map<std::string, std::string>& settings);

}  // namespace convene::connectors

// librdkafka configuration shared by convene's Kafka clients.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "rules/status.h"

namespace convene::connectors {

// A client configuration with bootstrap.servers and `settings` applied.
Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::string& bootstrap, const std::map<std::string, std::string>& settings);

}  // namespace convene::connectors

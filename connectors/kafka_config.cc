#include "connectors/kafka_config.h"

namespace convene::connectors {

Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::string& bootstrap, const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  if (conf->set("bootstrap.servers", bootstrap, err) != RdKafka::Conf::CONF_OK) {
    return Status::Error("kafka: " + err);
  }
  for (const auto& [k, v] : settings) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return Status::Error("kafka setting " + k + ": " + err);
    }
  }
  return conf;
}

}  // namespace convene::connectors

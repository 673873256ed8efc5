#include "connectors/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace convene::connectors {

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start() {
  std::unique_ptr<EmbeddedBroker> broker(new EmbeddedBroker());
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The mock cluster lives inside a client handle; this one never connects.
  // This handle never connects anywhere: keep it from warning that it has no bootstrap.
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return Status::Error(std::string("embedded broker: ") + err);
  }
  broker->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!broker->handle_) return Status::Error(std::string("embedded broker: ") + err);
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->handle_, 1);
  if (!broker->cluster_) return Status::Error("embedded broker: could not start the mock cluster");
  broker->bootstrap_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  return broker;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_) rd_kafka_destroy(handle_);
}

Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions) {
  rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return Status::Error("create topic " + topic + ": " + rd_kafka_err2str(e));
  }
  return Status::Ok();
}

}  // namespace convene::connectors

#include "connectors/engine_lag.h"

#include "connectors/kafka_config.h"

namespace convene::connectors {

Result<std::unique_ptr<EngineLag>> EngineLag::Open(const std::string& bootstrap,
                                                   const std::string& topic) {
  auto conf = MakeKafkaConf(bootstrap, {{"group.id", kEngineGroup},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<EngineLag> lag(new EngineLag());
  lag->topic_ = topic;
  std::string err;
  lag->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!lag->consumer_) return Status::Error("kafka consumer: " + err);
  lag->cluster_id_ = lag->consumer_->clusterid(10000);
  if (lag->cluster_id_.empty()) {
    return Status::Error("kafka: no answer from " + bootstrap + " within 10 s");
  }
  lag->embedded_ = IsEmbeddedCluster(lag->cluster_id_);
  return lag;
}

EngineLag::~EngineLag() {
  if (consumer_) consumer_->close();
}

Result<std::map<int32_t, int64_t>> EngineLag::Applied(const std::vector<int32_t>& partitions) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (int32_t p : partitions) tps.push_back(RdKafka::TopicPartition::create(topic_, p));
  RdKafka::ErrorCode e = consumer_->committed(tps, 2000);
  std::map<int32_t, int64_t> applied;
  std::string failed;
  for (auto* tp : tps) {
    if (tp->err() != RdKafka::ERR_NO_ERROR) failed = RdKafka::err2str(tp->err());
    applied[tp->partition()] = tp->offset() >= 0 ? tp->offset() : 0;
  }
  RdKafka::TopicPartition::destroy(tps);
  if (e != RdKafka::ERR_NO_ERROR) {
    return Status::Error("kafka: the engine's committed offsets: " + RdKafka::err2str(e));
  }
  if (!failed.empty()) return Status::Error("kafka: the engine's committed offsets: " + failed);
  return applied;
}

}  // namespace convene::connectors

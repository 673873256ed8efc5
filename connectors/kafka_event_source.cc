#include "connectors/kafka_event_source.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "connectors/kafka_config.h"

namespace convene::connectors {

// Positions newly assigned partitions at the engine's stored offsets. Runs on
// the polling thread inside consume(); must not throw.
class KafkaEventSource::Rebalance : public RdKafka::RebalanceCb {
 public:
  Rebalance(StartOffsetLookup lookup, std::atomic<bool>* assigned)
      : lookup_(std::move(lookup)), assigned_(assigned) {}

  // Called on librdkafka's poll, inside consume(): nothing may escape into
  // the C library. A failure leaves the partitions unassigned, so nothing is
  // read from a wrong position; the loop sees Ready() false and waits.
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    try {
      Handle(consumer, err, partitions);
    } catch (const std::exception& e) {
      Failed(e.what());
    } catch (...) {
      Failed("an unknown error");
    }
  }

  // Set when positioning failed; Poll returns it, so the engine stops with
  // the reason instead of waiting on partitions it will never read.
  std::string failure() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failure_;
  }

 private:
  void Handle(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
              std::vector<RdKafka::TopicPartition*>& partitions) {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      for (auto* tp : partitions) {
        auto stored = lookup_(tp->topic(), tp->partition());
        tp->set_offset(stored ? *stored : RdKafka::Topic::OFFSET_BEGINNING);
        spdlog::info("intake: {}[{}] starts at {}", tp->topic(), tp->partition(),
                     stored ? std::to_string(*stored) : std::string("the beginning"));
      }
      RdKafka::ErrorCode e = consumer->assign(partitions);
      if (e != RdKafka::ERR_NO_ERROR) {
        Failed("assign: " + RdKafka::err2str(e));
        return;
      }
      assigned_->store(true);
    } else {
      consumer->unassign();
      assigned_->store(false);
    }
  }

  void Failed(const std::string& what) noexcept {
    spdlog::error("intake: rebalance failed: {}", what);
    assigned_->store(false);
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.empty()) failure_ = what;
  }

  StartOffsetLookup lookup_;
  std::atomic<bool>* assigned_;
  mutable std::mutex mu_;
  std::string failure_;
};

Result<std::unique_ptr<KafkaEventSource>> KafkaEventSource::Open(const std::string& bootstrap,
                                                                const std::string& topic,
                                                                const std::string& group,
                                                                StartOffsetLookup start_offsets,
                                                                bool sole_reader) {
  auto conf = MakeKafkaConf(bootstrap, {{"group.id", group},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"auto.offset.reset", "earliest"},
                                        {"enable.partition.eof", "false"},
                                        {"fetch.wait.max.ms", "50"},
                                        // After a crash the restarted engine waits for the
                                        // old member's session to expire: keep that short.
                                        {"session.timeout.ms", "6000"},
                                        {"heartbeat.interval.ms", "1000"},
                                        {"topic.metadata.refresh.interval.ms", "2000"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaEventSource> source(new KafkaEventSource());
  StartOffsetLookup lookup = start_offsets;
  source->rebalance_ = std::make_unique<Rebalance>(std::move(start_offsets), &source->assigned_);
  std::string err;
  if ((*conf)->set("rebalance_cb", source->rebalance_.get(), err) != RdKafka::Conf::CONF_OK) {
    return Status::Error("kafka: " + err);
  }
  source->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!source->consumer_) return Status::Error("kafka consumer: " + err);
  // Which broker this is decides whether the stored offsets mean anything here.
  source->cluster_id_ = source->consumer_->clusterid(10000);
  if (source->cluster_id_.empty()) {
    return Status::Error("kafka: no answer from " + bootstrap +
                         " within 10 s (its cluster id is needed to know whether the stored "
                         "offsets are this broker's)");
  }
  if (sole_reader) {
    // Assigned at the first Poll, once the engine has decided where to start
    // (AdoptBroker may drop offsets stored for another broker).
    source->sole_topic_ = topic;
    source->lookup_ = std::move(lookup);
    return source;
  }
  RdKafka::ErrorCode e = source->consumer_->subscribe({topic});
  if (e != RdKafka::ERR_NO_ERROR) {
    return Status::Error("kafka subscribe to " + topic + ": " + RdKafka::err2str(e));
  }
  return source;
}

Status KafkaEventSource::AssignAll() {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer_.get(), sole_topic_, nullptr, err));
  if (!handle) return Status::Error("kafka topic " + sole_topic_ + ": " + err);
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode e = consumer_->metadata(false, handle.get(), &raw, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (e == RdKafka::ERR_NO_ERROR && !metadata->topics()->empty()) {
    e = metadata->topics()->front()->err();
    if (e == RdKafka::ERR_NO_ERROR && metadata->topics()->front()->partitions()->empty()) {
      e = RdKafka::ERR_UNKNOWN_TOPIC_OR_PART;
    }
  }
  if (e != RdKafka::ERR_NO_ERROR || metadata->topics()->empty()) {
    return Status::Error("kafka: the partitions of " + sole_topic_ + ": " + RdKafka::err2str(e));
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* p : *metadata->topics()->front()->partitions()) {
    auto stored = lookup_(sole_topic_, p->id());
    partitions.push_back(RdKafka::TopicPartition::create(
        sole_topic_, p->id(), stored ? *stored : RdKafka::Topic::OFFSET_BEGINNING));
    spdlog::info("intake: {}[{}] starts at {}", sole_topic_, p->id(),
                 stored ? std::to_string(*stored) : std::string("the beginning"));
  }
  e = consumer_->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  if (e != RdKafka::ERR_NO_ERROR) {
    return Status::Error("kafka assign " + sole_topic_ + ": " + RdKafka::err2str(e));
  }
  assigned_ = true;
  return Status::Ok();
}

KafkaEventSource::~KafkaEventSource() {
  if (consumer_) consumer_->close();
}

Status KafkaEventSource::Poll(std::vector<InputRecord>* out, size_t max,
                              std::chrono::milliseconds timeout) {
  if (!sole_topic_.empty() && !assigned_) {
    if (Status s = AssignAll(); !s.ok()) return s;
  }
  int wait = static_cast<int>(timeout.count());
  for (size_t n = 0; n < max; ++n) {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(wait));
    if (std::string failed = rebalance_->failure(); !failed.empty()) {
      return Status::Error("intake: the partitions of the events topic could not be positioned: " +
                           failed);
    }
    wait = 0;
    switch (m->err()) {
      case RdKafka::ERR_NO_ERROR: {
        InputRecord r;
        r.topic = m->topic_name();
        r.partition = m->partition();
        r.offset = m->offset();
        if (m->key()) r.key = *m->key();
        r.payload.assign(static_cast<const char*>(m->payload()), m->len());
        out->push_back(std::move(r));
        break;
      }
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF:
        return Status::Ok();
      case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
      case RdKafka::ERR__UNKNOWN_TOPIC:
        spdlog::warn("intake: {} (waiting for the topic to exist)", m->errstr());
        return Status::Ok();
      default:
        if (m->err() == RdKafka::ERR__FATAL) return Status::Error("kafka: " + m->errstr());
        spdlog::warn("intake: {}", m->errstr());
        return Status::Ok();
    }
  }
  return Status::Ok();
}

std::optional<int64_t> KafkaEventSource::Lag(const OffsetMap& applied) const {
  std::optional<int64_t> lag;
  for (const auto& [tp, next] : applied) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(tp.first, tp.second, &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    lag = lag.value_or(0) + std::max<int64_t>(0, high - next);
  }
  return lag;
}

void KafkaEventSource::Acknowledge(const OffsetMap& next_offsets) {
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [tp, offset] : next_offsets) {
    offsets.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  }
  RdKafka::ErrorCode e = consumer_->commitAsync(offsets);
  if (e != RdKafka::ERR_NO_ERROR) spdlog::debug("intake: commit: {}", RdKafka::err2str(e));
  RdKafka::TopicPartition::destroy(offsets);
}

}  // namespace convene::connectors

#include "connectors/kafka_message_sink.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "connectors/kafka_config.h"
#include "rules/json.h"

namespace convene::connectors {

// Turns librdkafka delivery reports into DeliveryCallback calls. Runs inside
// poll()/flush(); must not throw.
class KafkaMessageSink::Reports : public RdKafka::DeliveryReportCb {
 public:
  explicit Reports(DeliveryCallback cb) : cb_(std::move(cb)) {}
  void dr_cb(RdKafka::Message& m) override {
    uint64_t token = reinterpret_cast<uintptr_t>(m.msg_opaque());
    try {
      cb_(token, m.err() == RdKafka::ERR_NO_ERROR ? Status::Ok()
                                                  : Status::Error(m.errstr()));
    } catch (const std::exception& e) {
      spdlog::error("delivery report handler failed: {}", e.what());
    }
  }

 private:
  DeliveryCallback cb_;
};

Result<std::unique_ptr<KafkaMessageSink>> KafkaMessageSink::Open(const std::string& bootstrap,
                                                                DeliveryCallback on_delivery) {
  auto conf = MakeKafkaConf(bootstrap, {{"enable.idempotence", "true"},
                                        {"acks", "all"},
                                        {"linger.ms", "5"},
                                        // Events may be 1 MiB (SPEC 3); with their key and
                                        // framing they exceed the client's 1,000,000 default.
                                        {"message.max.bytes", std::to_string(2 << 20)},
                                        {"topic.metadata.refresh.interval.ms", "2000"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaMessageSink> sink(new KafkaMessageSink());
  sink->reports_ = std::make_unique<Reports>(std::move(on_delivery));
  std::string err;
  if ((*conf)->set("dr_cb", sink->reports_.get(), err) != RdKafka::Conf::CONF_OK) {
    return Status::Error("kafka: " + err);
  }
  sink->producer_.reset(RdKafka::Producer::create(conf->get(), err));
  if (!sink->producer_) return Status::Error("kafka producer: " + err);
  return sink;
}

KafkaMessageSink::~KafkaMessageSink() {
  if (producer_) producer_->flush(5000);
}

Status KafkaMessageSink::Produce(const std::string& topic, std::string_view key,
                                 std::string_view payload, uint64_t token) {
  RdKafka::ErrorCode e = producer_->produce(
      topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
      const_cast<char*>(payload.data()), payload.size(), key.empty() ? nullptr : key.data(),
      // The token travels as librdkafka's opaque pointer and comes back in dr_cb.
      key.size(), 0, reinterpret_cast<void*>(static_cast<uintptr_t>(token)));  // NOLINT
  if (e == RdKafka::ERR__QUEUE_FULL) return Status::Error(kQueueFull);
  if (e != RdKafka::ERR_NO_ERROR) return Status::Error(RdKafka::err2str(e));
  return Status::Ok();
}

void KafkaMessageSink::Poll(std::chrono::milliseconds timeout) {
  producer_->poll(static_cast<int>(timeout.count()));
}

Status KafkaMessageSink::Flush(std::chrono::milliseconds timeout) {
  RdKafka::ErrorCode e = producer_->flush(static_cast<int>(timeout.count()));
  if (e != RdKafka::ERR_NO_ERROR) return Status::Error(RdKafka::err2str(e));
  return Status::Ok();
}

Result<std::unique_ptr<ConfirmedProducer>> ConfirmedProducer::Open(const std::string& bootstrap) {
  std::unique_ptr<ConfirmedProducer> p(new ConfirmedProducer());
  ConfirmedProducer* self = p.get();
  auto sink = KafkaMessageSink::Open(bootstrap, [self](uint64_t, const Status& s) {
    if (s.ok()) {
      ++self->delivered_;
    } else if (self->first_error_.empty()) {
      self->first_error_ = s.message();
    }
  });
  if (!sink.ok()) return sink.status();
  p->sink_ = std::move(*sink);
  return p;
}

Status ConfirmedProducer::Send(const std::string& topic, std::string_view key,
                               std::string_view payload) {
  while (true) {
    Status s = sink_->Produce(topic, key, payload, sent_);
    if (s.ok()) break;
    if (!IsQueueFull(s)) return s;  // this message cannot be sent
    sink_->Poll(std::chrono::milliseconds(50));  // let the queue drain
  }
  ++sent_;
  sink_->Poll(std::chrono::milliseconds(0));
  return Status::Ok();
}

Status ConfirmedProducer::Flush() {
  if (Status s = sink_->Flush(std::chrono::seconds(30)); !s.ok()) return s;
  if (delivered_ != sent_) {
    return Status::Error("only " + std::to_string(delivered_) + " of " + std::to_string(sent_) +
                         " messages delivered" +
                         (first_error_.empty() ? std::string() : ": " + first_error_));
  }
  return Status::Ok();
}

Status ProduceAll(const std::string& bootstrap, const std::string& topic,
                  const std::vector<std::string>& lines) {
  auto producer = ConfirmedProducer::Open(bootstrap);
  if (!producer.ok()) return producer.status();
  std::string refused;
  for (size_t i = 0; i < lines.size(); ++i) {
    rapidjson::Document doc;
    doc.Parse(lines[i].data(), lines[i].size());
    std::string key(doc.HasParseError() ? std::string_view() : json::GetString(doc, "id"));
    if (Status s = (*producer)->Send(topic, key, lines[i]); !s.ok()) {
      refused += "\n  line " + std::to_string(i + 1) + ": " + s.message();
    }
  }
  Status flushed = (*producer)->Flush();
  if (!refused.empty()) return Status::Error("not sent:" + refused);
  return flushed;
}

}  // namespace convene::connectors

#include "connectors/kafka_message_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "connectors/kafka_config.h"
#include "rules/json.h"

namespace convene::connectors {

// Turns librdkafka delivery reports into DeliveryCallback calls. Runs inside
// poll()/flush(); must not throw.
class KafkaMessageSink::Reports : public RdKafka::DeliveryReportCb {
 public:
  Reports(DeliveryCallback cb, OffsetCallback on_offset)
      : cb_(std::move(cb)), on_offset_(std::move(on_offset)) {}
  void dr_cb(RdKafka::Message& m) override {
    uint64_t token = reinterpret_cast<uintptr_t>(m.msg_opaque());
    try {
      if (on_offset_ && m.err() == RdKafka::ERR_NO_ERROR) on_offset_(token, m.partition(), m.offset());
      cb_(token, m.err() == RdKafka::ERR_NO_ERROR ? Status::Ok()
                                                  : Status::Error(m.errstr()));
    } catch (const std::exception& e) {
      spdlog::error("delivery report handler failed: {}", e.what());
    }
  }

 private:
  DeliveryCallback cb_;
  OffsetCallback on_offset_;
};

Result<std::unique_ptr<KafkaMessageSink>> KafkaMessageSink::Open(const std::string& bootstrap,
                                                                DeliveryCallback on_delivery,
                                                                OffsetCallback on_offset) {
  auto conf = MakeKafkaConf(bootstrap, {{"enable.idempotence", "true"},
                                        {"acks", "all"},
                                        {"linger.ms", "5"},
                                        // Events may be 1 MiB (SPEC 3); with their key and
                                        // framing they exceed the client's 1,000,000 default.
                                        {"message.max.bytes", std::to_string(2 << 20)},
                                        {"topic.metadata.refresh.interval.ms", "2000"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaMessageSink> sink(new KafkaMessageSink());
  sink->reports_ = std::make_unique<Reports>(std::move(on_delivery), std::move(on_offset));
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

void KafkaMessageSink::Abandon() {
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT |
                   RdKafka::Producer::PURGE_NON_BLOCKING);
  producer_->poll(0);  // their reports, as failures
}

Status KafkaMessageSink::Produce(const std::string& topic, std::string_view key,
                                 std::string_view payload, uint64_t token) {
  RdKafka::ErrorCode e = producer_->produce(
      topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
      const_cast<char*>(payload.data()), payload.size(), key.empty() ? nullptr : key.data(),
      // The token travels as librdkafka's opaque pointer and comes back in dr_cb.
      key.size(), 0, reinterpret_cast<void*>(static_cast<uintptr_t>(token)));  // NOLINT
  if (e == RdKafka::ERR__QUEUE_FULL) return Status::Busy(kQueueFull);
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

namespace {
// What a record costs in the broker's log beyond its key and value (record
// and batch headers), so that many small events are not undercounted.
constexpr size_t kRecordOverhead = 80;
}  // namespace

Result<std::unique_ptr<ConfirmedProducer>> ConfirmedProducer::Open(const std::string& bootstrap,
                                                                   const Options& options) {
  std::unique_ptr<ConfirmedProducer> p(new ConfirmedProducer());
  p->options_ = options;
  ConfirmedProducer* self = p.get();
  auto find = [self](uint64_t token) {
    return std::lower_bound(self->unapplied_.begin(), self->unapplied_.end(), token,
                            [](const Unapplied& u, uint64_t t) { return u.token < t; });
  };
  auto sink = KafkaMessageSink::Open(
      bootstrap,
      [self, find](uint64_t token, const Status& s) {
        if (s.ok()) {
          ++self->delivered_;
          return;
        }
        if (self->first_error_.empty()) self->first_error_ = s.message();
        // Not on the broker, so not the engine's to apply.
        if (auto it = find(token); it != self->unapplied_.end() && it->token == token) {
          self->unapplied_bytes_ -= it->bytes;
          self->unapplied_.erase(it);
        }
      },
      [self, find](uint64_t token, int32_t partition, int64_t offset) {
        if (auto it = find(token); it != self->unapplied_.end() && it->token == token) {
          it->partition = partition;
          it->offset = offset;
        }
      });
  if (!sink.ok()) return sink.status();
  p->sink_ = std::move(*sink);
  if (!options.events_topic.empty()) {
    auto lag = EngineLag::Open(bootstrap, options.events_topic);
    if (!lag.ok()) return lag.status();
    if ((*lag)->embedded()) p->lag_ = std::move(*lag);
  }
  return p;
}

Status ConfirmedProducer::Send(const std::string& topic, std::string_view key,
                               std::string_view payload) {
  const bool watched = lag_ && topic == options_.events_topic;
  const size_t bytes = key.size() + payload.size() + kRecordOverhead;
  if (watched && unapplied_bytes_ > 0 && unapplied_bytes_ + bytes > kEmbeddedBudget) {
    if (Status s = WaitForEngine(bytes < kEmbeddedBudget ? kEmbeddedBudget - bytes : 0); !s.ok()) {
      return s;
    }
  }
  if (!stalled_.ok()) return stalled_;
  auto full_since = std::chrono::steady_clock::now();
  while (true) {
    Status s = sink_->Produce(topic, key, payload, sent_);
    if (s.ok()) break;
    if (!IsQueueFull(s)) return s;  // this message cannot be sent
    if (Status stopped = Stopped(); !stopped.ok()) return stopped;
    if (std::chrono::steady_clock::now() - full_since > options_.stall_timeout) {
      return stalled_ = Status::Error(
                 "the broker took none of the " + std::to_string(sent_ - delivered_) +
                 " messages waiting to be sent for " +
                 StallSeconds() +
                 " s: is it running?");
    }
    sink_->Poll(std::chrono::milliseconds(50));  // let the queue drain
  }
  if (watched) {
    unapplied_.push_back({sent_, bytes});
    unapplied_bytes_ += bytes;
  }
  ++sent_;
  sink_->Poll(std::chrono::milliseconds(0));
  return Status::Ok();
}

std::string ConfirmedProducer::StallSeconds() const {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(options_.stall_timeout).count());
}

ConfirmedProducer::~ConfirmedProducer() {
  if (sink_ && options_.stop && options_.stop->load()) sink_->Abandon();
  // First: its last delivery reports call back into the members below.
  sink_.reset();
}

Status ConfirmedProducer::Stopped() const {
  if (!options_.stop || !options_.stop->load()) return Status::Ok();
  // A stop lets what is nearly done finish (a connector's last flush, an
  // engine about to commit) for a moment, then ends the wait.
  auto now = std::chrono::steady_clock::now();
  if (!stop_seen_) stop_seen_ = now;
  if (now - *stop_seen_ < kStopGrace) return Status::Ok();
  return Status::Interrupted("stopped on request");
}

Status ConfirmedProducer::WaitForEngine(size_t budget) {
  // An engine that stopped applying is not waited for again at every message.
  if (!stalled_.ok()) return stalled_;
  using Clock = std::chrono::steady_clock;
  auto last_progress = Clock::now();
  auto last_report = Clock::now();
  std::string unread;  // why the engine's offsets could not be read, if they could not
  while (unapplied_bytes_ > budget) {
    if (Status stopped = Stopped(); !stopped.ok()) return stopped;
    sink_->Poll(std::chrono::milliseconds(50));
    std::vector<int32_t> partitions;
    for (const auto& u : unapplied_) {
      if (u.partition >= 0 &&
          std::find(partitions.begin(), partitions.end(), u.partition) == partitions.end()) {
        partitions.push_back(u.partition);
      }
    }
    bool progressed = false;
    if (!partitions.empty()) {
      // A broker that does not answer (an engine killed with its embedded
      // broker) is no progress: waited for up to stall_timeout, as an engine
      // that applies nothing is.
      auto applied = lag_->Applied(partitions);
      unread = applied.ok() ? "" : applied.status().message();
      while (applied.ok() && !unapplied_.empty() && unapplied_.front().partition >= 0 &&
             unapplied_.front().offset < (*applied)[unapplied_.front().partition]) {
        unapplied_bytes_ -= unapplied_.front().bytes;
        unapplied_.pop_front();
        ++applied_;
        progressed = true;
      }
    }
    auto now = Clock::now();
    if (progressed) {
      last_progress = now;
    } else if (now - last_progress > options_.stall_timeout) {
      return stalled_ = Status::Error(
          std::to_string(unapplied_.size()) + " events sent to the embedded broker are not " +
          "applied, and the engine has applied none for " +
          StallSeconds() +
          " s: is convene run reading " + options_.events_topic + " on this broker?" +
          (unread.empty() ? std::string() : " (" + unread + ")"));
    }
    if (now - last_report > std::chrono::seconds(5)) {
      spdlog::info("waiting for the engine: {} events sent and not yet applied",
                   unapplied_.size());
      last_report = now;
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Ok();
}

Status ConfirmedProducer::Flush() {
  // In slices, so that a stop is seen; no longer than stall_timeout in all.
  auto deadline = std::chrono::steady_clock::now() + options_.stall_timeout;
  while (true) {
    if (Status stopped = Stopped(); !stopped.ok()) return stopped;
    if (sink_->Flush(std::chrono::milliseconds(200)).ok()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return stalled_ = Status::Error(
                 std::to_string(sent_ - delivered_) + " messages were not confirmed by the " +
                 "broker in " +
                 StallSeconds() +
                 " s: is it running?");
    }
  }
  if (delivered_ != sent_) {
    return Status::Error("only " + std::to_string(delivered_) + " of " + std::to_string(sent_) +
                         " messages delivered" +
                         (first_error_.empty() ? std::string() : ": " + first_error_));
  }
  // On the embedded broker an event counts as sent once the engine has it.
  if (lag_) return WaitForEngine(0);
  return Status::Ok();
}

Status ProduceAll(const std::string& bootstrap, const std::string& topic,
                  const std::vector<std::string>& lines, std::chrono::milliseconds stall_timeout,
                  const std::atomic<bool>* stop) {
  ConfirmedProducer::Options options;
  options.events_topic = topic;
  options.stall_timeout = stall_timeout;
  options.stop = stop;
  auto producer = ConfirmedProducer::Open(bootstrap, options);
  if (!producer.ok()) return producer.status();
  ConfirmedProducer& p = **producer;
  std::string refused;
  Status ended;  // the engine or the broker stopped taking lines, or a stop
  for (size_t i = 0; i < lines.size() && ended.ok(); ++i) {
    rapidjson::Document doc;
    std::string key(json::Parse(&doc, lines[i]).ok() ? json::GetString(doc, "id") : "");
    if (Status s = p.Send(topic, key, lines[i]); !s.ok()) {
      // A line the client refuses (too large, say) is that line's; a stall or
      // a stop is every line's from here on.
      if (s.code() == Status::Code::kInterrupted || p.stalled()) {
        ended = s;
      } else {
        refused += "\n  line " + std::to_string(i + 1) + ": " + s.message();
      }
    }
  }
  Status flushed = ended.ok() ? p.Flush() : ended;
  if (flushed.ok() && refused.empty()) return Status::Ok();
  // What became of the lines: those the engine was seen to apply (on the
  // embedded broker), else those the broker confirmed; with one partition
  // (convene's events topic) in order.
  const uint64_t done = p.embedded() ? p.applied() : p.delivered();
  std::string fate = std::to_string(done) + " of " + std::to_string(lines.size()) +
                     (p.embedded() ? " lines were applied by the engine"
                                   : " lines were confirmed by the broker");
  if (!flushed.ok()) {
    std::string rest = done < lines.size() ? "; lines " + std::to_string(done + 1) + " to " +
                                                 std::to_string(lines.size()) + " were not"
                                           : "";
    Status out = flushed.code() == Status::Code::kInterrupted
                     ? Status::Interrupted("stopped: " + fate + rest)
                     : Status::Error(flushed.message() + ": " + fate + rest);
    if (!refused.empty()) out = out.Prefixed("not sent:" + refused + "\n");
    return out;
  }
  return Status::Error("not sent:" + refused + "\n" + fate);
}

}  // namespace convene::connectors

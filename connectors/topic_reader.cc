#include "connectors/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>

#include "connectors/kafka_config.h"

namespace convene::connectors {
namespace {

struct Partitions {
  std::vector<int32_t> ids;
  std::vector<int64_t> low, high;
};

Result<Partitions> Watermarks(RdKafka::Handle* h, const std::string& topic, int timeout_ms) {
  Partitions p;
  RdKafka::Metadata* raw = nullptr;
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(h, topic, nullptr, err));
  RdKafka::ErrorCode e = h->metadata(false, t.get(), &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (e != RdKafka::ERR_NO_ERROR) return Status::Error("metadata: " + RdKafka::err2str(e));
  for (const auto* tm : *md->topics()) {
    if (tm->topic() != topic || tm->err() != RdKafka::ERR_NO_ERROR) continue;
    for (const auto* pm : *tm->partitions()) {
      int64_t lo = 0, hi = 0;
      e = h->query_watermark_offsets(topic, pm->id(), &lo, &hi, timeout_ms);
      if (e != RdKafka::ERR_NO_ERROR) return Status::Error("offsets: " + RdKafka::err2str(e));
      p.ids.push_back(pm->id());
      p.low.push_back(lo);
      p.high.push_back(hi);
    }
  }
  return p;
}

}  // namespace

Result<std::vector<std::string>> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                           std::chrono::milliseconds timeout) {
  auto conf = MakeKafkaConf(bootstrap, {{"group.id", "convene-reader"},
                                        {"enable.auto.commit", "false"}});
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!c) return Status::Error("kafka consumer: " + err);
  auto parts = Watermarks(c.get(), topic, static_cast<int>(timeout.count()));
  if (!parts.ok()) return parts.status();
  std::vector<std::vector<std::string>> per_partition(parts->ids.size());
  std::vector<RdKafka::TopicPartition*> assignment;
  size_t remaining = 0;
  for (size_t i = 0; i < parts->ids.size(); ++i) {
    if (parts->high[i] > parts->low[i]) {
      assignment.push_back(RdKafka::TopicPartition::create(topic, parts->ids[i], parts->low[i]));
      remaining += static_cast<size_t>(parts->high[i] - parts->low[i]);
    }
  }
  if (!assignment.empty()) c->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (remaining > 0 && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(c->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    for (size_t i = 0; i < parts->ids.size(); ++i) {
      if (parts->ids[i] == m->partition() && m->offset() < parts->high[i]) {
        per_partition[i].emplace_back(static_cast<const char*>(m->payload()), m->len());
        --remaining;
      }
    }
  }
  c->close();
  if (remaining > 0) return Status::Error("timed out reading " + topic);
  std::vector<std::string> out;
  for (auto& p : per_partition) {
    for (auto& v : p) out.push_back(std::move(v));
  }
  return out;
}

Result<int64_t> TopicEndOffset(const std::string& bootstrap, const std::string& topic,
                               std::chrono::milliseconds timeout) {
  auto conf = MakeKafkaConf(bootstrap, {});
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf->get(), err));
  if (!p) return Status::Error("kafka: " + err);
  auto parts = Watermarks(p.get(), topic, static_cast<int>(timeout.count()));
  if (!parts.ok()) return parts.status();
  int64_t total = 0;
  for (int64_t h : parts->high) total += h;
  return total;
}

}  // namespace convene::connectors

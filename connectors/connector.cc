#include "connectors/connector.h"

#include <iostream>
#include <regex>

#include "connectors/kafka_message_sink.h"
#include "rules/json.h"
#include "rules/title_template.h"
#include "rules/text.h"
#include "rules/time_point.h"

namespace convene::connectors {
namespace {

constexpr size_t kMaxRemembered = 1000000;  // ids kept to spot repeats within a run
constexpr size_t kMaxListed = 100;          // rejections listed one by one


// A reason with the record's own values left out, so that reasons can be
// counted: the first quoted name stays, later quoted values become '…'.
std::string Kind(const std::string& reason) {
  std::string out;
  int quoted = 0;
  size_t i = 0;
  while (i < reason.size()) {
    if (reason[i] == '\'') {
      size_t end = reason.find('\'', i + 1);
      if (end == std::string::npos) break;
      out += ++quoted == 1 ? reason.substr(i, end - i + 1) : "'…'";
      i = end + 1;
      continue;
    }
    out.push_back(reason[i++]);
  }
  out += reason.substr(i);
  static const std::regex kNumbers(" [0-9]+ (fields|of)");
  return std::regex_replace(out, kNumbers, " N $1");
}

class Kafka : public EventOutput {
 public:
  explicit Kafka(std::unique_ptr<ConfirmedProducer> p) : producer_(std::move(p)) {}
  Status Send(const std::string& topic, const std::string& key, const std::string& payload) override {
    return producer_->Send(topic, key, payload);
  }
  Status Flush() override { return producer_->Flush(); }

 private:
  std::unique_ptr<ConfirmedProducer> producer_;
};

class Print : public EventOutput {
 public:
  Print(std::ostream& events, std::ostream& rejects, std::string events_topic)
      : events_(events), rejects_(rejects), events_topic_(std::move(events_topic)) {}
  Status Send(const std::string& topic, const std::string&, const std::string& payload) override {
    (topic == events_topic_ ? events_ : rejects_) << payload << "\n";
    return Status::Ok();
  }
  Status Flush() override {
    events_.flush();
    return Status::Ok();
  }

 private:
  std::ostream& events_;
  std::ostream& rejects_;
  std::string events_topic_;
};

}  // namespace

Result<std::unique_ptr<EventOutput>> KafkaOutput(const std::string& bootstrap,
                                                 const std::string& events_topic,
                                                 const std::atomic<bool>* stop) {
  ConfirmedProducer::Options options;
  options.events_topic = events_topic;
  options.stop = stop;
  auto p = ConfirmedProducer::Open(bootstrap, options);
  if (!p.ok()) return p.status();
  return std::unique_ptr<EventOutput>(new Kafka(std::move(*p)));
}

std::unique_ptr<EventOutput> PrintOutput(std::ostream& events, std::ostream& rejects,
                                         const std::string& events_topic) {
  return std::make_unique<Print>(events, rejects, events_topic);
}

Connector::Connector(EventOutput* out, ConnectorOptions options)
    : out_(out), options_(std::move(options)) {}

Connector::~Connector() { EndProgress(); }

void Connector::BeginFile(const std::string& file, int64_t size, int64_t offset) {
  EndProgress();
  file_ = file;
  size_ = size;
  if (offset > 0) {
    std::cerr << file << ": reading on from byte " << offset << " (read before up to there)\n";
  }
}

Outcome Connector::Accept(const Mapping& mapping, SourceRecord record) {
  ++summary_.read;
  if (!record.error.empty()) {
    Reject(mapping, record, record.error);
    return {Outcome::kRejected, record.error};
  }
  auto event = mapping.Apply(record.fields);
  if (!event.ok()) {
    Reject(mapping, record, event.status().message());
    return {Outcome::kRejected, event.status().message()};
  }
  rapidjson::Document d;
  d.Parse(event->c_str(), event->size());
  std::string id(json::GetString(d, "id"));
  std::string where = record.file + ":" + std::to_string(record.row);
  uint64_t hash = rules::Fnv1a64(*event);
  if (auto it = seen_.find(id); it != seen_.end()) {
    if (it->second.second == hash) {
      ++summary_.duplicates;
      return {Outcome::kDuplicate, "the same record as " + it->second.first};
    }
    std::string reason = "id " + id + " was already used by " + it->second.first +
                         " with different values; convene keeps the first";
    Reject(mapping, record, reason);
    return {Outcome::kRejected, reason};
  }
  if (seen_.size() >= kMaxRemembered) seen_.clear();
  seen_.emplace(id, std::make_pair(where, hash));
  if (Status s = out_->Send(options_.topic_prefix + "events", id, *event); !s.ok()) {
    Reject(mapping, record, "not sent: " + s.message());
    return {Outcome::kRejected, s.message()};
  }
  ++summary_.sent;
  return {Outcome::kSent, ""};
}

void Connector::Reject(const Mapping& mapping, const SourceRecord& record,
                       const std::string& reason) {
  ++summary_.rejected;
  ++summary_.by_reason[Kind(reason)];
  std::string where = record.file + ":" + std::to_string(record.row);
  if (summary_.rejections.size() < kMaxListed) summary_.rejections.push_back(where + ": " + reason);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "reason", reason);
  json::Field(w, "source", mapping.source);
  json::Field(w, "mapping", mapping.file);
  json::Field(w, "file", record.file);
  json::Key(w, "row");
  w.Int64(record.row);
  json::Original(w, record.text);
  json::Field(w, "rejected_at",
              FormatRfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()));
  w.EndObject();
  Status sent = out_->Send(options_.topic_prefix + "dead-letter", where,
                           std::string(buf.GetString(), buf.GetSize()));
  if (!sent.ok() && dead_letter_failed_.ok()) {
    // The row is now neither an event nor a dead letter: the checkpoint must
    // not pass it, so that the next run reads it again.
    dead_letter_failed_ = Status::Error(where + ": its dead letter could not be sent (" +
                                        sent.message() + "); the checkpoint stays before it");
    FileFailed(record.file, dead_letter_failed_.message());
  }
}

Status Connector::Commit(const Mapping& mapping, const std::string& file, const Checkpoint& at) {
  if (Status s = out_->Flush(); !s.ok()) return s;
  if (!dead_letter_failed_.ok()) return dead_letter_failed_;
  if (!options_.checkpoints) return Status::Ok();
  return options_.checkpoints->Save(mapping.source, file, at);
}

Status Connector::Flush() { return out_->Flush(); }

void Connector::FileFailed(const std::string& file, const std::string& reason) {
  summary_.files_failed.push_back(file + ": " + reason);
}

void Connector::FileWarning(const std::string& file, const std::string& message) {
  summary_.warnings.push_back(file + ": " + message);
}

void Connector::Progress(int64_t bytes) {
  if (!options_.progress || size_ < (1 << 20)) return;  // small files need no bar
  auto now = std::chrono::steady_clock::now();
  if (now - drawn_ < std::chrono::milliseconds(100) && bytes < size_) return;
  drawn_ = now;
  constexpr int kWidth = 30;
  int done = static_cast<int>(kWidth * bytes / std::max<int64_t>(size_, 1));
  std::cerr << "\r[" << std::string(done, '#') << std::string(kWidth - done, ' ') << "] "
            << (100 * bytes / std::max<int64_t>(size_, 1)) << "%  " << summary_.read
            << " records  " << file_ << std::flush;
  bar_shown_ = true;
}

void Connector::EndProgress() {
  if (bar_shown_) std::cerr << "\n";
  bar_shown_ = false;
}

std::string Connector::Report() {
  EndProgress();
  std::string out = std::to_string(summary_.read) + " read, " + std::to_string(summary_.sent) +
                    " sent, " + std::to_string(summary_.duplicates) + " duplicate" +
                    (summary_.duplicates == 1 ? "" : "s") + ", " +
                    std::to_string(summary_.rejected) + " rejected\n";
  for (const auto& [kind, n] : summary_.by_reason) {
    out += "  " + std::to_string(n) + " x " + kind + "\n";
  }
  if (!summary_.rejections.empty()) out += "rejected records:\n";
  for (const auto& r : summary_.rejections) out += "  " + r + "\n";
  if (summary_.rejected > static_cast<int64_t>(summary_.rejections.size())) {
    out += "  ... and " + std::to_string(summary_.rejected - summary_.rejections.size()) +
           " more on the dead-letter topic\n";
  }
  for (const auto& w : summary_.warnings) out += "warning: " + w + "\n";
  for (const auto& f : summary_.files_failed) out += "not read: " + f + "\n";
  return out;
}

}  // namespace convene::connectors

// The connector: takes the records a source reads, maps each to an event,
// checks it, and sends it to convene.events keyed by its id; a record that
// cannot be mapped goes to convene.dead-letter with its file, row and reason,
// and the rest goes on. The same record id twice in one run is sent once. A
// file's checkpoint is written only after the broker confirmed everything
// before it, so a crash re-sends at most what was in flight (the engine
// applies an event id once). Thread-compatible: one source thread calls it
// (the http source serialises its requests).
#pragma once

#include <atomic>
#include <chrono>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/source.h"

namespace convene::connectors {

// Where a connector's events and dead letters go.
class EventOutput {
 public:
  virtual ~EventOutput() = default;
  virtual Status Send(const std::string& topic, const std::string& key,
                      const std::string& payload) = 0;
  // Everything sent so far is durable, or an error.
  virtual Status Flush() = 0;
};

// To Kafka, confirmed; on the embedded broker, Flush also waits for the engine
// to apply what was sent to `events_topic`, so a checkpoint is written only
// for events the engine has (SPEC 6). Its waits end when `stop` (not owned,
// may be null) is set, with an Interrupted status.
Result<std::unique_ptr<EventOutput>> KafkaOutput(const std::string& bootstrap,
                                                 const std::string& events_topic,
                                                 const std::atomic<bool>* stop = nullptr);
// --dry-run: events to `events` one JSON per line, dead letters to `rejects`.
std::unique_ptr<EventOutput> PrintOutput(std::ostream& events, std::ostream& rejects,
                                         const std::string& events_topic);

struct ConnectorOptions {
  std::string topic_prefix = "convene.";
  const CheckpointStore* checkpoints = nullptr;  // nullptr: nothing recorded
  bool progress = false;                         // a progress bar on stderr
};

struct ConnectorSummary {
  int64_t read = 0;
  int64_t sent = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  std::map<std::string, int64_t> by_reason;  // the reason with its values left out
  std::vector<std::string> rejections;       // "file:row: reason", the first 100
  std::vector<std::string> files_failed;     // "file: reason"
  std::vector<std::string> warnings;         // "file: message"
};

class Connector : public RecordSink {
 public:
  Connector(EventOutput* out, ConnectorOptions options);
  ~Connector() override;

  void BeginFile(const std::string& file, int64_t size, int64_t offset) override;
  Outcome Accept(const Mapping& mapping, SourceRecord record) override;
  Status Commit(const Mapping& mapping, const std::string& file, const Checkpoint& at) override;
  void FileFailed(const std::string& file, const std::string& reason) override;
  void FileWarning(const std::string& file, const std::string& message) override;
  void Progress(int64_t bytes) override;
  Status Flush() override;

  const ConnectorSummary& summary() const { return summary_; }
  // The summary as a person reads it (ending the progress bar, if drawn).
  std::string Report();

 private:
  void Reject(const Mapping& mapping, const SourceRecord& record, const std::string& reason);
  // Not OK once a dead letter could not be sent: nothing is committed after it.
  Status dead_letter_failed_;
  void EndProgress();

  EventOutput* out_;
  ConnectorOptions options_;
  ConnectorSummary summary_;
  // Event id -> where it was first seen and a hash of the event.
  std::unordered_map<std::string, std::pair<std::string, uint64_t>> seen_;
  // The progress bar.
  std::string file_;
  int64_t size_ = 0;
  std::chrono::steady_clock::time_point drawn_{};
  bool bar_shown_ = false;
};

}  // namespace convene::connectors

// Connector sources: where records come from before a mapping turns them into
// events. A source is a plug-in chosen by the mapping's `type:` through an
// explicit registry; the built-ins are `csv` (a file, or a folder of them,
// optionally watched), `jsonl` (JSON lines, or a file holding one JSON array)
// and `http` (POSTs on a loopback port, each source with its own token).
//
// A source hands every record to a RecordSink (the connector), and tells it
// when all records up to a point in a file have been handed over, so that the
// sink can make them durable and record the checkpoint.
#pragma once

#include <rapidjson/document.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/checkpoint.h"
#include "connectors/mapping.h"
#include "rules/status.h"

namespace convene::connectors {

// One record as read: where it is, its bytes, and its fields.
struct SourceRecord {
  std::string file;   // the input file, or "http" with the peer
  int64_t row = 0;    // the line it starts on; for a JSON array, its position
  std::string text;   // as read, for dead letters
  rapidjson::Document fields;  // CSV: {column: value}; JSON: the record
  std::string error;  // not empty: it could not be read as a record, and why
};

// What became of one record.
struct Outcome {
  enum Kind { kSent, kDuplicate, kRejected } kind = kSent;
  std::string reason;  // for kRejected, and for a kDuplicate the row it repeats
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // A file is about to be read: `size` bytes, from `offset`.
  virtual void BeginFile(const std::string& file, int64_t size, int64_t offset) = 0;
  // A record; maps, checks and sends it (or rejects it).
  virtual Outcome Accept(const Mapping& mapping, SourceRecord record) = 0;
  // Every record of `file` before `at` has been accepted: make them durable
  // and record the checkpoint. An error stops the source.
  virtual Status Commit(const Mapping& mapping, const std::string& file, const Checkpoint& at) = 0;
  // A file cannot be read at all (missing columns, unreadable): why.
  virtual void FileFailed(const std::string& file, const std::string& reason) = 0;
  // Something a person should know about a file that is read all the same.
  virtual void FileWarning(const std::string& file, const std::string& message) = 0;
  // Bytes of the current file read so far (for a progress bar).
  virtual void Progress(int64_t bytes) = 0;
  // Makes what was accepted durable (the http source, before it answers).
  virtual Status Flush() = 0;
};

struct SourceOptions {
  std::string input;      // a file or folder (csv, jsonl)
  bool watch = false;     // keep reading a folder for new and growing files
  std::string listen = "127.0.0.1:8088";  // http
  const CheckpointStore* checkpoints = nullptr;  // nullptr: always from the start
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Reads until done (a file or folder), or until `stop` (watching, http).
  virtual Status Run(RecordSink* sink, const std::atomic<bool>& stop) = 0;
};

using SourceFactory = std::function<Result<std::unique_ptr<RecordSource>>(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options)>;

class SourceRegistry {
 public:
  void Register(std::string type, SourceFactory factory) {
    factories_[std::move(type)] = std::move(factory);
  }
  // A source of `type` for `mappings` (all of that type).
  Result<std::unique_ptr<RecordSource>> Create(const std::string& type,
                                               std::vector<std::shared_ptr<const Mapping>> mappings,
                                               const SourceOptions& options) const;
  std::vector<std::string> types() const;

  // csv, jsonl and http.
  static const SourceRegistry& BuiltIn();

 private:
  std::map<std::string, SourceFactory> factories_;
};

// The built-in factories (file_sources.cc, http_source.cc).
Result<std::unique_ptr<RecordSource>> MakeCsvSource(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options);
Result<std::unique_ptr<RecordSource>> MakeJsonlSource(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options);
Result<std::unique_ptr<RecordSource>> MakeHttpSource(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options);

}  // namespace convene::connectors

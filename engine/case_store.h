// convene's state on disk: one RocksDB database with a column family per
// kind of record. Every change the engine makes for a batch of events goes
// into one WriteBatch (cases, processed event ids, index entries, tasks, the
// outbox and the consumer offsets), written once with sync, so a crash at
// any instant leaves either all of a batch or none of it.
//
// Thread-safety: all methods are safe to call from several threads (RocksDB
// is); the engine thread writes batches while the outbox relay deletes
// delivered messages.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/status.h"

namespace convene::engine {

enum class Family {
  kMeta,     // counters: case sequences, outbox sequence
  kCases,    // case id -> case record (JSON)
  kEvents,   // event id -> the event's bytes; presence = processed
  kIndexes,  // correlation keys -> cases
  kTasks,    // task id -> task record (JSON)
  kOutbox,   // sequence -> message waiting for delivery
  kOffsets,  // topic/partition -> next offset to read
  kTimers,   // due time + id -> timer (deadlines)
};
constexpr int kFamilyCount = 8;

class CaseStore {
 public:
  // Opens or creates the database in `dir`.
  static Result<std::unique_ptr<CaseStore>> Open(const std::filesystem::path& dir,
                                                 bool read_only = false);
  ~CaseStore();

  // The value at `key`, nullopt when absent.
  Result<std::optional<std::string>> Get(Family family, std::string_view key) const;

  // Applies `batch` atomically. `sync` makes it durable before returning.
  Status Write(rocksdb::WriteBatch* batch, bool sync = true);

  // Calls `fn` for each entry whose key starts with `prefix`, in key order,
  // until it returns false.
  void Scan(Family family, std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
    ScanFrom(family, prefix, prefix, fn);
  }
  // As Scan, starting at `start` (>= prefix). Starting past keys known to be
  // deleted matters: RocksDB walks over deleted keys until they are compacted.
  void ScanFrom(Family family, std::string_view start, std::string_view prefix,
                const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  rocksdb::ColumnFamilyHandle* handle(Family family) const {
    return handles_[static_cast<int>(family)];
  }
  rocksdb::DB* db() const { return db_.get(); }

 private:
  CaseStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// Big-endian encoding so that numeric keys sort in numeric order.
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(std::string_view s);

}  // namespace convene::engine

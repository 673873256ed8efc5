// convene's state on disk: one RocksDB database with a column family per
// kind of record. Every change the engine makes for a batch of events goes
// into one WriteBatch (cases, processed event ids, index entries, tasks, the
// outbox and the consumer offsets), written once with sync, so a crash at
// any instant leaves either all of a batch or none of it.
//
// Storage never lies (SPEC 6): every read and scan returns a Status, so "not
// there" and "could not be read" are different answers; checksums are
// verified on every read, and every table file is checked whole once: as
// RocksDB writes it, or at the next start if the process died first (the
// VERIFIED file beside the database lists those checked), so start-up does
// not read the whole store; and a store whose log has lost a write it once
// confirmed as durable is refused (see Open).
//
// Thread-safety: all methods are safe to call from several threads; the
// engine thread writes batches while the outbox relay deletes delivered
// messages (writes are serialised, so each durable write's sequence is known).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
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
  kAudit,    // sequence -> audit entry, hash-chained (audit_trail.h)
  kTimeline, // case id + sequence -> an event on the case's timeline (case_record.h)
  kHistory,  // case id + sequence -> what convene did on the case (case_record.h)
};
constexpr int kFamilyCount = 11;

class CaseStore {
 public:
  struct OpenOptions {
    bool read_only = false;
    // Files through this Env (tests: an in-memory, fault-injecting one).
    // Not owned; must outlive the store. nullptr: the real file system.
    rocksdb::Env* env = nullptr;
    // A throwaway store (what-if runs, policy tests): no write-ahead log and
    // no checks at open. A crash loses it; it is never reopened.
    bool scratch = false;
  };
  // Opens or creates the database in `dir`. A store opened for writing is
  // checked first: the checksums of every table file not checked before,
  // and that its log still holds the last write it confirmed as durable (the
  // sequence number kept beside it in COMMITTED). Either failing is a
  // Corruption error naming the cause.
  static Result<std::unique_ptr<CaseStore>> Open(const std::filesystem::path& dir,
                                                 const OpenOptions& options);
  static Result<std::unique_ptr<CaseStore>> Open(const std::filesystem::path& dir,
                                                 bool read_only = false) {
    OpenOptions o;
    o.read_only = read_only;
    return Open(dir, o);
  }
  ~CaseStore();

  // Checks again the checksums of every table file checked by an earlier
  // process (a disk can damage a file after it was written), until `stop`. Run beside
  // the engine after start; not OK names the damaged file.
  Status Scrub(const std::atomic<bool>& stop) const;

  // The value at `key`, nullopt when absent.
  Result<std::optional<std::string>> Get(Family family, std::string_view key) const;

  // Applies `batch` atomically. `sync` makes it durable before returning, and
  // records its sequence as confirmed (COMMITTED).
  Status Write(rocksdb::WriteBatch* batch, bool sync = true);

  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
  // Calls `fn` for each entry whose key starts with `prefix`, in key order,
  // until it returns false. Not OK when the scan could not read to its end:
  // what `fn` saw is then not the whole answer.
  Status Scan(Family family, std::string_view prefix, const ScanFn& fn) const {
    return ScanFrom(family, prefix, prefix, fn);
  }
  // As Scan, starting at `start` (>= prefix). Starting past keys known to be
  // deleted matters: RocksDB walks over deleted keys until they are compacted.
  Status ScanFrom(Family family, std::string_view start, std::string_view prefix,
                  const ScanFn& fn) const {
    return ScanFrom(family, start, prefix, fn, /*exact=*/false);
  }
  // As Scan, for an `indexes` prefix that ends at its last separator (all
  // but the last part of the keys it finds): bloom filters skip the files
  // and memtables that hold none, so finding nothing costs no read.
  Status PrefixScan(Family family, std::string_view prefix, const ScanFn& fn) const {
    return ScanFrom(family, prefix, prefix, fn, /*exact=*/true);
  }

  // Calls `fn` with the family's last entry (in key order), if it has one.
  Status Last(Family family, const ScanFn& fn) const;

  // Typed reads of what the engine keeps, for the commands and the tests;
  // the keys they read are built in store_keys.h.
  // The ids of the tasks `owner` (a case, or a meeting "marac/2026-03-17")
  // holds, in id order, until `fn` returns false.
  Status TasksOf(std::string_view owner, const std::function<bool(std::string_view)>& fn) const;
  // The stored next offset of a partition; nullopt if never read.
  Result<std::optional<int64_t>> Offset(std::string_view topic, int32_t partition) const;
  // True when the outbox holds a message at or after `from`.
  Result<bool> OutboxHasAny(uint64_t from = 0) const;

  rocksdb::ColumnFamilyHandle* handle(Family family) const {
    return handles_[static_cast<int>(family)];
  }
  rocksdb::DB* db() const { return db_.get(); }

 private:
  CaseStore() = default;
  Status ScanFrom(Family family, std::string_view start, std::string_view prefix,
                  const ScanFn& fn, bool exact) const;
  Status CheckIntegrity();
  Status RecordCommitted();

  class Verifier;
  std::filesystem::path dir_;
  bool scratch_ = false;
  bool fresh_ = false;  // no database was in dir_ when it was opened
  std::shared_ptr<Verifier> verifier_;  // checks table files as they are written
  std::mutex write_mu_;  // a synced write and the sequence it reached, together
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// Big-endian encoding so that numeric keys sort in numeric order.
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(std::string_view s);

}  // namespace convene::engine

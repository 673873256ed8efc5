#include "engine/case_store.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "engine/store_keys.h"

namespace convene::engine {
namespace {

const char* kFamilyNames[kFamilyCount] = {"default",  // rocksdb::kDefaultColumnFamilyName
                                          "cases",
                                          "events",
                                          "indexes",
                                          "tasks",
                                          "outbox",
                                          "offsets",
                                          "timers",
                                          "audit",
                                          "timeline",
                                          "history"};

// The `indexes` family's prefix: a key up to and including its last
// separator ("o<sep>asb<sep>event.location.uprn=100<sep>" of an open-case
// entry: everything but the case id). Its bloom filters answer "no case holds
// this key", the common answer for a new address or person, without a read.
class IndexPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "convene.IndexPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    std::string_view k(key.data(), key.size());
    return rocksdb::Slice(key.data(), k.rfind(kSep) + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::string_view(key.data(), key.size()).find(kSep) != std::string_view::npos;
  }
};

rocksdb::ReadOptions TotalOrder() {
  rocksdb::ReadOptions o;
  o.total_order_seek = true;  // every scan but PrefixScan: as if there were no prefix filters
  return o;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const char* name) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions table;
  // Most event-id lookups are for ids never seen: a bloom filter answers them
  // without reading a block.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.compression = rocksdb::kLZ4Compression;
  // Batches are large (megabytes); larger memtables mean fewer, larger flushes.
  o.write_buffer_size = 128 << 20;
  if (std::string_view(name) == "indexes") {
    o.prefix_extractor = std::make_shared<IndexPrefix>();
    o.memtable_prefix_bloom_size_ratio = 0.05;
  }
  return o;
}

// Beside the database: the sequence number of the last write confirmed as
// durable. A log that recovers to less has lost a write that tasks, offsets
// and deliveries were already built on.
constexpr const char* kCommittedFile = "COMMITTED";

// Beside the database: the table files whose every block has been checked
// against its checksum, one name a line. Table files never change once
// written, so each is checked once: as it is written (Verifier, on RocksDB's
// background thread) or, if the process died first, at the next start.
constexpr const char* kVerifiedFile = "VERIFIED";

// The name of a table file without its folder ("000123.sst").
std::string FileName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The path of a live table file.
std::string TablePath(const rocksdb::LiveFileMetaData& f) {
  return f.db_path + "/" + FileName(f.name);
}

// A RocksDB error as convene's: damaged data is a Corruption, the rest I/O.
Status StoreError(const rocksdb::Status& s, const char* what) {
  std::string message = std::string(what) + ": " + s.ToString();
  return s.IsCorruption() ? Status::Corruption(message) : Status::IOError(message);
}

}  // namespace

// Checks each table file RocksDB writes (flushes, compactions) and notes it
// in VERIFIED, so start-up checks only what a crash left unchecked.
class CaseStore::Verifier : public rocksdb::EventListener {
 public:
  Verifier(rocksdb::Env* env, std::filesystem::path dir) : env_(env), dir_(std::move(dir)) {}

  // The names VERIFIED holds.
  void Load() {
    std::string text;
    std::lock_guard<std::mutex> lock(mu_);
    if (!rocksdb::ReadFileToString(env_, (dir_ / kVerifiedFile).string(), &text).ok()) return;
    std::istringstream in(text);
    for (std::string name; std::getline(in, name);) {
      if (!name.empty()) verified_.insert(name);
    }
  }
  bool Verified(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    return verified_.count(name) > 0;
  }
  // Checked by this process (at open, or as written): the scrub need not
  // read it again.
  bool CheckedHere(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    return checked_here_.count(name) > 0;
  }
  // Every block of the table at `path` against its checksum.
  Status Check(const std::string& path) {
    rocksdb::Options options;
    options.env = env_;
    rocksdb::SstFileReader reader(options);
    rocksdb::Status s = reader.Open(path);
    if (s.ok()) s = reader.VerifyChecksum();
    if (!s.ok()) return Status::Corruption(FileName(path) + ": " + s.ToString());
    return Status::Ok();
  }
  // Notes `checked` as verified, forgets the files no longer in `live`
  // (compacted away), and writes VERIFIED once.
  Status Save(const std::set<std::string>& live, const std::set<std::string>& checked) {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> kept;
    for (const auto& n : verified_) {
      if (live.count(n)) kept.insert(n);
    }
    verified_ = std::move(kept);
    verified_.insert(checked.begin(), checked.end());
    checked_here_.insert(checked.begin(), checked.end());
    return WriteLocked();
  }
  void Note(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    verified_.insert(name);
    checked_here_.insert(name);
    (void)WriteLocked();  // not noted: checked again at the next start, no more
  }

  void OnTableFileCreated(const rocksdb::TableFileCreationInfo& info) override {
    if (!info.status.ok() || info.file_size == 0) return;
    if (Status s = Check(info.file_path); s.ok()) Note(FileName(info.file_path));
    // A file that fails here is left unnoted: the next start checks it and
    // refuses the store; a read of a damaged block fails before then.
  }

 private:
  Status WriteLocked() {
    std::string text;
    for (const auto& n : verified_) text += n + "\n";
    std::string tmp = (dir_ / (std::string(kVerifiedFile) + ".tmp")).string();
    rocksdb::Status s = rocksdb::WriteStringToFile(env_, text, tmp, /*should_sync=*/false);
    if (s.ok()) s = env_->RenameFile(tmp, (dir_ / kVerifiedFile).string());
    if (!s.ok()) return Status::IOError("store: cannot write " + std::string(kVerifiedFile) + ": " + s.ToString());
    return Status::Ok();
  }

  rocksdb::Env* env_;
  std::filesystem::path dir_;
  std::mutex mu_;
  std::set<std::string> verified_;
  std::set<std::string> checked_here_;
};

Result<std::unique_ptr<CaseStore>> CaseStore::Open(const std::filesystem::path& dir,
                                                   const OpenOptions& open) {
  const bool read_only = open.read_only;
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  // All the families' memtables together (each may grow to write_buffer_size):
  // past this the largest is flushed, so memory stays bounded however many
  // families there are. A scratch store is small and short-lived.
  options.db_write_buffer_size = open.scratch ? (64 << 20) : (256 << 20);
  // After a crash the log is replayed into memtables before anything else:
  // past this much log the families holding its oldest part are flushed, so
  // that replay stays well under a second.
  options.max_total_wal_size = 64 << 20;
  // Refuse a store whose files do not fit together rather than open part of it.
  options.paranoid_checks = true;
  // Replay the log up to the first record that does not check: a torn last
  // record (the write a crash interrupted, never confirmed) is dropped; a log
  // damaged before a confirmed write is caught by the COMMITTED check.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  if (open.env) options.env = open.env;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : kFamilyNames) families.emplace_back(name, FamilyOptions(name));
  std::unique_ptr<CaseStore> store(new CaseStore());
  store->dir_ = dir;
  store->scratch_ = open.scratch;
  if (!read_only && !open.scratch) {
    store->verifier_ = std::make_shared<Verifier>(
        open.env ? open.env : rocksdb::Env::Default(), dir);
    store->verifier_->Load();
    options.listeners.push_back(store->verifier_);
  }
  // A store that holds no database yet is new: its COMMITTED is written at
  // once (confirming nothing), so that a store found without one later has
  // lost it.
  {
    rocksdb::Env* env = open.env ? open.env : rocksdb::Env::Default();
    store->fresh_ = env->FileExists((dir / "CURRENT").string()).IsNotFound();
  }
  rocksdb::DB* db = nullptr;
  if (!read_only && !open.env) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::Error("cannot create " + dir.string() + ": " + ec.message());
  }
  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(options, dir.string(), families, &store->handles_,
                                               &db)
                : rocksdb::DB::Open(options, dir.string(), families, &store->handles_, &db);
  if (!s.ok()) return Status::IOError("cannot open the store in " + dir.string() + ": " +
                                    s.ToString());
  store->db_.reset(db);
  if (!read_only && !open.scratch) {
    if (Status s = store->CheckIntegrity(); !s.ok()) {
      return s.Prefixed("the store in " + dir.string() + " failed its checks: ");
    }
  }
  return store;
}

Status CaseStore::CheckIntegrity() {
  // Every table file not checked before (written when the process died
  // before checking it, or by a store from before VERIFIED).
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  std::set<std::string> live, checked;
  for (const auto& f : files) {
    std::string name = FileName(f.name);
    live.insert(name);
    if (verifier_->Verified(name)) continue;
    if (Status s = verifier_->Check(TablePath(f)); !s.ok()) return s;
    checked.insert(name);
  }
  if (Status s = verifier_->Save(live, checked); !s.ok()) return s;
  rocksdb::Env* env = db_->GetEnv();
  std::string path = (dir_ / kCommittedFile).string();
  if (env->FileExists(path).IsNotFound()) {
    // Never written: a new store (or one that has never taken a write), and
    // it is written now. A store holding writes without it has lost it, and
    // with it the check that its log still holds what was confirmed.
    if (!fresh_ && db_->GetLatestSequenceNumber() > 0) {
      return Status::Corruption(
          "it holds " + std::to_string(db_->GetLatestSequenceNumber()) +
          " writes but no " + kCommittedFile +
          " (the last write confirmed as durable): it was deleted or lost, so whether the "
          "write-ahead log still holds every confirmed batch cannot be checked. convene will "
          "not start on it; restore the folder from a backup");
    }
    return RecordCommitted();
  }
  std::string committed;
  rocksdb::Status r = rocksdb::ReadFileToString(env, path, &committed);
  if (r.ok() && committed.empty()) return Status::Ok();  // its first write was cut short
  if (!r.ok()) return Status::Error("cannot read " + std::string(kCommittedFile) + ": " + r.ToString());
  uint64_t confirmed = std::strtoull(committed.c_str(), nullptr, 10);
  uint64_t recovered = db_->GetLatestSequenceNumber();
  if (recovered < confirmed) {
    return Status::Corruption("its log ends at write " + std::to_string(recovered) + " but write " +
                         std::to_string(confirmed) +
                         " was confirmed as durable: the write-ahead log is damaged or "
                         "truncated. convene will not start on a store that has lost committed "
                         "batches; restore the folder from a backup");
  }
  return Status::Ok();
}

Status CaseStore::Scrub(const std::atomic<bool>& stop) const {
  if (!verifier_) return Status::Ok();
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  for (const auto& f : files) {
    if (stop) return Status::Ok();
    if (verifier_->CheckedHere(FileName(f.name))) continue;
    Status s = verifier_->Check(TablePath(f));
    // A file compacted away since the list was taken is no longer the store's.
    if (!s.ok() && db_->GetEnv()->FileExists(TablePath(f)).ok()) {
      return s.Prefixed("the store in " + dir_.string() + " failed its checks: ");
    }
  }
  return Status::Ok();
}

Status CaseStore::RecordCommitted() {
  rocksdb::Env* env = db_->GetEnv();
  std::string value = std::to_string(db_->GetLatestSequenceNumber()) + "\n";
  std::string tmp = (dir_ / (std::string(kCommittedFile) + ".tmp")).string();
  rocksdb::Status s = rocksdb::WriteStringToFile(env, value, tmp, /*should_sync=*/false);
  if (s.ok()) s = env->RenameFile(tmp, (dir_ / kCommittedFile).string());
  if (!s.ok()) return Status::IOError("store: cannot record the committed write: " + s.ToString());
  return Status::Ok();
}

CaseStore::~CaseStore() {
  // A stop writes the memtables out, so that the next start has no log to
  // replay (up to db_write_buffer_size of it: seconds). Should it fail, the
  // log still holds everything.
  if (db_ && verifier_) {
    rocksdb::Status s = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!s.ok()) spdlog::warn("store: flush at close: {}", s.ToString());
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  if (db_) db_->Close();
}

Result<std::optional<std::string>> CaseStore::Get(Family family, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(family),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return StoreError(s, "store read");
  return std::optional<std::string>(std::move(value));
}

Status CaseStore::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync && !scratch_;
  options.disableWAL = scratch_;
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::Status s = db_->Write(options, batch);
  if (!s.ok()) return Status::IOError("store write: " + s.ToString());
  // Writes are serialised here, so the latest sequence is this write's (or,
  // unsynced, an earlier one's that this sync made durable too).
  if (options.sync) return RecordCommitted();
  return Status::Ok();
}

Status CaseStore::ScanFrom(Family family, std::string_view start, std::string_view prefix,
                           const ScanFn& fn, bool exact) const {
  rocksdb::ReadOptions read = TotalOrder();
  if (exact) {
    read.total_order_seek = false;
    read.prefix_same_as_start = true;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, handle(family)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) return Status::Ok();
    rocksdb::Slice v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) {
      return Status::Ok();
    }
  }
  // Invalid either at the end or because a read failed: only status() tells.
  if (!it->status().ok()) return StoreError(it->status(), "store scan");
  return Status::Ok();
}

Status CaseStore::Last(Family family, const ScanFn& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(TotalOrder(), handle(family)));
  it->SeekToLast();
  if (it->Valid()) {
    rocksdb::Slice k = it->key(), v = it->value();
    fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()));
    return Status::Ok();
  }
  if (!it->status().ok()) return StoreError(it->status(), "store read");
  return Status::Ok();
}

Status CaseStore::TasksOf(std::string_view owner,
                          const std::function<bool(std::string_view)>& fn) const {
  std::string prefix = CaseTaskKey(owner, "");
  return Scan(Family::kIndexes, prefix, [&](std::string_view key, std::string_view) {
    return fn(key.substr(prefix.size()));
  });
}

Result<std::optional<int64_t>> CaseStore::Offset(std::string_view topic, int32_t partition) const {
  auto v = Get(Family::kOffsets, OffsetKey(topic, partition));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<int64_t>();
  return std::optional<int64_t>(static_cast<int64_t>(DecodeU64(**v)));
}

Result<bool> CaseStore::OutboxHasAny(uint64_t from) const {
  bool any = false;
  Status s = ScanFrom(Family::kOutbox, EncodeU64(from), "", [&](std::string_view, std::string_view) {
    any = true;
    return false;
  });
  if (!s.ok()) return s;
  return any;
}

std::string EncodeU64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

uint64_t DecodeU64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace convene::engine

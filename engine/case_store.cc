#include "engine/case_store.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

namespace convene::engine {
namespace {

const char* kFamilyNames[kFamilyCount] = {"default",  // rocksdb::kDefaultColumnFamilyName
                                          "cases",
                                          "events",
                                          "indexes",
                                          "tasks",
                                          "outbox",
                                          "offsets",
                                          "timers"};

rocksdb::ColumnFamilyOptions FamilyOptions() {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions table;
  // Most event-id lookups are for ids never seen: a bloom filter answers them
  // without reading a block.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.compression = rocksdb::kLZ4Compression;
  // Batches are large (megabytes); larger memtables mean fewer, larger flushes.
  o.write_buffer_size = 128 << 20;
  return o;
}

}  // namespace

Result<std::unique_ptr<CaseStore>> CaseStore::Open(const std::filesystem::path& dir,
                                                   bool read_only) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : kFamilyNames) families.emplace_back(name, FamilyOptions());
  std::unique_ptr<CaseStore> store(new CaseStore());
  rocksdb::DB* db = nullptr;
  if (!read_only) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::Error("cannot create " + dir.string() + ": " + ec.message());
  }
  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(options, dir.string(), families, &store->handles_,
                                               &db)
                : rocksdb::DB::Open(options, dir.string(), families, &store->handles_, &db);
  if (!s.ok()) return Status::Error("cannot open the store in " + dir.string() + ": " +
                                    s.ToString());
  store->db_.reset(db);
  return store;
}

CaseStore::~CaseStore() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  if (db_) db_->Close();
}

Result<std::optional<std::string>> CaseStore::Get(Family family, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(family),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Status::Error("store read: " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

Status CaseStore::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db_->Write(options, batch);
  if (!s.ok()) return Status::Error("store write: " + s.ToString());
  return Status::Ok();
}

void CaseStore::ScanFrom(
    Family family, std::string_view start, std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(family)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
    rocksdb::Slice v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
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

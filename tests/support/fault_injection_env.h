// A RocksDB Env for tests of storage error paths: files live in memory
// (RocksDB's MemEnv), and reads of table files (*.sst) can be made to fail on
// demand, as a failing disk or a bad block would — after LevelDB's
// FaultInjectionTestEnv. The real RocksDB runs on it; only the file system
// underneath is a fake.
//
// Thread-safety: FailReads may be called from any thread while the store runs.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>

namespace convene::testing {

class FaultInjectionEnv {
 public:
  FaultInjectionEnv();
  ~FaultInjectionEnv();

  // The Env to open a store with; owned by this object.
  rocksdb::Env* env() const { return env_.get(); }
  // From now on, every read of a table file returns an I/O error (or not).
  void FailReads(bool fail) { fail_reads_->store(fail); }
  // Reads that failed so far.
  int failed_reads() const { return failed_->load(); }

 private:
  std::unique_ptr<rocksdb::Env> mem_;
  std::shared_ptr<std::atomic<bool>> fail_reads_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> failed_ = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<rocksdb::Env> env_;
};

}  // namespace convene::testing

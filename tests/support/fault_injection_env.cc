#include "tests/support/fault_injection_env.h"

#include <string>

namespace convene::testing {
namespace {

class FailingFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FailingFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file,
              std::shared_ptr<std::atomic<bool>> fail, std::shared_ptr<std::atomic<int>> failed)
      : FSRandomAccessFileOwnerWrapper(std::move(file)),
        fail_(std::move(fail)),
        failed_(std::move(failed)) {}

  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* dbg) const override {
    if (fail_->load()) {
      failed_->fetch_add(1);
      return rocksdb::IOStatus::IOError("injected read failure");
    }
    return FSRandomAccessFileOwnerWrapper::Read(offset, n, options, result, scratch, dbg);
  }
  rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                              const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (fail_->load()) {
      failed_->fetch_add(1);
      for (size_t i = 0; i < num_reqs; ++i) {
        reqs[i].status = rocksdb::IOStatus::IOError("injected read failure");
      }
      return rocksdb::IOStatus::IOError("injected read failure");
    }
    return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, options, dbg);
  }

 private:
  std::shared_ptr<std::atomic<bool>> fail_;
  std::shared_ptr<std::atomic<int>> failed_;
};

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target,
                  std::shared_ptr<std::atomic<bool>> fail, std::shared_ptr<std::atomic<int>> failed)
      : FileSystemWrapper(target), fail_(std::move(fail)), failed_(std::move(failed)) {}
  const char* Name() const override { return "FaultFileSystem"; }

  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewRandomAccessFile(f, options, r, dbg);
    if (s.ok() && f.size() > 4 && f.compare(f.size() - 4, 4, ".sst") == 0) {
      *r = std::make_unique<FailingFile>(std::move(*r), fail_, failed_);
    }
    return s;
  }

 private:
  std::shared_ptr<std::atomic<bool>> fail_;
  std::shared_ptr<std::atomic<int>> failed_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv() : mem_(rocksdb::NewMemEnv(rocksdb::Env::Default())) {
  auto fs = std::make_shared<FaultFileSystem>(mem_->GetFileSystem(), fail_reads_, failed_);
  env_ = rocksdb::NewCompositeEnv(fs);
}

FaultInjectionEnv::~FaultInjectionEnv() = default;

}  // namespace convene::testing

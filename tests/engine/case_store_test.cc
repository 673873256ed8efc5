#include "engine/case_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/fault_injection_env.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

const Family kEvery[] = {Family::kMeta,  Family::kCases,  Family::kEvents, Family::kIndexes,
                         Family::kTasks, Family::kOutbox, Family::kOffsets, Family::kTimers};

void PutBatch(CaseStore* store, uint64_t n) {
  rocksdb::WriteBatch b;
  for (Family f : kEvery) b.Put(store->handle(f), "batch/" + std::to_string(n), std::to_string(n));
  ASSERT_TRUE(store->Write(&b).ok());
}

TEST(CaseStoreTest, ABatchSpansEveryFamilyAndSurvivesReopening) {
  testing::TempDir dir;
  {
    auto store = CaseStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().message();
    PutBatch(store->get(), 1);
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  for (Family f : kEvery) {
    auto v = (*store)->Get(f, "batch/1");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value_or("absent"), "1");
  }
  EXPECT_FALSE((*store)->Get(Family::kCases, "batch/2")->has_value());
}

// The newest file of `dir` whose name ends with `suffix`.
std::filesystem::path Newest(const std::filesystem::path& dir, const std::string& suffix) {
  std::filesystem::path found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (found.empty() || name > found.filename().string())) {
      found = e.path();
    }
  }
  return found;
}

// What a process that wrote `batches` batches (each synced, so confirmed)
// and then died leaves: the last of them only in the log.
void WriteAndDie(const std::filesystem::path& dir, uint64_t batches) {
  pid_t child = fork();
  if (child == 0) {
    auto store = CaseStore::Open(dir);
    if (!store.ok()) _exit(2);
    for (uint64_t n = 0; n < batches; ++n) {
      rocksdb::WriteBatch b;
      for (Family f : kEvery) b.Put((*store)->handle(f), "batch/" + std::to_string(n), std::to_string(n));
      if (!(*store)->Write(&b).ok()) _exit(3);
    }
    _exit(0);  // no close: nothing is flushed
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// A store of 200 batches with its cases flushed to a table file; returns
// that file after damaging one of its blocks, as a failing disk leaves it.
std::filesystem::path DamagedTable(const std::filesystem::path& dir) {
  std::filesystem::path sst;
  {
    auto store = CaseStore::Open(dir);
    EXPECT_TRUE(store.ok());
    for (uint64_t n = 0; n < 200; ++n) PutBatch(store->get(), n);
    EXPECT_TRUE(
        (*store)->db()->Flush(rocksdb::FlushOptions(), (*store)->handle(Family::kCases)).ok());
    std::vector<rocksdb::LiveFileMetaData> files;
    (*store)->db()->GetLiveFilesMetaData(&files);
    for (const auto& f : files) {
      if (f.column_family_name == "cases") sst = dir / std::filesystem::path(f.name).filename();
    }
  }
  EXPECT_FALSE(sst.empty());
  std::fstream f(sst, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.write("\x55\xaa\x55\xaa\x55\xaa\x55\xaa", 8);
  return sst;
}

// A table file never checked (the process died before its check; a store
// from before VERIFIED) is checked at start, and a damaged one refused.
TEST(CaseStoreTest, AStoreWithADamagedUncheckedTableIsRefusedAtStart) {
  testing::TempDir dir;
  DamagedTable(dir.path());
  std::filesystem::remove(dir.path() / "VERIFIED");
  auto store = CaseStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("failed its checks"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("Corruption"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
}

// A table checked when written and damaged since: start-up does not read it
// again (it would not be quick), but the scrub beside the engine finds it,
// naming the file, and a read of the damaged block fails rather than lie.
TEST(CaseStoreTest, ATableDamagedAfterItsCheckIsFoundByTheScrubAndByReads) {
  testing::TempDir dir;
  std::filesystem::path sst = DamagedTable(dir.path());
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::atomic<bool> stop{false};
  Status scrub = (*store)->Scrub(stop);
  ASSERT_FALSE(scrub.ok());
  EXPECT_EQ(scrub.code(), Status::Code::kCorruption);
  EXPECT_NE(scrub.message().find(sst.filename().string()), std::string::npos) << scrub.message();
  EXPECT_NE(scrub.message().find("failed its checks"), std::string::npos) << scrub.message();
  Status read = (*store)->Scan(Family::kCases, "", [](std::string_view, std::string_view) {
    return true;
  });
  EXPECT_FALSE(read.ok());
}

// A clean stop writes the memtables out, so the next start replays no log.
TEST(CaseStoreTest, AStopLeavesNoLogToReplay) {
  testing::TempDir dir;
  {
    auto store = CaseStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    for (uint64_t n = 0; n < 50; ++n) PutBatch(store->get(), n);
  }
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() == ".log") {
      EXPECT_EQ(std::filesystem::file_size(e.path()), 0u) << e.path();
    }
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get(Family::kTasks, "batch/49")->value_or("absent"), "49");
}

TEST(CaseStoreTest, ALogCutShortBeforeAConfirmedWriteIsRefused) {
  testing::TempDir dir;
  WriteAndDie(dir.path(), 50);
  std::filesystem::path log = Newest(dir.path(), ".log");
  ASSERT_FALSE(log.empty());
  std::filesystem::resize_file(log, std::filesystem::file_size(log) / 2);
  auto store = CaseStore::Open(dir.path());
  ASSERT_FALSE(store.ok()) << "the store opened without its last confirmed batches";
  EXPECT_NE(store.status().message().find("the write-ahead log is damaged or truncated"),
            std::string::npos)
      << store.status().message();
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
}

// A store that lost COMMITTED (and here the end of its log too) started as
// if new, its confirmed batches gone without a word.
TEST(CaseStoreTest, AStoreWithWritesButNoCommittedFileIsRefused) {
  testing::TempDir dir;
  {
    auto store = CaseStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "COMMITTED"));  // written at creation
  }
  WriteAndDie(dir.path(), 50);
  std::filesystem::path log = Newest(dir.path(), ".log");
  ASSERT_FALSE(log.empty());
  std::filesystem::resize_file(log, std::filesystem::file_size(log) / 2);
  std::filesystem::remove(dir.path() / "COMMITTED");
  auto store = CaseStore::Open(dir.path());
  ASSERT_FALSE(store.ok()) << "the store opened without knowing what it had confirmed";
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
  EXPECT_NE(store.status().message().find("writes but no COMMITTED"), std::string::npos)
      << store.status().message();
  // A store that never took a write may have none: it is written then.
  testing::TempDir empty;
  { ASSERT_TRUE(CaseStore::Open(empty.path()).ok()); }
  std::filesystem::remove(empty.path() / "COMMITTED");
  ASSERT_TRUE(CaseStore::Open(empty.path()).ok());
  EXPECT_TRUE(std::filesystem::exists(empty.path() / "COMMITTED"));
}

TEST(CaseStoreTest, ATornLastWriteIsDroppedAndTheStoreOpens) {
  testing::TempDir dir;
  WriteAndDie(dir.path(), 50);
  // What a crash in the middle of writing the next batch leaves at the end of
  // the log: part of a record, never confirmed.
  {
    std::ofstream f(Newest(dir.path(), ".log"), std::ios::app | std::ios::binary);
    f.write("\x12\x34\x56\x78\x00\x10\x01\xff\xff", 9);
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->Get(Family::kTasks, "batch/49")->value_or("absent"), "49");
}

TEST(CaseStoreTest, AScanThatCannotReadSaysSo) {
  testing::FaultInjectionEnv faults;
  CaseStore::OpenOptions options;
  options.env = faults.env();
  auto store = CaseStore::Open("/store", options);
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (uint64_t n = 0; n < 20; ++n) PutBatch(store->get(), n);
  ASSERT_TRUE((*store)->db()->Flush(rocksdb::FlushOptions(), (*store)->handle(Family::kCases)).ok());
  faults.FailReads(true);
  int seen = 0;
  Status s = (*store)->Scan(Family::kCases, "batch/", [&](std::string_view, std::string_view) {
    ++seen;
    return true;
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.message();
  EXPECT_EQ(seen, 0);
  auto v = (*store)->Get(Family::kCases, "batch/3");
  EXPECT_FALSE(v.ok()) << "a failed read answered " << (v.ok() && v->has_value() ? "a value" : "absent");
  EXPECT_EQ(v.status().code(), Status::Code::kIOError);
  faults.FailReads(false);
  EXPECT_TRUE((*store)->Scan(Family::kCases, "batch/", [&](std::string_view, std::string_view) {
    ++seen;
    return true;
  }).ok());
  EXPECT_EQ(seen, 20);
}

// A writer killed with SIGKILL at an arbitrary instant leaves every batch
// either wholly present or wholly absent, in every column family.
TEST(CaseStoreTest, AKilledWriterLeavesNoHalfBatch) {
  testing::TempDir dir;
  // The child says when its first batch is written (a byte on the pipe), so
  // that however loaded the machine, the kill comes while it is writing.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    auto store = CaseStore::Open(dir.path());
    if (!store.ok()) _exit(2);
    for (uint64_t n = 0;; ++n) {
      rocksdb::WriteBatch b;
      for (Family f : kEvery) {
        b.Put((*store)->handle(f), "batch/" + std::to_string(n), std::string(512, 'x'));
      }
      if (!(*store)->Write(&b, n % 2 == 0).ok()) _exit(3);
      if (n == 0 && write(ready[1], "x", 1) != 1) _exit(4);
    }
  }
  close(ready[1]);
  char byte;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the writer did not start";
  close(ready[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(child, SIGKILL);
  int status;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  size_t complete = 0;
  EXPECT_TRUE((*store)->Scan(Family::kCases, "batch/", [&](std::string_view key, std::string_view) {
    for (Family f : kEvery) {
      auto v = (*store)->Get(f, key);
      EXPECT_TRUE(v.ok() && v->has_value()) << key << " missing from family " << static_cast<int>(f);
    }
    ++complete;
    return true;
  }).ok());
  size_t in_events = 0;
  EXPECT_TRUE((*store)->Scan(Family::kEvents, "batch/", [&](std::string_view, std::string_view) {
    ++in_events;
    return true;
  }).ok());
  EXPECT_GT(complete, 0u);
  EXPECT_EQ(complete, in_events);
}

TEST(CaseStoreTest, ScanStopsAtThePrefix) {
  testing::TempDir dir;
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  rocksdb::WriteBatch b;
  for (const char* k : {"a/1", "a/2", "b/1"}) b.Put((*store)->handle(Family::kIndexes), k, "");
  ASSERT_TRUE((*store)->Write(&b).ok());
  std::vector<std::string> keys;
  EXPECT_TRUE((*store)->Scan(Family::kIndexes, "a/", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"a/1", "a/2"}));
}

TEST(CaseStoreTest, NumbersEncodeInSortOrder) {
  EXPECT_LT(EncodeU64(9), EncodeU64(10));
  EXPECT_LT(EncodeU64(255), EncodeU64(256));
  EXPECT_EQ(DecodeU64(EncodeU64(1234567890123)), 1234567890123u);
}

}  // namespace
}  // namespace convene::engine

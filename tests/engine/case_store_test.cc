#include "engine/case_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

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

// A writer killed with SIGKILL at an arbitrary instant leaves every batch
// either wholly present or wholly absent, in every column family.
TEST(CaseStoreTest, AKilledWriterLeavesNoHalfBatch) {
  testing::TempDir dir;
  pid_t child = fork();
  if (child == 0) {
    auto store = CaseStore::Open(dir.path());
    if (!store.ok()) _exit(2);
    for (uint64_t n = 0;; ++n) {
      rocksdb::WriteBatch b;
      for (Family f : kEvery) {
        b.Put((*store)->handle(f), "batch/" + std::to_string(n), std::string(512, 'x'));
      }
      if (!(*store)->Write(&b, n % 2 == 0).ok()) _exit(3);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child, SIGKILL);
  int status;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  size_t complete = 0;
  (*store)->Scan(Family::kCases, "batch/", [&](std::string_view key, std::string_view) {
    for (Family f : kEvery) {
      auto v = (*store)->Get(f, key);
      EXPECT_TRUE(v.ok() && v->has_value()) << key << " missing from family " << static_cast<int>(f);
    }
    ++complete;
    return true;
  });
  size_t in_events = 0;
  (*store)->Scan(Family::kEvents, "batch/", [&](std::string_view, std::string_view) {
    ++in_events;
    return true;
  });
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
  (*store)->Scan(Family::kIndexes, "a/", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a/1", "a/2"}));
}

TEST(CaseStoreTest, NumbersEncodeInSortOrder) {
  EXPECT_LT(EncodeU64(9), EncodeU64(10));
  EXPECT_LT(EncodeU64(255), EncodeU64(256));
  EXPECT_EQ(DecodeU64(EncodeU64(1234567890123)), 1234567890123u);
}

}  // namespace
}  // namespace convene::engine

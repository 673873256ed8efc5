#include "engine/timer_queue.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

TEST(TimerQueueTest, DueTimersComeEarliestFirstPerClockAndSurviveReopening) {
  testing::TempDir dir;
  {
    auto store = CaseStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    TimerQueue q;
    ASSERT_TRUE(q.Recover(**store).ok());
    rocksdb::WriteBatch b;
    q.Put(**store, &b, 'e', 300, 'i', "case-3", "three");
    q.Put(**store, &b, 'e', 100, 'i', "case-1", "one");
    q.Put(**store, &b, 'w', 50, 'a', "task-1", "sla");
    q.Put(**store, &b, 'e', 200, 'i', "case-2", "two");
    q.Remove(**store, &b, 'e', 200, 'i', "case-2");
    q.Remove(**store, &b, 'e', 999, 'i', "none");  // nothing armed: nothing done
    ASSERT_TRUE((*store)->Write(&b).ok());
    std::vector<TimerQueue::Entry> due;
    ASSERT_TRUE(q.Due('e', 250, 10, &due).ok());
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].second, "one");
    EXPECT_EQ(TimerQueue::DueOf(due[0].first), 100);
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  TimerQueue q;
  ASSERT_TRUE(q.Recover(**store).ok());
  EXPECT_EQ(q.held(), 3u);
  std::vector<TimerQueue::Entry> due;
  ASSERT_TRUE(q.Due('e', 1000, 10, &due).ok());
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].second, "one");
  EXPECT_EQ(due[1].second, "three");
  due.clear();
  ASSERT_TRUE(q.Due('e', 1000, 1, &due).ok());  // at most max
  EXPECT_EQ(due.size(), 1u);
  due.clear();
  ASSERT_TRUE(q.Due('w', 49, 10, &due).ok());  // not yet
  EXPECT_TRUE(due.empty());
  ASSERT_TRUE(q.Due('w', 50, 10, &due).ok());
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second, "sla");
}

// Start-up reads one chunk of each clock however many timers are armed; the
// rest are read on as they fall due, and a batch's own changes past the
// window (armed there, removed there) are seen by a chunk read mid-batch.
TEST(TimerQueueTest, ManyTimersAreReadAChunkAtATimeAndABatchsChangesPastTheWindowHold) {
  testing::TempDir dir;
  const size_t n = 3 * TimerQueue::kChunk + 17;
  auto id = [](size_t i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "case-%06zu", i);
    return std::string(buf);
  };
  {
    auto store = CaseStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    TimerQueue q;
    ASSERT_TRUE(q.Recover(**store).ok());
    rocksdb::WriteBatch b;
    for (size_t i = 0; i < n; ++i) q.Put(**store, &b, 'e', 1000 + 10 * i, 'i', id(i), id(i));
    q.Put(**store, &b, 'w', 5, 'a', "task-1", "sla");
    ASSERT_TRUE((*store)->Write(&b).ok());
    q.Committed();
    EXPECT_LE(q.held(), 4 * TimerQueue::kChunk);  // narrowed once written
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  TimerQueue q;
  ASSERT_TRUE(q.Recover(**store).ok());
  EXPECT_EQ(q.held(), TimerQueue::kChunk + 1);  // one chunk of event time, the one SLA clock
  // In one batch: a timer armed past the window, one removed past it, then
  // everything due read through every chunk.
  rocksdb::WriteBatch b;
  q.Put(**store, &b, 'e', 1000 + 10 * (n - 1) + 5, 'i', "case-late", "late");
  q.Remove(**store, &b, 'e', 1000 + 10 * (n - 2), 'i', id(n - 2));
  std::vector<TimerQueue::Entry> due;
  ASSERT_TRUE(q.Due('e', 1000 + 10 * n, SIZE_MAX, &due).ok());
  ASSERT_EQ(due.size(), n);  // n - 1 of the first, and the late one
  for (size_t i = 1; i < due.size(); ++i) EXPECT_LT(due[i - 1].first, due[i].first);
  EXPECT_EQ(due[0].second, id(0));
  EXPECT_EQ(due[n - 3].second, id(n - 3));
  EXPECT_EQ(due[n - 2].second, id(n - 1));
  EXPECT_EQ(due[n - 1].second, "late");
  // Not yet due: nothing more, and the SLA clock is on its own.
  due.clear();
  ASSERT_TRUE(q.Due('w', 4, SIZE_MAX, &due).ok());
  EXPECT_TRUE(due.empty());
  ASSERT_TRUE(q.Due('w', 5, SIZE_MAX, &due).ok());
  ASSERT_EQ(due.size(), 1u);
}

}  // namespace
}  // namespace convene::engine

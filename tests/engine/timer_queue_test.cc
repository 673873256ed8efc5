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
    q.Due('e', 250, 10, &due);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].second, "one");
    EXPECT_EQ(TimerQueue::DueOf(due[0].first), 100);
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  TimerQueue q;
  ASSERT_TRUE(q.Recover(**store).ok());
  EXPECT_EQ(q.size(), 3u);
  std::vector<TimerQueue::Entry> due;
  q.Due('e', 1000, 10, &due);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].second, "one");
  EXPECT_EQ(due[1].second, "three");
  due.clear();
  q.Due('e', 1000, 1, &due);  // at most max
  EXPECT_EQ(due.size(), 1u);
  due.clear();
  q.Due('w', 49, 10, &due);  // not yet
  EXPECT_TRUE(due.empty());
  q.Due('w', 50, 10, &due);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second, "sla");
}

}  // namespace
}  // namespace convene::engine

#include "engine/meeting_book.h"

#include <gtest/gtest.h>

#include "engine/store_keys.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

constexpr TimeMs kMarch17 = 1773741600000;  // 2026-03-17T10:00:00Z
constexpr TimeMs kMarch31 = kMarch17 + 14 * kMsPerDay;

TEST(MeetingBookTest, AMeetingIsReadBackOnlyWhenAskedForAndHoldsWhatWasWritten) {
  testing::TempDir dir;
  {
    auto store = CaseStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    MeetingBook book(store->get(), 100);
    rocksdb::WriteBatch b;
    auto m = book.Get("marac", kMarch17);
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE((*m)->recorded);
    book.Seat(&b, "marac", kMarch17, *m, "dv-000002");
    book.Seat(&b, "marac", kMarch17, *m, "dv-000001");
    (*m)->agenda_sent = true;
    book.Save(&b, "marac", kMarch17, *m);
    // Another panel's meeting at the same time, and the next meeting, are apart.
    auto other = book.Get("mate", kMarch17);
    ASSERT_TRUE(other.ok());
    book.Seat(&b, "mate", kMarch17, *other, "cse-000001");
    auto next = book.Get("marac", kMarch31);
    ASSERT_TRUE(next.ok());
    (*next)->not_held = "cancelled: snow";
    book.Save(&b, "marac", kMarch31, *next);
    ASSERT_TRUE((*store)->Write(&b).ok());
  }
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  MeetingBook book(store->get(), 100);
  auto m = book.Get("marac", kMarch17);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->recorded);
  EXPECT_EQ((*m)->cases, (std::set<std::string>{"dv-000001", "dv-000002"}));
  EXPECT_TRUE((*m)->agenda_sent);
  EXPECT_FALSE((*m)->ended);
  auto next = book.Get("marac", kMarch31);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE((*next)->recorded);
  EXPECT_TRUE((*next)->cases.empty());
  EXPECT_EQ((*next)->not_held, "cancelled: snow");
  auto none = book.Get("marac", kMarch31 + 14 * kMsPerDay);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->recorded);
}

TEST(MeetingBookTest, ADamagedMeetingRecordIsAnErrorNotAnEmptyMeeting) {
  testing::TempDir dir;
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  rocksdb::WriteBatch b;
  b.Put((*store)->handle(Family::kIndexes), MeetingStateKey(AgendaKey("marac", kMarch17)),
        "{\"agenda_sent\":tr");
  ASSERT_TRUE((*store)->Write(&b).ok());
  MeetingBook book(store->get(), 100);
  auto m = book.Get("marac", kMarch17);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kCorruption);
  EXPECT_NE(m.status().message().find("marac@2026-03-17T10:00:00"), std::string::npos)
      << m.status().message();
}

}  // namespace
}  // namespace convene::engine

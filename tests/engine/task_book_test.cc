#include "engine/task_book.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

Task MakeTask(const std::string& id, const std::string& owner, const std::string& status) {
  Task t;
  t.task_id = id;
  t.case_id = owner;
  t.partner = "housing";
  t.title = "Visit";
  t.status = status;
  return t;
}

TEST(TaskBookTest, ABatchSeesItsOwnTasksAndTheStoreHoldsThemAfter) {
  testing::TempDir dir;
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  TaskBook book(store->get());
  book.BeginBatch();
  rocksdb::WriteBatch b;
  book.Issue(&b, MakeTask("t-1", "asb-000001", "open"));
  book.Issue(&b, MakeTask("t-2", "asb-000001", "open"));
  book.Issue(&b, MakeTask("t-3", "asb-000002", "open"));
  Task done = MakeTask("t-2", "asb-000001", "completed");
  book.Update(&b, done);
  EXPECT_TRUE(book.InBatch("t-1"));
  auto found = book.Find("t-2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->status, "completed");  // before the batch is written
  ASSERT_TRUE((*store)->Write(&b).ok());
  book.BeginBatch();
  EXPECT_FALSE(book.InBatch("t-1"));
  found = book.Find("t-2");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->status, "completed");
  found = book.Find("t-none");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  std::vector<std::string> open, of_case;
  ASSERT_TRUE(book.ForEachOpen([&](const Task& t) {
    open.push_back(t.task_id);
    return true;
  }).ok());
  EXPECT_EQ(open, (std::vector<std::string>{"t-1", "t-3"}));
  ASSERT_TRUE(ReadTasksOf(**store, "asb-000001", [&](const Task& t) {
    of_case.push_back(t.task_id + " " + t.status);
    return true;
  }).ok());
  EXPECT_EQ(of_case, (std::vector<std::string>{"t-1 open", "t-2 completed"}));
}

TEST(TaskBookTest, ADamagedTaskRecordIsAnErrorNamingTheTask) {
  testing::TempDir dir;
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  TaskBook book(store->get());
  rocksdb::WriteBatch b;
  book.Issue(&b, MakeTask("t-1", "asb-000001", "open"));
  b.Put((*store)->handle(Family::kTasks), "t-1", "{\"task_id\":");
  ASSERT_TRUE((*store)->Write(&b).ok());
  book.BeginBatch();
  auto found = book.Find("t-1");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Status::Code::kCorruption);
  EXPECT_NE(found.status().message().find("task t-1"), std::string::npos);
  Status s = ReadTasksOf(**store, "asb-000001", [](const Task&) { return true; });
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  s = book.ForEachOpen([](const Task&) { return true; });
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace convene::engine

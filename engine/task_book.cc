#include "engine/task_book.h"

#include "engine/store_keys.h"

namespace convene::engine {
namespace {

Result<Task> Parse(std::string_view id, std::string_view record) {
  auto t = Task::FromRecord(record);
  if (!t.ok()) {
    return Status::Corruption("task " + std::string(id) + ": corrupt record: " +
                              t.status().message());
  }
  return t;
}

}  // namespace

const Task& TaskBook::Issue(rocksdb::WriteBatch* batch, Task t) {
  batch->Put(store_->handle(Family::kIndexes), CaseTaskKey(t.case_id, t.task_id), "");
  batch->Put(store_->handle(Family::kTasks), t.task_id, t.ToRecord());
  return Keep(std::move(t));
}

void TaskBook::Update(rocksdb::WriteBatch* batch, Task t) {
  batch->Put(store_->handle(Family::kTasks), t.task_id, t.ToRecord());
  Keep(std::move(t));
}

const Task& TaskBook::Keep(Task t) {
  std::string id = t.task_id;
  return in_batch_.insert_or_assign(std::move(id), std::move(t)).first->second;
}

Result<std::optional<Task>> TaskBook::Find(const std::string& id) const {
  if (auto it = in_batch_.find(id); it != in_batch_.end()) return std::optional<Task>(it->second);
  return ReadTask(*store_, id);
}

Status TaskBook::ForEachOpen(const std::function<bool(const Task&)>& fn) const {
  return ReadAllTasks(*store_, [&](const Task& t) { return !IsOpenStatus(t.status) || fn(t); });
}

Status ReadAllTasks(const CaseStore& store, const std::function<bool(const Task&)>& fn) {
  Status failed;
  Status s = store.Scan(Family::kTasks, "", [&](std::string_view id, std::string_view v) {
    auto t = Parse(id, v);
    if (!t.ok()) {
      failed = t.status();
      return false;
    }
    return fn(*t);
  });
  return s.ok() ? failed : s;
}

Result<std::optional<Task>> ReadTask(const CaseStore& store, std::string_view id) {
  auto stored = store.Get(Family::kTasks, id);
  if (!stored.ok()) return stored.status().Prefixed("task " + std::string(id) + ": ");
  if (!stored->has_value()) return std::optional<Task>();
  auto t = Parse(id, **stored);
  if (!t.ok()) return t.status();
  return std::optional<Task>(std::move(*t));
}

Status ReadTasksOf(const CaseStore& store, std::string_view owner,
                   const std::function<bool(const Task&)>& fn) {
  Status failed;
  Status s = store.TasksOf(owner, [&](std::string_view id) {
    auto t = ReadTask(store, id);
    if (!t.ok()) {
      failed = t.status();
      return false;
    }
    return !t->has_value() || fn(**t);
  });
  return s.ok() ? failed : s;
}

}  // namespace convene::engine

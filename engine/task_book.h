// The task book: every task the engine has issued (SPEC 5), with its status,
// and which case (or panel meeting) owns it. Owns the `tasks` family and the
// `indexes` family's "t" entries (owner -> task): nothing else writes them.
// Readers outside the engine (`convene case`, agendas, `rules test`) read
// through ReadTask and ReadTasksOf below.
//
// A task issued or changed goes into the batch being built and is kept for
// the rest of that batch, so a later event in it (an acknowledgement of a
// task issued a moment before) sees it; BeginBatch lets go of them.
//
// Thread-compatible: the engine's thread.
#pragma once

#include <rocksdb/write_batch.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/case_store.h"
#include "engine/task.h"

namespace convene::engine {

class TaskBook {
 public:
  explicit TaskBook(const CaseStore* store) : store_(store) {}

  // A new batch: the last one's tasks are all on disk.
  void BeginBatch() { in_batch_.clear(); }

  // Whether task `id` was issued or changed in this batch (an id is stable
  // for what caused it, so a second issue of the same id is a repeat).
  bool InBatch(const std::string& id) const { return in_batch_.count(id) > 0; }

  // Writes a new task's record and its owner's entry into `batch`; returns
  // the batch's copy.
  const Task& Issue(rocksdb::WriteBatch* batch, Task t);
  // Writes a changed task (its status) into `batch`.
  void Update(rocksdb::WriteBatch* batch, Task t);

  // Task `id` as of the batch being built; none when it was never issued.
  // Not OK when the store cannot be read or the record is damaged.
  Result<std::optional<Task>> Find(const std::string& id) const;

  // Each task still open or acknowledged, in id order, until `fn` returns
  // false. Not OK on a read error or a damaged record.
  Status ForEachOpen(const std::function<bool(const Task&)>& fn) const;

 private:
  const Task& Keep(Task t);

  const CaseStore* store_;
  std::unordered_map<std::string, Task> in_batch_;
};

// Task `id` as stored; none when there is no such task. Not OK on a read
// error or a damaged record (its message names the task).
Result<std::optional<Task>> ReadTask(const CaseStore& store, std::string_view id);

// The tasks owned by case (or panel meeting, "marac/2026-03-17") `owner`, in
// id order, until `fn` returns false. Not OK on a read error or a damaged
// record.
Status ReadTasksOf(const CaseStore& store, std::string_view owner,
                   const std::function<bool(const Task&)>& fn);

// Every task in the store, in id order, until `fn` returns false. Not OK on a
// read error or a damaged record (its message names the task).
Status ReadAllTasks(const CaseStore& store, const std::function<bool(const Task&)>& fn);

// Whether a task in `status` still asks something of its partner.
inline bool IsOpenStatus(std::string_view status) {
  return status == "open" || status == "acknowledged";
}

}  // namespace convene::engine

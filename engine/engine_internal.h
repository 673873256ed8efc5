// Engine internals shared by engine*.cc; not part of the engine's interface.
#pragma once

#include <rocksdb/write_batch.h>

#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/engine.h"

namespace convene::engine {

// Key layout of the `indexes` family.
inline constexpr char kSep = '\x1f';
inline std::string IndexKey(char kind, std::string_view type, std::string_view key,
                            std::string_view id) {
  std::string k;
  k.reserve(type.size() + key.size() + id.size() + 4);
  k.push_back(kind);
  k.push_back(kSep);
  k.append(type).push_back(kSep);
  k.append(key).push_back(kSep);
  k.append(id);
  return k;
}
inline std::string TypeKey(std::string_view type, std::string_view key) {
  std::string k(type);
  k.push_back(kSep);
  k.append(key);
  return k;
}
// "t" entries: case id -> its tasks.
inline std::string CaseTaskKey(std::string_view case_id, std::string_view task_id) {
  std::string k = "t";
  k.push_back(kSep);
  k.append(case_id).push_back(kSep);
  k.append(task_id);
  return k;
}

// What one batch has changed so far, before it is written.
struct Engine::BatchState {
  rocksdb::WriteBatch write;
  std::unordered_map<std::string, std::shared_ptr<const rules::Event>> events;
  std::unordered_map<std::string, Task> tasks;
  std::set<std::string> dirty_cases;  // ordered: case updates go out in a stable order
  std::unordered_map<std::string, std::vector<std::string>> changes;  // case id -> what changed
  std::unordered_map<std::string, std::string> last_event;            // case id -> event id
  std::set<std::string> touched_seq;  // case types whose sequence moved
};

}  // namespace convene::engine

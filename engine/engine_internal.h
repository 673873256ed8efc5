// Engine internals shared by engine*.cc; not part of the engine's interface.
#pragma once

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/engine.h"
#include "rules/text.h"

namespace convene::engine {

// Timer kinds: the byte after the due time in a timer key. SLA clocks run on
// the wall clock; the others on event time.
inline constexpr char kTimerAcknowledge = 'a';
inline constexpr char kTimerComplete = 'c';
inline constexpr char kTimerIdle = 'i';
inline constexpr char kTimerRollOver = 'r';
inline constexpr char kTimerAgenda = 'g';

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
// Parts joined by kSep.
inline std::string JoinKey(std::initializer_list<std::string_view> parts) {
  size_t size = parts.size();
  for (auto p : parts) size += p.size();
  std::string k;
  k.reserve(size);
  bool first = true;
  for (auto p : parts) {
    if (!first) k.push_back(kSep);
    first = false;
    k.append(p);
  }
  return k;
}
inline std::string TypeKey(std::string_view type, std::string_view key) {
  return JoinKey({type, key});
}
// "t" entries: case id -> its tasks.
inline std::string CaseTaskKey(std::string_view case_id, std::string_view task_id) {
  return JoinKey({"t", case_id, task_id});
}

// A panel meeting: panel id, then its start (so a panel's meetings sort by time).
inline std::string AgendaKey(std::string_view panel, TimeMs meeting) {
  return JoinKey({panel, EncodeU64(static_cast<uint64_t>(meeting))});
}
// "a" entries: a case on a meeting's agenda. "p" entries: the meeting was held.
inline std::string AgendaIndexKey(std::string_view agenda_key, std::string_view case_id) {
  return JoinKey({"a", agenda_key, case_id});
}
inline std::string HeldIndexKey(std::string_view agenda_key) { return JoinKey({"p", agenda_key}); }

using text::JoinPath;

// What one batch has changed so far, before it is written.
struct Engine::BatchState {
  // Reserved up front (about 4 KiB an event): a batch of thousands of events
  // is megabytes, and growing the buffer by doubling would copy it over and over.
  explicit BatchState(size_t events) : write(std::min<size_t>(events * 4096 + 4096, 32 << 20)) {}
  rocksdb::WriteBatch write;
  std::unordered_map<std::string, std::shared_ptr<const rules::Event>> events;
  std::unordered_map<std::string, Task> tasks;
  std::vector<CaseRecord*> dirty_cases;  // in the order they were first changed
  std::set<std::string> touched_seq;  // case types whose sequence moved
};

}  // namespace convene::engine

// The store's key layout, in one place: every key of the `indexes`,
// `offsets` and `timers` families is built here and nowhere else, and read
// back through CaseStore's typed reads. Free functions; thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/case_store.h"
#include "rules/time_point.h"

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
// "a" entries: a case on a meeting's agenda. "p" entries: the meeting was held
// (the panel.held record). "m" entries: what the engine tracks of a meeting.
inline std::string AgendaIndexKey(std::string_view agenda_key, std::string_view case_id) {
  return JoinKey({"a", agenda_key, case_id});
}
inline std::string HeldIndexKey(std::string_view agenda_key) { return JoinKey({"p", agenda_key}); }
inline std::string MeetingStateKey(std::string_view agenda_key) { return JoinKey({"m", agenda_key}); }
// What every "a" (or "p") entry of `panel`'s meetings starts with.
inline std::string MeetingIndexPrefix(char kind, std::string_view panel) {
  return JoinKey({std::string_view(&kind, 1), panel, ""});
}

// `timeline` and `history` rows: case id, then the row's sequence in the case.
inline std::string CaseRowKey(std::string_view case_id, uint64_t seq) {
  return JoinKey({case_id, EncodeU64(seq)});
}
inline std::string CaseRowPrefix(std::string_view case_id) { return JoinKey({case_id, ""}); }

// `offsets` entries: topic, partition.
inline std::string OffsetKey(std::string_view topic, int32_t partition) {
  return JoinKey({topic, std::to_string(partition)});
}

}  // namespace convene::engine

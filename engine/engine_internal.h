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
#include "engine/store_keys.h"
#include "rules/text.h"

namespace convene::engine {

// Timer kinds: the byte after the due time in a timer key. SLA clocks run on
// the wall clock; the others on event time.
inline constexpr char kTimerAcknowledge = 'a';
inline constexpr char kTimerComplete = 'c';
inline constexpr char kTimerIdle = 'i';
inline constexpr char kTimerMeetingEnd = 'r';
inline constexpr char kTimerOutcome = 'o';
inline constexpr char kTimerAgenda = 'g';


using text::JoinPath;

// The timeline fact holding the value (as JSON) of `path` ("event.data.age"),
// which a count() or distinct() with where: or same: reads of past events.
// Facts of distinct() paths are below "event" and never start with '='.
inline void WindowFactKey(const std::vector<std::string>& path, std::string* key) {
  key->assign(1, '=');
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) key->push_back('.');
    key->append(path[i]);
  }
}

// Such a value as a timeline fact, typed so that it reads back as the same
// value without a JSON parser for the usual kinds: a tag, then the value.
// "s" text, "n" a number (shortest exact form), "t"/"f", "L" a list of texts
// apart by kSep, "j" JSON for anything else (lists of other kinds, objects).
std::string EncodeFact(const rules::Value& v);
rules::Value DecodeFact(std::string_view fact);

// Flags `c` with `flag` unless it has it already; true when it was added.
inline bool AddFlag(CaseRecord* c, const std::string& flag) {
  auto& flags = c->view.flags;
  if (std::find(flags.begin(), flags.end(), flag) != flags.end()) return false;
  flags.push_back(flag);
  return true;
}

// What one batch has changed so far, before it is written.
struct Engine::BatchState {
  // Reserved up front (about 4 KiB an event): a batch of thousands of events
  // is megabytes, and growing the buffer by doubling would copy it over and over.
  explicit BatchState(size_t events) : write(std::min<size_t>(events * 4096 + 4096, 32 << 20)) {}
  rocksdb::WriteBatch write;
  std::unordered_map<std::string, std::shared_ptr<const rules::Event>> events;
  std::vector<CaseRecord*> dirty_cases;  // in the order they were first changed
  std::set<std::string> touched_seq;  // case types whose sequence moved
  std::vector<OutboxMessage> delivered;  // EngineOptions::deliver: after the write
};

}  // namespace convene::engine

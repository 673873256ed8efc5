// The timer queue: every armed clock, durable in the `timers` family and
// mirrored in memory so that what is due is found without walking RocksDB
// over the keys of timers fired or re-armed (deleted keys linger until
// compaction). A timer is a key (its clock, due time, kind, id) and a value
// (what to do, as JSON), armed and removed inside the batch that decides it.
// Two clocks: 'w' timers run on the wall clock (SLA clocks: people acting),
// 'e' timers on event time (idle clocks, meetings: replaying last year's
// events must not close every case at once). Owns its memory copy; knows
// nothing of what a timer means. Thread-compatible: the engine's thread.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/case_store.h"
#include "rules/time_point.h"

namespace convene::engine {

class TimerQueue {
 public:
  using Entry = std::pair<std::string, std::string>;  // key, value

  // Reads every armed timer from the store.
  Status Recover(const CaseStore& store);

  // Arms a timer (replacing one with the same clock, due time, kind and id).
  void Put(const CaseStore& store, rocksdb::WriteBatch* batch, char clock, TimeMs due, char kind,
           std::string_view id, std::string value);
  // Removes the timer armed with exactly these; nothing if there is none.
  void Remove(const CaseStore& store, rocksdb::WriteBatch* batch, char clock, TimeMs due,
              char kind, std::string_view id);
  // Removes a timer by its key (as Due gives it).
  void Remove(const CaseStore& store, rocksdb::WriteBatch* batch, const std::string& key);

  // Appends the timers of `clock` due by `now`, earliest first, until `out`
  // holds `max`.
  void Due(char clock, TimeMs now, size_t max, std::vector<Entry>* out) const;

  // The due time written in a timer's key.
  static TimeMs DueOf(std::string_view key);
  size_t size() const { return armed_.size(); }

 private:
  static std::string Key(char clock, TimeMs due, char kind, std::string_view id);
  std::map<std::string, std::string> armed_;
};

}  // namespace convene::engine

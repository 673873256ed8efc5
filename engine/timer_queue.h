// The timer queue: every armed clock, durable in the `timers` family. Memory
// holds the earliest of them (a window of each clock's first timers, read a
// chunk at a time as they fall due), so start-up reads one chunk whatever
// the number of timers, and what is due is found without walking RocksDB over
// the keys of timers fired or re-armed (deleted keys linger until
// compaction). A timer armed past the window is written only; one removed
// there is deleted only; until its batch is written both are noted, so that a
// chunk read in the middle of a batch sees them. A timer is a key (its clock, due time, kind, id) and a value
// (what to do, as JSON), armed and removed inside the batch that decides it.
// Two clocks: 'w' timers run on the wall clock (SLA clocks: people acting),
// 'e' timers on event time (idle clocks, meetings: replaying last year's
// events must not close every case at once). Owns its memory copy; knows
// nothing of what a timer means. Thread-compatible: the engine's thread.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <set>
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

  // Reads the first chunk of each clock's timers from `store`, which the
  // queue reads from then on.
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
  // holds `max` (reading on from the store as the window runs out).
  Status Due(char clock, TimeMs now, size_t max, std::vector<Entry>* out);

  // The batch of the timers armed and removed since the last call is written.
  // With everything in memory on disk, a window grown past a few chunks is
  // narrowed again: memory stays bounded however many timers are armed.
  void Committed();

  // The due time written in a timer's key.
  static TimeMs DueOf(std::string_view key);
  // Timers held in memory (the window), not all there are.
  size_t held() const { return armed_.size(); }

  // Timers read from the store at a time.
  static constexpr size_t kChunk = 4096;

 private:
  // What memory holds of one clock's timers: every one up to `to` (all of
  // them when `all`).
  struct Window {
    std::string to;
    bool all = false;
  };
  static std::string Key(char clock, TimeMs due, char kind, std::string_view id);
  Window& WindowOf(char clock) { return clock == 'w' ? wall_ : event_; }
  bool InWindow(const std::string& key) {
    const Window& w = WindowOf(key[0]);
    return w.all || key <= w.to;
  }
  // Reads the next chunk of `clock`'s timers into memory.
  Status ReadOn(char clock);

  const CaseStore* store_ = nullptr;
  std::map<std::string, std::string> armed_;  // the windows' timers
  Window wall_, event_;
  // Of the batch being built: timers armed past the window, and removed there.
  std::map<std::string, std::string> beyond_;
  std::set<std::string> removed_beyond_;
};

}  // namespace convene::engine

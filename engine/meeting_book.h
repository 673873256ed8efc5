// The panel meetings as the engine schedules them (SPEC 4, panels): which
// cases each meeting's agenda holds (the `indexes` family's "a" entries),
// what is tracked of it ("m": agenda sent, ended, why its cases roll on) and
// its panel.held record ("p"). Owns those entries: nothing else in the engine
// writes them; `convene panel` reads them through panel_book.h.
//
// Loaded lazily: a meeting is read from the store the first time it is asked
// for, then held, so start-up reads nothing whatever the number of meetings.
// A change goes into the batch being built and into memory at once; memory
// is let go of only between batches (Trim), when what it holds is on disk.
//
// Thread-compatible: the engine's thread.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "engine/case_store.h"
#include "rules/time_point.h"

namespace convene::engine {

class MeetingBook {
 public:
  struct Meeting {
    std::set<std::string> cases;  // ever put on its agenda, including those rolled on since
    bool agenda_sent = false;     // the agenda went to the chair (at the cutoff)
    bool ended = false;           // its day is over: its cases were heard, or rolled on
    std::string not_held;         // why its cases roll on: "cancelled", "not quorate ..."
    // Whether anything was ever recorded of it (a case seated, a state saved).
    bool recorded = false;
  };

  // Holds up to about `capacity` meetings in memory between batches.
  MeetingBook(const CaseStore* store, size_t capacity) : store_(store), capacity_(capacity) {}

  // The meeting of `panel` starting at `start`, read from the store the first
  // time; one nothing was recorded of is empty. Valid until Trim. Not OK when
  // the store cannot be read or the record is damaged.
  Result<Meeting*> Get(std::string_view panel, TimeMs start);

  // Puts case `id` on the agenda of meeting `m` (got from Get).
  void Seat(rocksdb::WriteBatch* batch, std::string_view panel, TimeMs start, Meeting* m,
            const std::string& id);
  // Writes what is tracked of meeting `m` (got from Get, then changed).
  void Save(rocksdb::WriteBatch* batch, std::string_view panel, TimeMs start, Meeting* m);
  // Writes the meeting's panel.held record (the attendees and who was missing).
  void SaveHeld(rocksdb::WriteBatch* batch, std::string_view panel, TimeMs start,
                const std::string& record);

  // Between batches: lets go of what memory holds when it holds too much.
  void Trim() {
    if (held_.size() > capacity_) held_.clear();
  }

 private:
  const CaseStore* store_;
  size_t capacity_;
  std::map<std::string, Meeting> held_;  // AgendaKey -> the meeting
};

}  // namespace convene::engine

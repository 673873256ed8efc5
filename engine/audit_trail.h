// The audit trail (SPEC 6): an append-only, hash-chained record of every task
// issued, every field withheld from a partner, every rule-set change that
// took effect, and every case viewed in the console (a case.viewed event). Each entry names the one before it by its SHA-256, so a change
// to any entry, or one taken out, breaks the chain after it; `convene audit
// verify` walks it. Entries are written in the same atomic batch as the state
// they describe: the trail says exactly what the engine did.
//
// Thread-safety: Append from the engine thread only; Verify on any store.
#pragma once

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/case_store.h"
#include "rules/json.h"
#include "rules/time_point.h"

namespace convene::engine {

class AuditTrail {
 public:
  // Positions the trail after its last entry in `store`.
  Status Recover(const CaseStore& store);

  // Adds an entry of `kind` ("task", "withheld", "rules", ...) with `fields`
  // (a JSON object's members, written by the caller) to `batch`.
  void Append(const CaseStore& store, rocksdb::WriteBatch* batch, std::string_view kind,
              TimeMs at, const std::function<void(json::Writer&)>& fields);
  // A trail that keeps nothing: for scratch runs (what-if replays, policy
  // tests), whose store is thrown away.
  void Disable() { enabled_ = false; }

  struct Verified {
    uint64_t entries = 0;
    std::string head;  // the last entry's hash
    // Empty when the chain holds; else the first entry that does not fit, and why.
    std::string broken;
  };
  static Result<Verified> Verify(const CaseStore& store);

 private:
  bool enabled_ = true;
  uint64_t seq_ = 0;   // of the last entry
  std::string head_;   // its hash; "" before the first
};

}  // namespace convene::engine

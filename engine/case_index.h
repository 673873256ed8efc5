// The case index: correlation keys -> the cases holding them (SPEC 4). Owns
// the `indexes` family's "o" entries (open cases) and "h" entries (every case
// ever opened, for prior_cases): nothing else reads or writes them.
//
// Loaded lazily: a key is read from the store the first time an event asks
// for it and then held in memory, so start-up reads nothing whatever the
// number of cases. A change goes into the batch being built and into memory
// at once, so a lookup later in the same batch sees it; memory is let go of
// only between batches (Trim), when what it holds is all on disk.
//
// Thread-compatible: the engine's thread.
#pragma once

#include <rocksdb/write_batch.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/case_store.h"

namespace convene::engine {

class CaseIndex {
 public:
  // Holds up to about `capacity` keys in memory between batches.
  CaseIndex(const CaseStore* store, size_t capacity) : store_(store), capacity_(capacity) {}

  // Adds to `*ids` the cases of `type` holding any of `keys` (open ones, or
  // every one), each once, in id order.
  Status OpenCases(std::string_view type, const std::vector<std::string>& keys,
                   std::vector<std::string>* ids) {
    return Find(type, keys, /*open=*/true, ids);
  }
  Status AllCases(std::string_view type, const std::vector<std::string>& keys,
                  std::vector<std::string>* ids) {
    return Find(type, keys, /*open=*/false, ids);
  }

  // Case `id` (of `type`, open) holds `key` from now on.
  Status Add(rocksdb::WriteBatch* batch, std::string_view type, std::string_view key,
             const std::string& id);
  // Case `id` is closed: it no longer answers for `key` among the open cases.
  Status Close(rocksdb::WriteBatch* batch, std::string_view type, std::string_view key,
               const std::string& id);

  // Between batches: lets go of what memory holds when it holds too much.
  void Trim();
  size_t held() const { return held_.size(); }

 private:
  struct Entry {
    std::vector<std::string> open, all;  // case ids, in id order
  };
  Status Find(std::string_view type, const std::vector<std::string>& keys, bool open,
              std::vector<std::string>* ids);
  // The entry of `type` and `key`, read from the store if not held.
  Result<Entry*> Load(std::string_view type, std::string_view key);

  const CaseStore* store_;
  size_t capacity_;
  std::unordered_map<std::string, Entry> held_;  // type kSep key -> its cases
};

}  // namespace convene::engine

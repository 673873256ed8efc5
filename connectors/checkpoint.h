// How far a connector has read each input file, kept so that a second run
// sends nothing new and a file that grew is read on from where it stopped.
// One small JSON file per (source, input file) in a state folder, replaced
// atomically (written aside, synced, renamed). A checkpoint is only written
// after everything before it is confirmed by the broker. If the start of the
// file no longer matches (a new export under the same name), it is read from
// the beginning; event ids are stable, so the engine applies nothing twice.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "rules/status.h"

namespace convene::connectors {

struct Checkpoint {
  int64_t offset = 0;  // bytes read (CSV, JSON lines), or the file's size (a JSON array)
  int64_t line = 1;    // the line (or, for a JSON array, the element) to read next
  uint64_t head = 0;   // hash of the file's first bytes, up to 4 KiB or `hashed`
  int64_t hashed = 0;  // how far `head` may reach (0: `offset`); a JSON array's closing
                       // bracket moves as it grows, so its hash stops before it
};

class CheckpointStore {
 public:
  explicit CheckpointStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Where to resume `file` for `source`; nullopt: from the start.
  std::optional<Checkpoint> Resume(const std::string& source, const std::string& file) const;
  Status Save(const std::string& source, const std::string& file, const Checkpoint& c) const;

  // The hash of the first min(4096, limit) bytes of `file`.
  static uint64_t HeadHash(const std::string& file, int64_t limit);

 private:
  std::filesystem::path PathFor(const std::string& source, const std::string& file) const;
  std::filesystem::path dir_;
};

}  // namespace convene::connectors

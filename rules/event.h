// An event as SPEC section 3 defines it: parsed from the bytes of one Kafka
// message, validated, and immutable afterwards, so one parsed event can be
// shared by every case it joins. Thread-compatible; share as shared_ptr<const>.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/status.h"
#include "rules/time_point.h"
#include "rules/value.h"

namespace convene::rules {

constexpr size_t kMaxEventBytes = 1 << 20;  // 1 MiB, SPEC 3

struct Subject {
  std::string id;
  std::string role;
};

class Event {
 public:
  // `bytes`: the size of the JSON it will hold (sizes its memory pool).
  explicit Event(size_t bytes) : pool_(bytes * 2 + 256) {}
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  const std::string& id() const { return id_; }
  const std::string& type() const { return type_; }
  const std::string& source() const { return source_; }
  TimeMs occurred_at() const { return occurred_at_; }
  const std::vector<Subject>& subjects() const { return subjects_; }
  const std::string& raw() const { return raw_; }
  const rapidjson::Document& json() const { return doc_; }
  // The `data` object, or an empty object when the event has none.
  const rapidjson::Value& data() const;

  // Resolves a path below "event": {"location","uprn"}, {"data","x"},
  // {"subjects","perpetrator"} (the ids of subjects with that role),
  // {"subjects"} (every subject id). A missing path is null.
  Value Resolve(const std::vector<std::string>& path) const;

  // The JSON value at a path below "event", or nullptr. Subject roles are not
  // resolved here (they are not a JSON path).
  const rapidjson::Value* Find(const std::vector<std::string>& path) const;

  // The ids of the subjects with `role`.
  std::vector<std::string> SubjectIds(std::string_view role) const;

 private:
  friend Result<std::shared_ptr<const Event>> ParseEvent(
      std::string_view bytes, const std::function<bool(std::string_view)>& is_partner);

  std::string id_;
  std::string type_;
  std::string source_;
  TimeMs occurred_at_ = 0;
  std::vector<Subject> subjects_;
  std::string raw_;
  // RapidJSON's default pool takes 64 KiB per document; an event needs a few
  // hundred bytes, and thousands are held at once. Size the pool to the event.
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document doc_{&pool_};

};

// Parses and validates one event. On rejection the Status carries a reason a
// person can act on ("field 'occurred_at' is not an RFC 3339 timestamp with an
// offset: '2026-13-01'"). `is_partner` says whether a source id is known.
Result<std::shared_ptr<const Event>> ParseEvent(
    std::string_view bytes, const std::function<bool(std::string_view)>& is_partner);

}  // namespace convene::rules

// A connector mapping (SPEC 4, "Connector mappings"): how the records of one
// source system become convene events, written in YAML by whoever runs the
// connector. A record is a JSON object: a CSV row becomes {column: value}, a
// JSON record is itself. `from:` names a column (CSV) or a dotted path (JSON).
// Loading reports every mistake with file:line:col; applying a mapping to a
// record gives the event or the reason it cannot be made. Immutable after
// loading; thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rules/config_loader.h"
#include "rules/status.h"

namespace date {
class time_zone;
}

namespace convene::connectors {

// How one value of the event is made from a record.
struct ValueSpec {
  enum class As { kText, kInteger, kNumber, kBoolean, kTimestamp };
  std::string from;                      // column, or dotted path
  std::vector<std::string> also;         // `from: [A, B]`: the first of these with a value
  std::optional<std::string> constant;   // `value:` instead of `from:`
  As as = As::kText;
  std::vector<std::string> formats;      // timestamps: formats tried in order
  std::string normalise;                 // postcode | digits | upper | lower
  std::map<std::string, std::string> map;
  // An unmapped value: "reject", "keep", "omit" (leave the field out), or a value.
  std::string otherwise = "keep";
  std::string where;                     // "mapping.yaml:12:5", for messages
};

// One subject (person) of the event.
struct SubjectSpec {
  std::string id;          // template, e.g. "person:{{Suspect Ref}}"
  ValueSpec role;          // a constant, or from a column through a map
  std::string if_present;  // only when this column or path has a value
  std::string each;        // JSON: one subject per element of this array
};

class Mapping {
 public:
  using LoadResult = std::variant<std::shared_ptr<const Mapping>, std::vector<rules::ConfigError>>;
  static LoadResult Load(const std::filesystem::path& file);

  // The event (JSON) that `record` maps to, or why it cannot be made. The
  // event is checked as the engine checks events, and the `data` SPEC 3
  // defines for its type is checked too (e.g. a DASH score is 0 to 24).
  Result<std::string> Apply(const rapidjson::Value& record) const;

  std::string file;    // as given
  std::string source;  // partner id the events come from
  std::string type;    // csv | jsonl | http
  char delimiter = ',';
  bool header = true;
  std::vector<std::string> columns;  // csv without a header row: the column names
  std::string encoding = "utf-8";    // or windows-1252: converted to UTF-8 as read
  const date::time_zone* zone = nullptr;
  std::string id_template;
  ValueSpec event_type;
  std::vector<std::pair<std::string, ValueSpec>> fields;  // "location.uprn" -> how
  std::vector<SubjectSpec> subjects;
  // http: where events are POSTed, and the token each request must carry.
  std::string http_path = "/events";
  std::string token_env;  // the environment variable holding the token

  // Every column or path the mapping reads (CSV: checked against the header).
  std::vector<std::string> Inputs() const;
  // Those without which no event can be made: the id's, the event type's and
  // occurred_at's. A CSV header without one of them is not read at all.
  std::vector<std::string> EssentialInputs() const;
};

// Checks the `data` SPEC 3 defines for an event type (asb.report category,
// dash.assessment yes_count 0-24, ...). Other types and other fields pass.
Status CheckDefinedData(std::string_view type, const rapidjson::Value& data);


}  // namespace convene::connectors

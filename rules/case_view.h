// What rules, templates and information-sharing see of a case: its identity,
// stage, flags, risk and fields set by rules. The engine keeps the full case
// (history, keys, timers) and hands this view out. Value type.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rules/json.h"
#include "rules/time_point.h"
#include "rules/value.h"

namespace convene::rules {

struct CaseView {
  std::string id;
  std::string type;
  std::string stage;
  std::string status = "open";  // open | closed
  TimeMs opened_at = 0;
  std::vector<std::string> flags;
  std::map<std::string, std::string> fields;  // risk and anything else `set:` wrote
  std::vector<std::string> subjects;          // every subject id seen on the case

  // A path below "case": {"stage"}, {"flags"}, {"risk"}. Missing is null.
  Value Resolve(const std::vector<std::string>& path) const;
  // Writes the case summary as one JSON object.
  void WriteJson(json::Writer& w) const;
  // The same summary as a JSON value allocated with `a`.
  rapidjson::Value ToJsonValue(rapidjson::Document::AllocatorType& a) const;
};

}  // namespace convene::rules

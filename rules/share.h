// Information sharing: what a task for a partner may carry. Only the paths
// in the partner's `share` go into the task's context; what was present but
// left out is listed so the audit trail can say so. Thread-safe (pure).
#pragma once

#include <string>
#include <vector>

#include "rules/case_view.h"
#include "rules/event.h"
#include "rules/rule_set.h"

namespace convene::rules {

struct SharedContext {
  std::string json;                   // the `context` object
  std::vector<std::string> withheld;  // paths present but not shared, e.g. "event.data.dash_answers"
};

// True when `path` (with its root, e.g. {"event","data","age"}) lies within
// what `partner` shares. A task always carries its case's id and type.
bool Shares(const Partner& partner, const std::vector<std::string>& path);

SharedContext BuildContext(const Partner& partner, const Event& event, const CaseView& c);

// A shared context, or a part of it named `path`, as "path: value" lines for
// people: subjects as "id (role)", a list's items joined by ", ", null and
// empty values left out.
std::vector<std::pair<std::string, std::string>> SharedLines(const rapidjson::Value& v,
                                                             const std::string& path = "");

}  // namespace convene::rules

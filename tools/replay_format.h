// `convene rules replay` output: the what-if report as a policy officer reads
// it (text), as a spreadsheet (csv), or as a page for a meeting pack (html).
// Pure functions of the report.
#pragma once

#include <string>

#include "policy/rules_replay.h"

namespace convene::tools {

struct ReplayHeading {
  std::string from_dir, to_dir, from_version, to_version;
  double seconds = 0;
  size_t examples = 3;  // tasks and cases shown per rule in text
};

std::string ReplayText(const policy::ReplayReport& report, const ReplayHeading& h);
// One row per rule: rule, title, in_from, in_to, fired_before, fired_after,
// tasks_before, tasks_after, cases_affected, cases, tasks_by_partner, note.
std::string ReplayCsv(const policy::ReplayReport& report, const ReplayHeading& h);
std::string ReplayHtml(const policy::ReplayReport& report, const ReplayHeading& h);

}  // namespace convene::tools

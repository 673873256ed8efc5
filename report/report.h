// The partnership's report (SPEC 7, `convene report`): what the state on
// disk holds about cases and tasks over a period, by strategy priority, ward
// and partner, read from the store and nothing else. How each figure is
// counted is in docs/report.md. Pure functions over a read-only store.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/case_store.h"
#include "engine/task.h"
#include "rules/rule_set.h"

namespace convene::report {

// One row of figures: cases (by their type's priority, their ward) and the
// tasks issued on them (also by partner).
struct Figures {
  int64_t cases_opened = 0;  // opened in the period
  int64_t cases_open = 0;    // open at the period's end
  int64_t cases_closed = 0;  // closed in the period
  int64_t tasks_issued = 0;  // issued in the period
  int64_t tasks_with_due = 0;
  int64_t tasks_on_time = 0;  // completed or declined by the due date
  int64_t tasks_late = 0;     // completed or declined after it
  int64_t tasks_overdue = 0;  // not finished, past the due date at the period's end
  std::vector<int64_t> ack_ms;  // issue -> acknowledgement, per acknowledged task

  // The median of ack_ms; none when no task was acknowledged.
  std::optional<int64_t> MedianAckMs() const;
};

struct Report {
  std::optional<TimeMs> from, to;  // the period [from, to); none: unbounded
  TimeMs as_of = 0;                // the period's end for "open" and "overdue"
  int64_t events = 0;              // applied, occurring in the period
  Figures total;
  std::map<std::string, Figures> by_priority;  // "(panel)" for panel meetings' tasks
  std::map<std::string, Figures> by_ward;      // "(no ward)" when the opening event had none
  std::map<std::string, Figures> by_partner;   // tasks only
  // People named as victim in two or more incidents of the period, and places
  // (UPRN, else postcode) of two or more; each with its count, most first.
  std::vector<std::pair<std::string, int64_t>> repeat_victims, repeat_locations;
  int64_t repeat_referrals = 0;  // cases flagged repeat (a repeat MARAC referral)
};

// "Now" for what is open and overdue in `store`: the wall clock `wall`, or the
// engine's event time when that is later (events may be up to --max-future
// ahead of the wall clock, and the engine's clock moves with them).
Result<TimeMs> AsOf(const engine::CaseStore& store, TimeMs wall);

// Whether task `t` is past its due date at `as_of` and not finished.
bool Overdue(const engine::Task& t, TimeMs as_of);

// Whether task `t` is among those a list of `which` tasks shows at `as_of`:
// "open" (open or acknowledged), "due_soon" (open, not overdue, due within
// kDueSoon), "overdue", or "all".
constexpr TimeMs kDueSoon = 3 * kMsPerDay;
bool Listed(const engine::Task& t, std::string_view which, TimeMs as_of);

// Reads `store` (as `rules` configures the case types' priorities). An
// unbounded period ends at `now` or at the store's event time, whichever is
// later (events may be up to --max-future ahead). Not OK when the store cannot be read or a
// record is damaged.
Result<Report> Build(const engine::CaseStore& store, const rules::RuleSet& rules,
                     std::optional<TimeMs> from, std::optional<TimeMs> to, TimeMs now);

std::string FormatText(const Report& r);
// One figure a row: section,group,figure,value.
std::string FormatCsv(const Report& r);
// One self-contained page (no scripts, no external files) with bar charts.
std::string FormatHtml(const Report& r);
// What that page's <main> holds: the headings, charts and tables, for a page
// of the console's.
std::string FormatHtmlBody(const Report& r);

}  // namespace convene::report

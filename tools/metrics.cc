#include "tools/metrics.h"

#include <sstream>

namespace convene::tools {
namespace {

// A label value as the format escapes it: backslash, quote, newline.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Head(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

}  // namespace

void BatchTimes::Observe(std::chrono::nanoseconds took) {
  double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++s_.buckets[i];
  }
  ++s_.count;
  s_.sum += seconds;
}

BatchTimes::Snapshot BatchTimes::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return s_;
}

std::string FormatMetrics(const MetricsSnapshot& m) {
  std::ostringstream out;
  const engine::EngineTotals& t = m.totals;
  Head(out, "convene_events_read_total", "counter", "Records read from the events topic.");
  out << "convene_events_read_total " << t.records << "\n";
  Head(out, "convene_events_accepted_total", "counter", "Events applied.");
  out << "convene_events_accepted_total " << t.accepted << "\n";
  Head(out, "convene_events_rejected_total", "counter", "Records rejected to the dead-letter topic.");
  out << "convene_events_rejected_total " << t.rejected << "\n";
  Head(out, "convene_events_duplicated_total", "counter",
       "Events skipped because their id was applied before.");
  out << "convene_events_duplicated_total " << t.duplicates << "\n";
  Head(out, "convene_events_lost_total", "counter",
       "Records the broker no longer had when convene came to read them.");
  out << "convene_events_lost_total " << t.lost << "\n";
  Head(out, "convene_consumer_lag", "gauge",
       "Records on the events topic not yet applied (the broker's high watermark less the "
       "applied offset, summed over partitions).");
  if (m.consumer_lag) out << "convene_consumer_lag " << *m.consumer_lag << "\n";
  Head(out, "convene_batch_apply_seconds", "histogram",
       "Time to apply a batch of events and write it (one synced write).");
  for (size_t i = 0; i < BatchTimes::kBounds.size(); ++i) {
    out << "convene_batch_apply_seconds_bucket{le=\"" << BatchTimes::kBounds[i] << "\"} "
        << m.batches.buckets[i] << "\n";
  }
  out << "convene_batch_apply_seconds_bucket{le=\"+Inf\"} " << m.batches.count << "\n"
      << "convene_batch_apply_seconds_sum " << m.batches.sum << "\n"
      << "convene_batch_apply_seconds_count " << m.batches.count << "\n";
  Head(out, "convene_cases_opened_total", "counter", "Cases opened.");
  out << "convene_cases_opened_total " << t.cases_opened << "\n";
  Head(out, "convene_tasks_issued_total", "counter", "Tasks issued, by partner.");
  for (const auto& [partner, n] : t.tasks_by_partner) {
    out << "convene_tasks_issued_total{partner=\"" << Label(partner) << "\"} " << n << "\n";
  }
  Head(out, "convene_task_titles_withheld_total", "counter",
       "Tasks whose title named what the partner's share does not allow, sent with it withheld.");
  out << "convene_task_titles_withheld_total " << t.titles_withheld << "\n";
  Head(out, "convene_tasks_overdue", "gauge",
       "Tasks past their due date and not completed or declined.");
  out << "convene_tasks_overdue " << m.tasks_overdue << "\n";
  Head(out, "convene_timers_pending", "gauge", "Clocks armed (SLA, idle, meetings).");
  out << "convene_timers_pending " << m.timers_pending << "\n";
  Head(out, "convene_outbox_depth", "gauge", "Messages written and not yet confirmed by the broker.");
  out << "convene_outbox_depth " << m.outbox_depth << "\n";
  Head(out, "convene_rules_info", "gauge", "The rule set in force (its version as a label).");
  out << "convene_rules_info{version=\"" << Label(m.rules_version) << "\"} 1\n";
  return out.str();
}

}  // namespace convene::tools

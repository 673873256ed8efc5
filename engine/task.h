// A task for a partner (SPEC section 5): the message on convene.tasks.<partner>
// and the record the engine keeps of it (status, what was withheld).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/status.h"
#include "rules/time_point.h"

namespace convene::engine {

struct Task {
  std::string task_id;
  std::string case_id;
  std::string case_type;
  std::string partner;
  std::string kind;  // action | research | agenda | notify | escalation
  std::string rule;
  std::string rules_version;
  std::string title;
  std::string priority;
  std::optional<TimeMs> due_at;
  TimeMs created_at = 0;
  std::string trigger_event;
  std::string context_json = "{}";
  // Kept by the engine, not published:
  std::vector<std::string> withheld;
  std::string status = "open";  // open | acknowledged | completed | declined
  // Who in the partner's team took it on (task.claimed's data.by); empty:
  // anyone in the team may.
  std::string claimed_by;
  // In event time (the occurred_at of the events), for the report: when what
  // caused the task happened, when it was acknowledged, and when it was
  // completed or declined. 0: not (or not recorded: a task from before).
  TimeMs event_at = 0;
  TimeMs acknowledged_at = 0;
  TimeMs finished_at = 0;

  // The SPEC 5 message a partner receives.
  std::string ToMessage() const;
  // The stored record: the message fields with the context as published, plus
  // status and the withheld paths. The context is kept because a broker may
  // lose the message (the embedded one is new at every start): an open task is
  // then published again exactly as it was.
  std::string ToRecord() const;
  static Result<Task> FromRecord(std::string_view json);
};

// The task id: stable for (case, rule, action, triggering event, partner), so
// reprocessing never makes a second task.
std::string MakeTaskId(std::string_view case_id, std::string_view rule, int action_index,
                       std::string_view event_id, std::string_view partner);

// An outbox entry: a message waiting to be published.
struct OutboxMessage {
  std::string topic;
  std::string key;
  std::string payload;

  std::string Encode() const;
  static bool Decode(std::string_view data, OutboxMessage* out);
};

}  // namespace convene::engine

// The compiled configuration: partners, case types, calendars and rules,
// parsed and validated once from a config folder (config_loader.h). A RuleSet
// is immutable; the engine holds it as std::shared_ptr<const RuleSet> and
// swaps the pointer to change rules, so readers never see a half-applied set.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/duration.h"
#include "rules/expression.h"
#include "rules/panel.h"
#include "rules/title_template.h"

namespace convene::rules {

using Path = std::vector<std::string>;

struct Partner {
  std::string id;
  std::string name;
  std::string topic;
  std::vector<Path> share;  // paths with their root: {"case"}, {"event","location"}
};

struct OpenedBy {
  std::string type;
  std::shared_ptr<const Expression> when;  // null: always
};

struct CaseType {
  std::string id;
  std::string title;
  std::vector<OpenedBy> opened_by;
  std::vector<Path> correlate_by;  // below "event": {"location","uprn"}
  std::vector<std::string> stages;
  std::optional<Duration> close_after_idle;
  std::string priority;

  // Position of `stage` in `stages`, or -1.
  int StageIndex(const std::string& stage) const;
};

struct Action;

struct Sla {
  std::optional<Duration> acknowledge;
  std::optional<Duration> complete;
  std::vector<Action> on_breach;
};

struct TaskSpec {
  std::vector<std::string> to;
  TitleTemplate title;
  std::optional<Duration> due;
  std::string priority = "normal";
  std::shared_ptr<const Sla> sla;  // null: no SLA clocks
};

struct Action {
  enum class Kind { kTask, kEscalate, kSetStage, kFlag, kSet, kNotify, kClose, kRefer, kOpen, kLink };
  Kind kind = Kind::kTask;
  int index = 0;        // position in the rule's `then`, part of the task id
  std::string argument;  // stage, flag, partner, panel, close reason, case type (open), path (link)
  std::vector<std::string> path;  // kLink: the correlate_by path, below "event"
  std::vector<std::pair<std::string, std::string>> fields;  // kSet
  TaskSpec task;        // kTask
};

struct Rule {
  std::string id;
  std::string title;
  std::string file;  // where it was written, for audit and messages
  TypeFilter on;
  std::string case_type;  // empty: any case the event joins
  std::shared_ptr<const Expression> when;
  bool once_per_case = false;
  std::optional<Duration> cooldown;
  std::optional<TimeMs> effective_from;
  std::optional<TimeMs> effective_until;
  std::vector<Action> then;
};

// A mistake in the configuration, or (in RuleSet::warnings) something that
// loads but is likely not what was meant.
struct ConfigError {
  std::string file;  // relative to the config folder: "rules/asb.yaml"
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string message;

  std::string ToString() const;
};

struct RuleSet {
  std::string version;   // content hash of the files it was loaded from
  std::string directory;
  std::string timezone;
  std::vector<Partner> partners;
  std::vector<CaseType> case_types;
  Calendars calendars;
  std::vector<Rule> rules;
  std::vector<Panel> panels;
  // What loads but is likely a mistake; `rules check` prints them.
  std::vector<ConfigError> warnings;
  // Every path (below "event") some rule counts distinct values of.
  std::vector<Path> distinct_paths;
  // Every path (with its root, "event") some rule's count() or distinct()
  // with where: or same: reads of each counted event.
  std::vector<Path> window_paths;

  const Partner* FindPartner(std::string_view id) const;
  const CaseType* FindCaseType(std::string_view id) const;
  const Panel* FindPanel(std::string_view id) const;
  const Rule* FindRule(std::string_view id) const;
};

}  // namespace convene::rules

#include "policy/event_time_run.h"

#include "rules/json.h"

namespace convene::policy {

using engine::CaseStore;
using engine::EngineOptions;
using engine::Engine;
using engine::Task;

EventTimeRun::EventTimeRun(std::shared_ptr<const rules::RuleSet> rules, std::filesystem::path dir)
    : rules_(std::move(rules)), dir_(std::move(dir)) {
  for (const auto& p : rules_->partners) partner_by_topic_[p.topic] = p.id;
}

Result<std::unique_ptr<EventTimeRun>> EventTimeRun::Open(
    std::shared_ptr<const rules::RuleSet> rules, const std::filesystem::path& dir) {
  std::unique_ptr<EventTimeRun> run(new EventTimeRun(std::move(rules), dir));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  CaseStore::OpenOptions scratch;
  scratch.scratch = true;  // thrown away after the run
  auto store = CaseStore::Open(dir, scratch);
  if (!store.ok()) return store.status();
  run->store_ = std::move(*store);
  EngineOptions options;
  options.sync = false;   // a scratch store: nothing to make durable,
  options.audit = false;  // nobody to account to
  options.rule_fired = [r = run.get()](const std::string& rule, const std::string& case_id,
                                       const std::string& event_id) {
    r->firings_.push_back({rule, case_id, event_id});
  };
  options.advance_clock = [r = run.get()](TimeMs t) {
    if (t > r->clock_.Now()) r->clock_.Set(t);
  };
  // Nothing is published: tasks and dead letters are taken as they are made.
  options.deliver = [r = run.get()](const std::string& topic, const std::string&,
                                    const std::string& payload) { r->Take(topic, payload); };
  auto engine = Engine::Open(run->store_.get(), run->rules_, &run->clock_, options);
  if (!engine.ok()) return engine.status();
  run->engine_ = std::move(*engine);
  return run;
}

EventTimeRun::~EventTimeRun() {
  engine_.reset();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void EventTimeRun::MoveClockTo(TimeMs t) {
  if (t > clock_.Now()) clock_.Set(t);
  // In event time both clocks move together.
  engine_->AdvanceEventTime(clock_.Now());
  while (true) {
    auto fired = engine_->FireDueTimers();
    if (!fired.ok() && status_.ok()) status_ = fired.status();
    if (!fired.ok() || *fired == 0) break;
  }
}

Result<bool> EventTimeRun::Apply(const std::string& payload) {
  rapidjson::Document d;
  std::string id;
  if (json::Parse(&d, payload).ok() && d.IsObject()) {
    id = json::GetString(d, "id");
    if (auto t = ParseRfc3339(json::GetString(d, "occurred_at"))) {
      if (clock_.Now() == 0) clock_.Set(*t);
      MoveClockTo(*t);
    }
  }
  if (!status_.ok()) return status_;
  uint64_t accepted = engine_->totals().accepted;
  Status s = engine_->ProcessBatch({{engine_->events_topic(), 0, offset_++, id, payload}});
  if (!s.ok()) return s;
  if (!status_.ok()) return status_;
  return engine_->totals().accepted > accepted;
}

Status EventTimeRun::ApplyAll(const std::vector<std::string>& events,
                              const std::atomic<bool>* stop, std::atomic<size_t>* done) {
  constexpr size_t kBatch = 1000;
  std::vector<connectors::InputRecord> batch;
  batch.reserve(kBatch);
  for (size_t i = 0; i < events.size(); i += kBatch) {
    if (stop && stop->load()) return Status::Interrupted("replay interrupted");
    if (!status_.ok()) return status_;
    batch.clear();
    for (size_t j = i; j < events.size() && j < i + kBatch; ++j) {
      batch.push_back({engine_->events_topic(), 0, offset_++, "", events[j]});
    }
    if (Status s = engine_->ProcessBatch(batch); !s.ok()) return s;
    if (done) done->fetch_add(batch.size(), std::memory_order_relaxed);
  }
  return status_;
}

void EventTimeRun::Take(const std::string& topic, const std::string& payload) {
  if (topic == engine_->dead_letter_topic()) {
    ++dead_letters_;
    return;
  }
  auto p = partner_by_topic_.find(topic);
  if (p == partner_by_topic_.end()) return;  // case updates
  // A task message carries the fields of a stored task record.
  if (auto task = Task::FromRecord(payload); task.ok()) {
    tasks_.push_back({task->task_id, p->second, task->rule, task->kind, task->priority,
                      task->case_type, task->case_id,
                      task->due_at ? FormatRfc3339(*task->due_at) : std::string(), task->title,
                      task->trigger_event});
  }
}

}  // namespace convene::policy

#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "engine/engine_internal.h"
#include "rules/json.h"
#include "rules/text.h"

namespace convene::engine {
namespace {

constexpr std::string_view kOutboxSeqKey = "outbox_seq";
constexpr std::string_view kEventTimeKey = "event_time";
constexpr std::string_view kBrokerKey = "broker_cluster";
constexpr std::string_view kAuditedRulesKey = "audited_rules";
constexpr std::string_view kCaseSeqPrefix = "case_seq/";

// "24h", "90m", "30s": how --max-future was written, for the rejection reason.
std::string FormatSpan(TimeMs ms) {
  if (ms % kMsPerHour == 0) return std::to_string(ms / kMsPerHour) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  return std::to_string(ms / kMsPerSecond) + "s";
}


}  // namespace

Engine::Engine(CaseStore* store, std::shared_ptr<const rules::RuleSet> rules, const Clock* clock,
               EngineOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      events_topic_(options_.topic_prefix + "events"),
      rules_(std::move(rules)),
      tasks_(store),
      index_(store, options_.case_cache_size * 4),
      meetings_(store, options_.case_cache_size) {}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(CaseStore* store,
                                             std::shared_ptr<const rules::RuleSet> rules,
                                             const Clock* clock, EngineOptions options) {
  std::unique_ptr<Engine> engine(new Engine(store, std::move(rules), clock, std::move(options)));
  if (Status s = engine->Recover(); !s.ok()) return s;
  return engine;
}

Status Engine::Recover() {
  std::string bad_key;
  Status s = store_->Scan(Family::kOffsets, "", [&](std::string_view k, std::string_view v) {
    size_t sep = k.rfind(kSep);
    if (sep != std::string_view::npos) {
      int32_t partition = 0;
      std::string_view digits = k.substr(sep + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        bad_key = std::string(k);
        return false;
      }
      offsets_[{std::string(k.substr(0, sep)), partition}] = static_cast<int64_t>(DecodeU64(v));
    }
    return true;
  });
  if (!s.ok()) return s;
  if (!bad_key.empty()) return Status::Error("store: an offset key is damaged: " + bad_key);
  s = store_->Scan(Family::kMeta, "", [&](std::string_view k, std::string_view v) {
    if (k == kOutboxSeqKey) {
      outbox_seq_ = DecodeU64(v);
    } else if (k == kAuditedRulesKey) {
      audited_rules_ = std::string(v);
    } else if (k == kEventTimeKey) {
      event_time_ = static_cast<TimeMs>(DecodeU64(v));
    } else if (k.substr(0, kCaseSeqPrefix.size()) == kCaseSeqPrefix) {
      case_seq_[std::string(k.substr(kCaseSeqPrefix.size()))] = DecodeU64(v);
    }
    return true;
  });
  if (!s.ok()) return s;
  s = timers_.Recover(*store_);
  if (!s.ok()) return s;
  if (!options_.audit) audit_.Disable();
  if (Status a = audit_.Recover(*store_); !a.ok()) return a;
  committed_offsets_ = connectors::OffsetMap(offsets_.begin(), offsets_.end());
  spdlog::debug("store: {} partitions positioned, outbox at {}", offsets_.size(), outbox_seq_);
  return Status::Ok();
}

Result<size_t> Engine::AdoptBroker(const std::string& cluster_id, bool fresh) {
  if (!store_error_.ok()) return store_error_;
  auto stored = store_->Get(Family::kMeta, kBrokerKey);
  if (!stored.ok()) return stored.status();
  const std::string previous = stored->value_or("");
  if (previous == cluster_id && !fresh) return size_t{0};
  std::shared_ptr<const rules::RuleSet> rules = this->rules();
  BeginBatch(0, *rules);
  size_t republished = 0;
  bool known_before = stored->has_value() || !offsets_.empty();
  if (known_before) {
    for (const auto& [tp, offset] : offsets_) {
      batch_->write.Delete(store_->handle(Family::kOffsets), OffsetKey(tp.first, tp.second));
    }
    if (!offsets_.empty()) {
      spdlog::warn("intake: the broker (cluster {}) is not the one the stored offsets came from "
                   "({}): reading {} from its beginning; events already applied are skipped",
                   cluster_id, previous.empty() ? "unrecorded" : previous, events_topic_);
    }
    offsets_.clear();
    Status s = tasks_.ForEachOpen([&](const Task& t) {
      const rules::Partner* partner = rules->FindPartner(t.partner);
      if (!partner) return true;  // a partner no longer configured has no queue
      Outbox(partner->topic, t.task_id, t.ToMessage());
      ++republished;
      return true;
    });
    if (!s.ok()) StoreFailed(s, "the task book");
    if (republished > 0) {
      audit_.Append(*store_, &batch_->write, "republished", clock_->Now(), [&](json::Writer& w) {
        json::Field(w, "cluster", cluster_id);
        json::Field(w, "previous_cluster", previous);
        json::Key(w, "tasks");
        w.Uint64(republished);
      });
      spdlog::warn("relay: {} open tasks published again: their queues were on the old broker",
                   republished);
    }
  }
  batch_->write.Put(store_->handle(Family::kMeta), kBrokerKey, cluster_id);
  if (Status s = CommitBatch(*rules); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(progress_mu_);
  committed_offsets_ = connectors::OffsetMap(offsets_.begin(), offsets_.end());
  return republished;
}

std::optional<int64_t> Engine::StoredOffset(const std::string& topic, int32_t partition) const {
  std::lock_guard<std::mutex> lock(progress_mu_);
  auto it = committed_offsets_.find({topic, partition});
  if (it == committed_offsets_.end()) return std::nullopt;
  return it->second;
}

connectors::OffsetMap Engine::Offsets() const {
  std::lock_guard<std::mutex> lock(progress_mu_);
  return committed_offsets_;
}

EngineTotals Engine::totals() const {
  std::lock_guard<std::mutex> lock(progress_mu_);
  return committed_totals_;
}

std::shared_ptr<const rules::RuleSet> Engine::rules() const {
  std::lock_guard<std::mutex> lock(rules_mu_);
  return rules_;
}

void Engine::SetRules(std::shared_ptr<const rules::RuleSet> rules) {
  std::lock_guard<std::mutex> lock(rules_mu_);
  rules_ = std::move(rules);
}

Status Engine::ProcessBatch(const std::vector<connectors::InputRecord>& records) {
  if (!store_error_.ok()) return store_error_;
  if (records.empty()) return Status::Ok();
  // One rule set for the whole batch: a reload takes effect at the next one.
  std::shared_ptr<const rules::RuleSet> rules = this->rules();
  BeginBatch(records.size(), *rules);
  for (const auto& r : records) {
    ProcessRecord(r, *rules);
    if (!store_error_.ok()) break;
  }
  if (Status s = CommitBatch(*rules); !s.ok()) return s;
  ++totals_.batches;
  PublishProgress();
  return Status::Ok();
}

void Engine::PublishProgress() {
  totals_.outbox_seq = outbox_seq_;
  std::lock_guard<std::mutex> lock(progress_mu_);
  committed_offsets_ = connectors::OffsetMap(offsets_.begin(), offsets_.end());
  committed_totals_ = totals_;
}

void Engine::ProcessRecord(const connectors::InputRecord& record, const rules::RuleSet& rules) {
  ++totals_.records;
  auto [it, first] = offsets_.try_emplace({record.topic, record.partition}, 0);
  if (record.offset > it->second) {
    uint64_t gap = static_cast<uint64_t>(record.offset - it->second);
    totals_.lost += gap;
    spdlog::error("intake: {}[{}] offsets {}..{} ({} records) were gone from the broker before "
                  "convene read them: check the topic's retention",
                  record.topic, record.partition, it->second, record.offset - 1, gap);
  }
  it->second = record.offset + 1;
  auto parsed = rules::ParseEvent(record.payload, [&rules](std::string_view source) {
    return rules.FindPartner(source) != nullptr;
  });
  if (!parsed.ok()) {
    DeadLetter(record, parsed.status().message(), rules);
    return;
  }
  std::shared_ptr<const rules::Event> event = std::move(*parsed);
  if (options_.advance_clock) {
    options_.advance_clock(event->occurred_at());
    event_time_ = std::max(event_time_, clock_->Now());
    FireAllDueInBatch(rules);
  }
  if (TimeMs limit = clock_->Now() + options_.max_future_ms; event->occurred_at() > limit) {
    DeadLetter(record,
               "field 'occurred_at' (" + FormatRfc3339(event->occurred_at()) +
                   ") is more than " + FormatSpan(options_.max_future_ms) +
                   " ahead of the engine's clock (" + FormatRfc3339(clock_->Now()) +
                   "): check the sending system's clock, or --max-future",
               rules);
    return;
  }
  if (AlreadyApplied(event->id())) {
    ++totals_.duplicates;
    return;
  }
  // Event time only moves forward: an event that arrives late does not take it
  // back. What fell due by then fires before the event is applied, whatever
  // the batching, so that the outcome does not depend on it.
  event_time_ = std::max(event_time_, event->occurred_at());
  FireEventTimeTimers(event_time_, rules);
  auto joined = Correlate(*event, rules);
  if (!joined.ok()) {
    DeadLetter(record, joined.status().message(), rules);
    return;
  }
  ++totals_.accepted;
  batch_->events[event->id()] = event;
  batch_->write.Put(store_->handle(Family::kEvents), event->id(), event->raw());
  UpdateTaskFromEvent(*event, rules);
  if (event->type() == "panel.held" || event->type() == "panel.cancelled") ApplyHeld(*event, rules);
  if (event->type() == "case.viewed") AuditView(*event);
  for (CaseRecord* c : *joined) JoinEvent(c, *event, rules);
}

void Engine::AuditView(const rules::Event& event) {
  const auto& data = event.data();
  audit_.Append(*store_, &batch_->write, "viewed", clock_->Now(), [&](json::Writer& w) {
    json::Field(w, "case_id", json::GetString(data, "case_id"));
    json::Field(w, "partner", event.source());
    json::Field(w, "by", json::GetString(data, "by"));
    json::Field(w, "viewed_at", FormatRfc3339(event.occurred_at()));
    if (std::string_view on = json::GetString(data, "on"); !on.empty()) json::Field(w, "on", on);
    json::Field(w, "event", event.id());
    // What was shown: the timeline's events, and the paths withheld.
    for (const char* list : {"shown", "withheld"}) {
      json::Key(w, list);
      w.StartArray();
      auto m = data.FindMember(list);
      if (m != data.MemberEnd() && m->value.IsArray()) {
        for (const auto& v : m->value.GetArray()) {
          if (v.IsString()) w.String(v.GetString(), v.GetStringLength());
        }
      }
      w.EndArray();
    }
  });
}

TimelineEntry Engine::EntryFor(const rules::Event& event, const rules::RuleSet& rules) const {
  TimelineEntry entry{event.id(), event.type(), event.occurred_at(), {}};
  for (const auto& path : rules.distinct_paths) {
    rules::Value v = event.Resolve(path);
    std::optional<std::string> fact;
    if (v.is_list()) {
      // Each value of a list counts (a joint complaint names several reporters).
      fact.emplace();
      for (const auto& item : v.as_list()) {
        if (!fact->empty()) fact->push_back(kSep);
        fact->append(item.ToText());
      }
      if (fact->empty()) fact.reset();
    } else if (!v.is_null()) {
      fact = v.ToText();
    }
    entry.facts.emplace_back(JoinPath(path), std::move(fact));
  }
  for (const auto& path : rules.window_paths) {
    rules::Value v = event.Resolve(std::vector<std::string>(path.begin() + 1, path.end()));
    std::string key;
    WindowFactKey(path, &key);
    entry.facts.emplace_back(std::move(key), v.is_null() ? std::nullopt
                                                         : std::optional<std::string>(EncodeFact(v)));
  }
  return entry;
}

// The event joins `c`: on its timeline, then the case's rules run for it.
void Engine::JoinEvent(CaseRecord* c, const rules::Event& event, const rules::RuleSet& rules) {
  // Once per event and case, however it came (correlation, or an open: action).
  if (!c->timeline.empty() && c->timeline.back().event_id == event.id()) return;
  TimelineEntry entry = EntryFor(event, rules);
  {
    c->Append(entry);
    c->last_event_at = std::max(c->last_event_at, event.occurred_at());
    for (const auto& s : event.subjects()) {
      if (std::find(c->view.subjects.begin(), c->view.subjects.end(), s.id) ==
          c->view.subjects.end()) {
        c->view.subjects.push_back(s.id);
      }
    }
    c->pending.last_event = event.id();
    Changed(c, "event " + event.id() + " (" + event.type() + ")");
    if (event.type() == "panel.outcome") ApplyOutcome(c, event, rules);
    ApplyRules(c, event, rules);
    ArmIdleTimer(c, rules);
    if (event.type() == "case.closed" && c->view.status == "open") {
      std::string reason(json::GetString(event.data(), "reason", "closed"));
      CloseCase(c, reason, event.id(), "", rules);
    }
  }
}

bool Engine::AlreadyApplied(const std::string& event_id) {
  if (batch_->events.count(event_id)) return true;
  auto stored = store_->Get(Family::kEvents, event_id);
  if (!stored.ok()) {
    StoreFailed(stored.status(), "event " + event_id);
    return true;  // the batch is abandoned; apply nothing on a guess
  }
  return stored->has_value();
}

void Engine::BeginBatch(size_t size, const rules::RuleSet& rules) {
  batch_ = std::make_unique<BatchState>(size);
  tasks_.BeginBatch();
  if (rules.version != audited_rules_) {
    // The first batch a rule set decides is where its change took effect.
    audit_.Append(*store_, &batch_->write, "rules", clock_->Now(), [&](json::Writer& w) {
      json::Field(w, "from", audited_rules_);
      json::Field(w, "to", rules.version);
      json::Field(w, "directory", rules.directory);
    });
    audited_rules_ = rules.version;
    batch_->write.Put(store_->handle(Family::kMeta), kAuditedRulesKey, audited_rules_);
  }
}

Status Engine::CommitBatch(const rules::RuleSet& rules) {
  if (store_error_.ok()) FinishBatch(rules);
  // A read that failed leaves the batch built on a wrong answer: none of it
  // is written, and memory no longer matches the store, so this engine stops.
  Status s = store_error_.ok() ? store_->Write(&batch_->write, options_.sync) : store_error_;
  std::vector<OutboxMessage> delivered = std::move(batch_->delivered);
  batch_.reset();
  if (!s.ok()) {
    store_error_ = s;
    return s;
  }
  for (const auto& m : delivered) options_.deliver(m.topic, m.key, m.payload);
  // Everything is written: cases held longest can go, down to nine tenths.
  if (cases_.size() > options_.case_cache_size) {
    size_t keep = options_.case_cache_size / 10 * 9;
    while (cases_.size() > keep && !case_order_.empty()) {
      cases_.erase(case_order_.front());
      case_order_.pop_front();
    }
  }
  index_.Trim();
  meetings_.Trim();
  timers_.Committed();
  return s;
}

void Engine::StoreFailed(const Status& s, const std::string& what) {
  if (!store_error_.ok()) return;
  store_error_ = Status::Error("reading " + what + ": " + s.message());
  spdlog::critical("store: {}; nothing of this batch is applied", store_error_.message());
}

void Engine::DeadLetter(const connectors::InputRecord& record, const std::string& reason,
                        const rules::RuleSet& rules) {
  ++totals_.rejected;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Field(w, "reason", reason);
  json::Field(w, "topic", record.topic);
  json::Key(w, "partition");
  w.Int(record.partition);
  json::Key(w, "offset");
  w.Int64(record.offset);
  json::Field(w, "key", record.key);
  json::Original(w, record.payload);
  json::Field(w, "rejected_at", FormatRfc3339(clock_->Now()));
  json::Field(w, "rules_version", rules.version);
  w.EndObject();
  spdlog::warn("rejected {}[{}]@{}: {}", record.topic, record.partition, record.offset, reason);
  Outbox(dead_letter_topic(),
         record.topic + "/" + std::to_string(record.partition) + "/" + std::to_string(record.offset),
         std::string(buf.GetString(), buf.GetSize()));
}

void Engine::Outbox(const std::string& topic, const std::string& key, std::string payload) {
  OutboxMessage m{topic, key, std::move(payload)};
  if (options_.deliver) {
    batch_->delivered.push_back(std::move(m));
    return;
  }
  batch_->write.Put(store_->handle(Family::kOutbox), EncodeU64(++outbox_seq_), m.Encode());
}

std::shared_ptr<const rules::Event> Engine::LoadEvent(const std::string& id) {
  if (batch_) {
    if (auto it = batch_->events.find(id); it != batch_->events.end()) return it->second;
  }
  if (auto it = event_cache_.find(id); it != event_cache_.end()) return it->second;
  auto stored = store_->Get(Family::kEvents, id);
  if (!stored.ok()) {
    StoreFailed(stored.status(), "event " + id);
    return nullptr;
  }
  if (!stored->has_value()) return nullptr;
  auto parsed = rules::ParseEvent(**stored, [](std::string_view) { return true; });
  if (!parsed.ok()) {
    // It was valid when it was stored: the stored bytes are damaged.
    StoreFailed(Status::Error("corrupt record: " + parsed.status().message()), "event " + id);
    return nullptr;
  }
  if (event_cache_order_.size() >= options_.event_cache_size) {
    event_cache_.erase(event_cache_order_.front());
    event_cache_order_.pop_front();
  }
  event_cache_order_.push_back(id);
  event_cache_[id] = *parsed;
  return *parsed;
}

void Engine::FinishBatch(const rules::RuleSet& rules) {
  auto& w = batch_->write;
  TimeMs now = clock_->Now();
  for (CaseRecord* c : batch_->dirty_cases) {
    const std::string& id = c->view.id;
    c->WriteRows(*store_, &w);
    w.Put(store_->handle(Family::kCases), id, c->Serialize());
    rapidjson::StringBuffer buf;
    json::Writer jw(buf);
    jw.StartObject();
    json::Key(jw, "case");
    c->view.WriteJson(jw);
    json::Field(jw, "event_id", c->pending.last_event);
    json::Key(jw, "changes");
    jw.StartArray();
    for (const auto& change : c->pending.changes) json::String(jw, change);
    jw.EndArray();
    json::Field(jw, "rules_version", rules.version);
    json::Field(jw, "at", FormatRfc3339(now));
    jw.EndObject();
    Outbox(case_updates_topic(), id, std::string(buf.GetString(), buf.GetSize()));
    c->pending = CaseRecord::Pending();
  }
  for (const auto& type : batch_->touched_seq) {
    w.Put(store_->handle(Family::kMeta), std::string(kCaseSeqPrefix) + type,
          EncodeU64(case_seq_[type]));
  }
  w.Put(store_->handle(Family::kMeta), kOutboxSeqKey, EncodeU64(outbox_seq_));
  w.Put(store_->handle(Family::kMeta), kEventTimeKey, EncodeU64(static_cast<uint64_t>(event_time_)));
  for (const auto& [tp, offset] : offsets_) {
    w.Put(store_->handle(Family::kOffsets), OffsetKey(tp.first, tp.second),
          EncodeU64(static_cast<uint64_t>(offset)));
  }
}

Result<TimeMs> ReadEventTime(const CaseStore& store) {
  auto v = store.Get(Family::kMeta, kEventTimeKey);
  if (!v.ok()) return v.status();
  return v->has_value() ? static_cast<TimeMs>(DecodeU64(**v)) : TimeMs{0};
}

}  // namespace convene::engine

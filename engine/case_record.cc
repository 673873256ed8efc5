#include "engine/case_record.h"

#include <algorithm>

#include "engine/records.pb.h"
#include "engine/store_keys.h"
#include "rules/json.h"

namespace convene::engine {

namespace {

// A binary row: this byte, then the message (records.proto). Rows written
// before are JSON, and start with '[' or '{'.
constexpr char kBinaryRow = '\x01';

template <typename Message>
std::string Encode(const Message& m) {
  std::string out(1, kBinaryRow);
  m.AppendToString(&out);
  return out;
}

template <typename Message>
bool Decode(std::string_view row, Message* m) {
  return m->ParseFromArray(row.data() + 1, static_cast<int>(row.size() - 1));
}

std::string TimelineRow(const TimelineEntry& e) {
  pb::TimelineRow row;
  row.set_event_id(e.event_id);
  row.set_type(e.type);
  row.set_occurred_at(e.occurred_at);
  for (const auto& [path, value] : e.facts) {
    pb::Fact* f = row.add_facts();
    f->set_path(path);
    if (value) f->set_value(*value);
  }
  return Encode(row);
}

std::optional<TimelineEntry> ParseTimelineEntry(const rapidjson::Value& e) {
  if (!e.IsArray() || e.Size() < 3 || !e[0].IsString() || !e[1].IsString() || !e[2].IsInt64()) {
    return std::nullopt;
  }
  TimelineEntry entry{e[0].GetString(), e[1].GetString(), e[2].GetInt64(), {}};
  if (e.Size() > 3 && e[3].IsObject()) {
    for (const auto& f : e[3].GetObject()) {
      entry.facts.emplace_back(f.name.GetString(),
                               f.value.IsString() ? std::optional<std::string>(f.value.GetString())
                                                  : std::nullopt);
    }
  }
  return entry;
}

std::string HistoryRow(const HistoryEntry& h) {
  pb::HistoryRow row;
  row.set_at(h.at);
  row.set_event_id(h.event_id);
  row.set_rule(h.rule);
  row.set_action(h.action);
  row.set_detail(h.detail);
  row.set_rules_version(h.rules_version);
  return Encode(row);
}

HistoryEntry ParseHistoryEntry(const rapidjson::Value& h) {
  HistoryEntry e;
  e.at = ParseRfc3339(json::GetString(h, "at")).value_or(0);
  e.event_id = json::GetString(h, "event");
  e.rule = json::GetString(h, "rule");
  e.action = json::GetString(h, "action");
  e.detail = json::GetString(h, "detail");
  e.rules_version = json::GetString(h, "rules_version");
  return e;
}

// A stored timeline row, binary or JSON; none when it is damaged.
std::optional<TimelineEntry> ReadTimelineRow(std::string_view v) {
  if (!v.empty() && v[0] == kBinaryRow) {
    pb::TimelineRow row;
    if (!Decode(v, &row) || row.event_id().empty() || row.type().empty()) return std::nullopt;
    TimelineEntry e{row.event_id(), row.type(), row.occurred_at(), {}};
    e.facts.reserve(static_cast<size_t>(row.facts_size()));
    for (const pb::Fact& f : row.facts()) {
      e.facts.emplace_back(f.path(), f.has_value() ? std::optional<std::string>(f.value())
                                                   : std::nullopt);
    }
    return e;
  }
  rapidjson::Document d;
  d.Parse(v.data(), v.size());
  if (d.HasParseError()) return std::nullopt;
  return ParseTimelineEntry(d);
}

// A stored history row, binary or JSON; none when it is damaged.
std::optional<HistoryEntry> ReadHistoryRow(std::string_view v) {
  if (!v.empty() && v[0] == kBinaryRow) {
    pb::HistoryRow row;
    if (!Decode(v, &row) || row.action().empty()) return std::nullopt;
    return HistoryEntry{row.at(), row.event_id(), row.rule(), row.action(), row.detail(),
                        row.rules_version()};
  }
  rapidjson::Document d;
  d.Parse(v.data(), v.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  return ParseHistoryEntry(d);
}

}  // namespace

void CaseRecord::WriteRows(const CaseStore& store, rocksdb::WriteBatch* batch) {
  for (; timeline_written_ < timeline.size(); ++timeline_written_) {
    batch->Put(store.handle(Family::kTimeline), CaseRowKey(view.id, timeline_written_),
               TimelineRow(timeline[timeline_written_]));
  }
  for (const auto& h : history) {
    batch->Put(store.handle(Family::kHistory), CaseRowKey(view.id, history_written_++),
               HistoryRow(h));
  }
  history.clear();
}

void CaseRecord::Append(TimelineEntry entry) {
  latest_.push_back(latest_.empty() ? entry.occurred_at : std::max(latest_.back(), entry.occurred_at));
  timeline.push_back(std::move(entry));
}

std::string CaseRecord::Serialize() const {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Key(w, "case");
  view.WriteJson(w);
  json::Key(w, "subjects");
  w.StartArray();
  for (const auto& s : view.subjects) json::String(w, s);
  w.EndArray();
  json::Key(w, "keys");
  w.StartArray();
  for (const auto& k : keys) json::String(w, k);
  w.EndArray();
  json::Key(w, "last_event_at");
  w.Int64(last_event_at);
  json::Key(w, "idle_due");
  w.Int64(idle_due);
  json::Key(w, "opened_at_ms");
  w.Int64(view.opened_at);
  if (closed_at != 0) {
    json::Key(w, "closed_at_ms");
    w.Int64(closed_at);
  }
  json::Field(w, "opening_event", opening_event);
  json::Key(w, "timeline_rows");
  w.Uint64(timeline_written_);
  json::Key(w, "history_rows");
  w.Uint64(history_written_);
  json::Key(w, "fired");
  w.StartObject();
  for (const auto& [rule, t] : fired) {
    json::Key(w, rule);
    w.Int64(t);
  }
  w.EndObject();
  json::Key(w, "referrals");
  w.StartArray();
  for (const auto& r : referrals) {
    w.StartObject();
    json::Field(w, "panel", r.panel);
    json::Key(w, "meeting");
    w.Int64(r.meeting);
    json::Key(w, "first_meeting");
    w.Int64(r.first_meeting);
    json::Key(w, "rolled");
    w.Int(r.rolled);
    json::Key(w, "referred_at");
    w.Int64(r.referred_at);
    json::Key(w, "repeat");
    w.Bool(r.repeat);
    json::Key(w, "heard");
    w.Bool(r.heard);
    json::Key(w, "outcome");
    w.Bool(r.outcome);
    json::Field(w, "rule", r.rule);
    json::Key(w, "action");
    w.Int(r.action);
    json::Field(w, "event", r.event_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::optional<std::string>> TimelineEntry::Fact(std::string_view path) const {
  for (const auto& [p, v] : facts) {
    if (p == path) return v;
  }
  return std::nullopt;
}

Result<CaseRecord> CaseRecord::Parse(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("case")) {
    return Status::Corruption("stored case record is not readable");
  }
  CaseRecord r;
  const auto& c = d["case"];
  r.view.id = json::GetString(c, "id");
  r.view.type = json::GetString(c, "type");
  r.view.stage = json::GetString(c, "stage");
  r.view.status = json::GetString(c, "status", "open");
  r.view.opened_at = json::GetInt(d, "opened_at_ms");
  for (const auto& m : c.GetObject()) {
    std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k == "flags" && m.value.IsArray()) {
      for (const auto& f : m.value.GetArray()) r.view.flags.emplace_back(f.GetString());
    } else if (m.value.IsString() && k != "id" && k != "type" && k != "stage" &&
               k != "status" && k != "opened_at") {
      r.view.fields[std::string(k)] = m.value.GetString();
    }
  }
  for (const auto& s : d["subjects"].GetArray()) r.view.subjects.emplace_back(s.GetString());
  for (const auto& k : d["keys"].GetArray()) r.keys.emplace_back(k.GetString());
  r.last_event_at = json::GetInt(d, "last_event_at");
  r.idle_due = json::GetInt(d, "idle_due");
  r.closed_at = json::GetInt(d, "closed_at_ms", 0);
  r.opening_event = json::GetString(d, "opening_event");
  r.timeline_written_ = static_cast<size_t>(json::GetInt(d, "timeline_rows", 0));
  r.history_written_ = static_cast<uint64_t>(json::GetInt(d, "history_rows", 0));
  // Written before the rows: the timeline and history are in the record, and
  // go to rows at its next write.
  if (d.HasMember("timeline") && d["timeline"].IsArray()) {
    for (const auto& e : d["timeline"].GetArray()) {
      if (auto entry = ParseTimelineEntry(e)) r.Append(std::move(*entry));
    }
    if (r.opening_event.empty() && !r.timeline.empty()) r.opening_event = r.timeline[0].event_id;
  }
  for (const auto& m : d["fired"].GetObject()) r.fired[m.name.GetString()] = m.value.GetInt64();
  if (d.HasMember("referrals") && d["referrals"].IsArray()) {
    for (const auto& x : d["referrals"].GetArray()) {
      Referral ref;
      ref.panel = json::GetString(x, "panel");
      ref.meeting = json::GetInt(x, "meeting");
      ref.first_meeting = json::GetInt(x, "first_meeting", ref.meeting);
      ref.rolled = static_cast<int>(json::GetInt(x, "rolled", 0));
      ref.referred_at = json::GetInt(x, "referred_at");
      ref.repeat = x.HasMember("repeat") && x["repeat"].IsBool() && x["repeat"].GetBool();
      ref.heard = x.HasMember("heard") && x["heard"].IsBool() && x["heard"].GetBool();
      // Before "outcome" was kept, "heard" meant an outcome was recorded.
      ref.outcome = x.HasMember("outcome") ? x["outcome"].IsBool() && x["outcome"].GetBool()
                                           : ref.heard;
      ref.rule = json::GetString(x, "rule");
      ref.action = static_cast<int>(json::GetInt(x, "action"));
      ref.event_id = json::GetString(x, "event");
      r.referrals.push_back(std::move(ref));
    }
  }
  if (d.HasMember("history") && d["history"].IsArray()) {
    for (const auto& h : d["history"].GetArray()) r.history.push_back(ParseHistoryEntry(h));
  }
  return r;
}

Result<std::optional<CaseRecord>> ReadCase(const CaseStore& store, std::string_view id,
                                           bool with_history) {
  auto stored = store.Get(Family::kCases, id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<CaseRecord>();
  auto parsed = CaseRecord::Parse(**stored);
  if (!parsed.ok()) return parsed.status();
  CaseRecord& c = *parsed;
  std::string prefix = CaseRowPrefix(id);
  Status bad;
  auto read = [&](Family family, size_t expected, auto&& take) -> Status {
    size_t n = 0;
    Status s = store.Scan(family, prefix, [&](std::string_view, std::string_view v) {
      if (!take(v)) {
        bad = Status::Corruption("case " + std::string(id) + ": a damaged row");
        return false;
      }
      ++n;
      return true;
    });
    if (!s.ok()) return s;
    if (!bad.ok()) return bad;
    if (n != expected) {
      return Status::Corruption("case " + std::string(id) + ": " + std::to_string(n) + " of its " +
                           std::to_string(expected) + " rows");
    }
    return Status::Ok();
  };
  // Rows come before what the record itself still holds (a record from before
  // the rows holds them all, and has none).
  std::vector<TimelineEntry> held = std::move(c.timeline);
  c.timeline.clear();
  c.latest_.clear();
  Status s = read(Family::kTimeline, c.timeline_written_, [&](std::string_view v) {
    auto entry = ReadTimelineRow(v);
    if (entry) c.Append(std::move(*entry));
    return entry.has_value();
  });
  if (!s.ok()) return s;
  for (auto& e : held) c.Append(std::move(e));
  if (c.opening_event.empty() && !c.timeline.empty()) c.opening_event = c.timeline[0].event_id;
  if (with_history) {
    std::vector<HistoryEntry> unwritten = std::move(c.history);
    c.history.clear();
    s = read(Family::kHistory, c.history_written_, [&](std::string_view v) {
      auto entry = ReadHistoryRow(v);
      if (entry) c.history.push_back(std::move(*entry));
      return entry.has_value();
    });
    if (!s.ok()) return s;
    for (auto& h : unwritten) c.history.push_back(std::move(h));
  }
  // Without: `history` is what is not yet written (a record from before the
  // rows keeps its whole history there until its next write).
  return std::optional<CaseRecord>(std::move(c));
}

}  // namespace convene::engine

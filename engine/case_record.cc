#include "engine/case_record.h"

#include <algorithm>

#include "rules/json.h"

namespace convene::engine {

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
  json::Key(w, "timeline");
  w.StartArray();
  for (const auto& e : timeline) {
    w.StartArray();
    json::String(w, e.event_id);
    json::String(w, e.type);
    w.Int64(e.occurred_at);
    if (!e.facts.empty()) {
      w.StartObject();
      for (const auto& [path, value] : e.facts) {
        json::Key(w, path);
        if (value) {
          json::String(w, *value);
        } else {
          w.Null();
        }
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndArray();
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
  json::Key(w, "history");
  w.StartArray();
  for (const auto& h : history) {
    w.StartObject();
    json::Field(w, "at", FormatRfc3339(h.at));
    json::Field(w, "event", h.event_id);
    if (!h.rule.empty()) json::Field(w, "rule", h.rule);
    json::Field(w, "action", h.action);
    json::Field(w, "detail", h.detail);
    json::Field(w, "rules_version", h.rules_version);
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
    return Status::Error("stored case record is not readable");
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
  for (const auto& e : d["timeline"].GetArray()) {
    TimelineEntry entry{e[0].GetString(), e[1].GetString(), e[2].GetInt64(), {}};
    if (e.Size() > 3 && e[3].IsObject()) {
      for (const auto& f : e[3].GetObject()) {
        entry.facts.emplace_back(f.name.GetString(),
                                 f.value.IsString() ? std::optional<std::string>(f.value.GetString())
                                                    : std::nullopt);
      }
    }
    r.Append(std::move(entry));
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
  for (const auto& h : d["history"].GetArray()) {
    HistoryEntry e;
    e.at = ParseRfc3339(json::GetString(h, "at")).value_or(0);
    e.event_id = json::GetString(h, "event");
    e.rule = json::GetString(h, "rule");
    e.action = json::GetString(h, "action");
    e.detail = json::GetString(h, "detail");
    e.rules_version = json::GetString(h, "rules_version");
    r.history.push_back(std::move(e));
  }
  return r;
}

}  // namespace convene::engine

#include "engine/task.h"

#include <cstring>

#include "rules/json.h"
#include "rules/title_template.h"

namespace convene::engine {
namespace {

void WriteFields(json::Writer& w, const Task& t) {
  json::Field(w, "task_id", t.task_id);
  json::Field(w, "case_id", t.case_id);
  json::Field(w, "case_type", t.case_type);
  json::Field(w, "partner", t.partner);
  json::Field(w, "kind", t.kind);
  json::Field(w, "rule", t.rule);
  json::Field(w, "rules_version", t.rules_version);
  json::Field(w, "title", t.title);
  json::Field(w, "priority", t.priority);
  json::Key(w, "due_at");
  if (t.due_at) {
    json::String(w, FormatRfc3339(*t.due_at));
  } else {
    w.Null();
  }
  json::Field(w, "created_at", FormatRfc3339(t.created_at));
  json::Field(w, "trigger_event", t.trigger_event);
}

}  // namespace

std::string Task::ToMessage() const {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteFields(w, *this);
  json::Key(w, "context");
  w.RawValue(context_json.data(), context_json.size(), rapidjson::kObjectType);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Task::ToRecord() const {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteFields(w, *this);
  json::Key(w, "context");
  w.RawValue(context_json.data(), context_json.size(), rapidjson::kObjectType);
  json::Field(w, "status", status);
  if (!claimed_by.empty()) json::Field(w, "claimed_by", claimed_by);
  for (const auto& [name, t] : {std::pair{"event_at", event_at},
                                std::pair{"acknowledged_at", acknowledged_at},
                                std::pair{"finished_at", finished_at}}) {
    if (t == 0) continue;
    json::Key(w, name);
    w.Int64(t);
  }
  json::Key(w, "withheld");
  w.StartArray();
  for (const auto& p : withheld) json::String(w, p);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<Task> Task::FromRecord(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return Status::Error("stored task is not readable");
  Task t;
  t.task_id = json::GetString(d, "task_id");
  t.case_id = json::GetString(d, "case_id");
  t.case_type = json::GetString(d, "case_type");
  t.partner = json::GetString(d, "partner");
  t.kind = json::GetString(d, "kind");
  t.rule = json::GetString(d, "rule");
  t.rules_version = json::GetString(d, "rules_version");
  t.title = json::GetString(d, "title");
  t.priority = json::GetString(d, "priority");
  if (auto due = ParseRfc3339(json::GetString(d, "due_at"))) t.due_at = *due;
  t.created_at = ParseRfc3339(json::GetString(d, "created_at")).value_or(0);
  t.trigger_event = json::GetString(d, "trigger_event");
  t.status = json::GetString(d, "status", "open");
  t.claimed_by = json::GetString(d, "claimed_by");
  t.event_at = json::GetInt(d, "event_at", 0);
  t.acknowledged_at = json::GetInt(d, "acknowledged_at", 0);
  t.finished_at = json::GetInt(d, "finished_at", 0);
  if (d.HasMember("context") && d["context"].IsObject()) t.context_json = json::Serialize(d["context"]);
  if (d.HasMember("withheld") && d["withheld"].IsArray()) {
    for (const auto& p : d["withheld"].GetArray()) t.withheld.emplace_back(p.GetString());
  }
  return t;
}

std::string MakeTaskId(std::string_view case_id, std::string_view rule, int action_index,
                       std::string_view event_id, std::string_view partner) {
  std::string material;
  material.reserve(case_id.size() + rule.size() + event_id.size() + partner.size() + 16);
  // Separators that cannot appear in ids keep ("a","bc") apart from ("ab","c").
  material.append(case_id).push_back('\x1f');
  material.append(rule).push_back('\x1f');
  material.append(std::to_string(action_index)).push_back('\x1f');
  material.append(event_id).push_back('\x1f');
  material.append(partner);
  return "t-" + rules::Hex64(rules::Fnv1a64(material));
}

std::string OutboxMessage::Encode() const {
  std::string out;
  auto put = [&out](std::string_view s) {
    uint32_t n = static_cast<uint32_t>(s.size());
    char len[4];
    std::memcpy(len, &n, 4);
    out.append(len, 4);
    out.append(s);
  };
  out.reserve(topic.size() + key.size() + payload.size() + 8);
  put(topic);
  put(key);
  out.append(payload);
  return out;
}

bool OutboxMessage::Decode(std::string_view data, OutboxMessage* out) {
  auto take = [&data](std::string* s) {
    if (data.size() < 4) return false;
    uint32_t n;
    std::memcpy(&n, data.data(), 4);
    if (data.size() < 4 + static_cast<size_t>(n)) return false;
    s->assign(data.substr(4, n));
    data.remove_prefix(4 + n);
    return true;
  };
  if (!take(&out->topic) || !take(&out->key)) return false;
  out->payload.assign(data);
  return true;
}

}  // namespace convene::engine

#include "rules/case_view.h"

namespace convene::rules {
namespace {

Value StringList(const std::vector<std::string>& items) {
  Value::List list;
  list.reserve(items.size());
  for (const auto& s : items) list.emplace_back(s);
  return Value(std::move(list));
}

}  // namespace

Value CaseView::Resolve(const std::vector<std::string>& path) const {
  if (path.size() != 1) return Value();
  const std::string& f = path[0];
  if (f == "id") return Value(id);
  if (f == "type") return Value(type);
  if (f == "stage") return Value(stage);
  if (f == "status") return Value(status);
  if (f == "opened_at") return Value(FormatRfc3339(opened_at));
  if (f == "flags") return StringList(flags);
  if (f == "subjects") return StringList(subjects);
  auto it = fields.find(f);
  return it == fields.end() ? Value() : Value(it->second);
}

void CaseView::WriteJson(json::Writer& w) const {
  w.StartObject();
  json::Field(w, "id", id);
  json::Field(w, "type", type);
  json::Field(w, "stage", stage);
  json::Field(w, "status", status);
  json::Field(w, "opened_at", FormatRfc3339(opened_at));
  json::Key(w, "flags");
  w.StartArray();
  for (const auto& f : flags) json::String(w, f);
  w.EndArray();
  for (const auto& [k, v] : fields) json::Field(w, k, v);
  w.EndObject();
}

rapidjson::Value CaseView::ToJsonValue(rapidjson::Document::AllocatorType& a) const {
  auto str = [&a](const std::string& s) {
    return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("id", str(id), a);
  v.AddMember("type", str(type), a);
  v.AddMember("stage", str(stage), a);
  v.AddMember("status", str(status), a);
  v.AddMember("opened_at", str(FormatRfc3339(opened_at)), a);
  rapidjson::Value f(rapidjson::kArrayType);
  for (const auto& flag : flags) f.PushBack(str(flag), a);
  v.AddMember("flags", f, a);
  for (const auto& [k, val] : fields) v.AddMember(str(k), str(val), a);
  return v;
}

}  // namespace convene::rules

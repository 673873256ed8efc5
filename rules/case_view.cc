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

}  // namespace convene::rules

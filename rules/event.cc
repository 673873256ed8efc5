#include "rules/event.h"

#include <rapidjson/error/en.h>

#include "rules/json.h"

namespace convene::rules {
namespace {

const char* TypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "a list";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "unknown";
}

Status RequireString(const rapidjson::Value& obj, const char* name, std::string* out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) {
    return Status::Error(std::string("required field '") + name + "' is missing");
  }
  if (!it->value.IsString()) {
    return Status::Error(std::string("field '") + name + "' must be a string, not " +
                         TypeName(it->value));
  }
  out->assign(it->value.GetString(), it->value.GetStringLength());
  if (out->empty()) return Status::Error(std::string("field '") + name + "' is empty");
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const Event>> ParseEvent(
    std::string_view bytes, const std::function<bool(std::string_view)>& is_partner) {
  if (bytes.size() > kMaxEventBytes) {
    return Status::Error("event is " + std::to_string(bytes.size()) +
                         " bytes, over the 1 MiB limit");
  }
  auto event = std::make_shared<Event>(bytes.size());
  event->raw_.assign(bytes);
  rapidjson::Document& doc = event->doc_;
  if (Status s = json::Parse<rapidjson::kParseValidateEncodingFlag>(&doc, event->raw_); !s.ok()) {
    return s.Prefixed("not valid JSON: ");
  }
  if (!doc.IsObject()) {
    return Status::Error(std::string("an event must be a JSON object, not ") + TypeName(doc));
  }
  if (Status s = RequireString(doc, "id", &event->id_); !s.ok()) return s;
  if (Status s = RequireString(doc, "type", &event->type_); !s.ok()) return s;
  std::string occurred;
  if (Status s = RequireString(doc, "occurred_at", &occurred); !s.ok()) return s;
  auto t = ParseRfc3339(occurred);
  if (!t) {
    return Status::Error("field 'occurred_at' is not an RFC 3339 timestamp with an offset "
                         "(e.g. 2026-03-01T14:05:00Z): '" + occurred + "'");
  }
  // Before 1900 is a typing or conversion error (a two-digit year, a zero
  // date), never a record a partnership holds; it would also open windows
  // and idle clocks that span every case.
  static const TimeMs kEarliest = *ParseRfc3339("1900-01-01T00:00:00Z");
  if (*t < kEarliest) {
    return Status::Error("field 'occurred_at' is before 1900: '" + occurred + "'");
  }
  event->occurred_at_ = *t;
  if (Status s = RequireString(doc, "source", &event->source_); !s.ok()) return s;
  if (!is_partner(event->source_)) {
    return Status::Error("unknown source '" + event->source_ +
                         "': the source must be a partner id from partners.yaml");
  }
  if (auto it = doc.FindMember("subjects"); it != doc.MemberEnd()) {
    if (!it->value.IsArray()) {
      return Status::Error(std::string("field 'subjects' must be a list, not ") +
                           TypeName(it->value));
    }
    size_t index = 0;
    for (const auto& s : it->value.GetArray()) {
      std::string where = "subjects[" + std::to_string(index++) + "]";
      if (!s.IsObject()) return Status::Error(where + " must be an object with id and role");
      Subject subject;
      if (Status st = RequireString(s, "id", &subject.id); !st.ok()) {
        return Status::Error(where + ": " + st.message());
      }
      if (Status st = RequireString(s, "role", &subject.role); !st.ok()) {
        return Status::Error(where + ": " + st.message());
      }
      event->subjects_.push_back(std::move(subject));
    }
  }
  for (const char* name : {"location", "data"}) {
    auto it = doc.FindMember(name);
    if (it != doc.MemberEnd() && !it->value.IsObject()) {
      return Status::Error(std::string("field '") + name + "' must be an object, not " +
                           TypeName(it->value));
    }
  }
  return std::shared_ptr<const Event>(std::move(event));
}

const rapidjson::Value* Event::Find(const std::vector<std::string>& path) const {
  const rapidjson::Value* v = &doc_;
  for (const auto& segment : path) {
    if (v->IsObject()) {
      auto it = v->FindMember(rapidjson::StringRef(segment.data(), segment.size()));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else {
      return nullptr;
    }
  }
  return v;
}

const rapidjson::Value& Event::data() const {
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  auto it = doc_.FindMember("data");
  return it == doc_.MemberEnd() ? kEmpty : it->value;
}

std::vector<std::string> Event::SubjectIds(std::string_view role) const {
  std::vector<std::string> ids;
  for (const auto& s : subjects_) {
    if (s.role == role) ids.push_back(s.id);
  }
  return ids;
}

Value Event::Resolve(const std::vector<std::string>& path) const {
  if (!path.empty() && path[0] == "subjects") {
    Value::List ids;
    if (path.size() == 1) {
      for (const auto& s : subjects_) ids.emplace_back(s.id);
    } else if (path.size() == 2) {
      for (auto& id : SubjectIds(path[1])) ids.emplace_back(std::move(id));
    }
    return Value(std::move(ids));
  }
  const rapidjson::Value* v = Find(path);
  return v ? Value::FromJson(*v) : Value();
}

}  // namespace convene::rules

#include "rules/value.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>

namespace convene::rules {

Value Value::FromJson(const rapidjson::Value& json) {
  switch (json.GetType()) {
    case rapidjson::kNullType:
      return Value();
    case rapidjson::kFalseType:
      return Value(false);
    case rapidjson::kTrueType:
      return Value(true);
    case rapidjson::kNumberType:
      return Value(json.GetDouble());
    case rapidjson::kStringType:
      return Value(std::string(json.GetString(), json.GetStringLength()));
    case rapidjson::kArrayType: {
      List list;
      list.reserve(json.Size());
      for (const auto& item : json.GetArray()) list.push_back(FromJson(item));
      return Value(std::move(list));
    }
    case rapidjson::kObjectType:
      return Value(Object{});
  }
  return Value();
}

bool Value::Truthy() const {
  if (is_bool()) return as_bool();
  if (is_number()) return as_number() != 0;
  if (is_string()) return !as_string().empty();
  if (is_list()) return !as_list().empty();
  return is_object();
}

std::string Value::ToText() const {
  if (is_null()) return "";
  if (is_bool()) return as_bool() ? "true" : "false";
  if (is_number()) {
    double d = as_number();
    char buf[32];
    if (std::floor(d) == d && std::fabs(d) < 1e15) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
    } else {
      std::snprintf(buf, sizeof buf, "%g", d);
    }
    return buf;
  }
  if (is_string()) return as_string();
  if (is_list()) {
    std::string out;
    for (const auto& item : as_list()) {
      if (!out.empty()) out += ", ";
      out += item.ToText();
    }
    return out;
  }
  return "{...}";
}

namespace {

template <typename Writer>
void Write(const Value& v, Writer* w) {
  if (v.is_bool()) {
    w->Bool(v.as_bool());
  } else if (v.is_number()) {
    w->Double(v.as_number());
  } else if (v.is_string()) {
    w->String(v.as_string().data(), static_cast<rapidjson::SizeType>(v.as_string().size()));
  } else if (v.is_list()) {
    w->StartArray();
    for (const auto& item : v.as_list()) Write(item, w);
    w->EndArray();
  } else if (v.is_object()) {
    w->StartObject();
    w->EndObject();
  } else {
    w->Null();
  }
}

}  // namespace

std::string Value::ToJson() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  Write(*this, &w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace convene::rules

// The values rule expressions compute with: null, booleans, numbers, strings,
// lists, and an opaque marker for objects (present, but not comparable).
// Value type; thread-compatible.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <variant>
#include <vector>

namespace convene::rules {

class Value {
 public:
  struct Object {
    bool operator==(const Object&) const { return false; }
  };
  using List = std::vector<Value>;

  Value() = default;
  Value(bool b) : v_(b) {}                       // NOLINT
  Value(double d) : v_(d) {}                     // NOLINT
  Value(int64_t i) : v_(static_cast<double>(i)) {}  // NOLINT
  Value(std::string s) : v_(std::move(s)) {}     // NOLINT
  Value(List l) : v_(std::move(l)) {}            // NOLINT
  Value(Object o) : v_(o) {}                     // NOLINT

  static Value FromJson(const rapidjson::Value& json);

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_number() const { return std::holds_alternative<double>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_list() const { return std::holds_alternative<List>(v_); }
  bool is_object() const { return std::holds_alternative<Object>(v_); }

  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const List& as_list() const { return std::get<List>(v_); }

  // Whether a condition holds: true, a non-zero number, a non-empty string or list.
  bool Truthy() const;
  // The text a title template shows for this value.
  std::string ToText() const;
  // As JSON, which FromJson reads back as the same value (an object as {}).
  std::string ToJson() const;

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  std::variant<std::monostate, bool, double, std::string, List, Object> v_;
};

}  // namespace convene::rules

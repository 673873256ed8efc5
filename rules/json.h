// Small helpers over RapidJSON, the JSON library convene uses for events,
// tasks and stored records (see docs/decisions/0002-json-library.md).
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

#include "rules/text.h"

namespace convene::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline std::string Serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

inline void Key(Writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

inline void String(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline void Field(Writer& w, std::string_view key, std::string_view value) {
  Key(w, key);
  String(w, value);
}

// The member `key` of `object` when it is a string, else `fallback`.
inline std::string_view GetString(const rapidjson::Value& object, const char* key,
                                  std::string_view fallback = {}) {
  if (!object.IsObject()) return fallback;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return fallback;
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

inline int64_t GetInt(const rapidjson::Value& object, const char* key, int64_t fallback = 0) {
  if (!object.IsObject()) return fallback;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return fallback;
  return it->value.GetInt64();
}

inline bool GetBool(const rapidjson::Value& object, const char* key, bool fallback = false) {
  if (!object.IsObject()) return fallback;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsBool()) return fallback;
  return it->value.GetBool();
}

// A rejected input's bytes, as a dead-letter record carries them: `original`
// (text) or `original_base64` (not UTF-8), at most kMaxOriginal bytes of
// them; when cut, `original_bytes` gives the whole size.
inline constexpr size_t kMaxOriginal = 256 << 10;
inline void Original(Writer& w, std::string_view bytes) {
  std::string_view kept = bytes.substr(0, kMaxOriginal);
  if (!text::InvalidUtf8At(kept)) {
    Field(w, "original", kept);
  } else {
    Field(w, "original_base64", text::Base64(kept));
  }
  if (kept.size() < bytes.size()) {
    Key(w, "original_bytes");
    w.Uint64(bytes.size());
  }
}

}  // namespace convene::json

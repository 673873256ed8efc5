// Small helpers over RapidJSON, the JSON library convene uses for events,
// tasks and stored records (see docs/decisions/0002-json-library.md).
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "rules/status.h"
#include "rules/text.h"

namespace convene::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline std::string Serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// How deep JSON from outside may nest (objects and arrays within each
// other, the outermost counting as one). Events, API bodies and connector
// records need a handful of levels; the bound keeps every walk over a parsed
// document (share filtering, copying, writing, destroying) far from the end
// of a thread's stack, whatever a sender writes.
inline constexpr int kMaxDepth = 64;

namespace internal {

// A SAX handler that builds `doc` as GenericDocument's own parse does, and
// stops the reader at the first object or array nested past `max_depth`.
template <typename Document>
class DepthLimited {
 public:
  using Ch = char;
  DepthLimited(Document& doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}
  bool too_deep() const { return too_deep_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    return IsText(s, n) && doc_.String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    return IsText(s, n) && doc_.Key(s, n, copy);
  }
  bool half_surrogate() const { return half_surrogate_; }
  bool StartObject() { return Enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { --depth_; return doc_.EndObject(n); }
  bool StartArray() { return Enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { --depth_; return doc_.EndArray(n); }

 private:
  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }
  // RapidJSON 1.1.0 decodes an escape of half a surrogate pair (\udc00
  // alone) to the bytes ED B0 80, which are not UTF-8: such text would be
  // written out again (in a task's context, an event the console sends)
  // as bytes no reader takes. Only that decoding makes them: ED then A0-BF.
  bool IsText(const Ch* s, rapidjson::SizeType n) {
    for (const Ch* at = s; (at = static_cast<const Ch*>(std::memchr(at, '\xED', s + n - at)));) {
      if (++at < s + n && static_cast<unsigned char>(*at) >= 0xA0) {
        half_surrogate_ = true;
        return false;
      }
    }
    return true;
  }
  Document& doc_;
  const int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool half_surrogate_ = false;
};

}  // namespace internal

// Parses `bytes` (JSON from outside: an event, a request body, a connector's
// record) into `doc`, which is left null on failure. The parse itself never
// recurses (RapidJSON's iterative parser), a document nested deeper than
// `max_depth` is refused, and so is an escape that decodes to no text (half
// a surrogate pair): bad input is an error, never a crash. The error
// says what is wrong and at which byte (counted from 1).
template <unsigned kFlags = rapidjson::kParseDefaultFlags, typename Document>
Status Parse(Document* doc, std::string_view bytes, int max_depth = kMaxDepth) {
  // As GenericDocument::Parse(str, length) reads: a leading BOM skipped.
  rapidjson::MemoryStream memory(bytes.data(), bytes.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(memory);
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>> reader;
  internal::DepthLimited<Document> handler(*doc, max_depth);
  rapidjson::ParseResult result;
  auto generate = [&](Document&) {
    result = reader.template Parse<kFlags | rapidjson::kParseIterativeFlag>(in, handler);
    return !result.IsError();
  };
  doc->SetNull();
  doc->Populate(generate);
  if (!result.IsError()) return Status::Ok();
  doc->SetNull();
  std::string at = " at byte " + std::to_string(result.Offset() + 1);
  if (handler.too_deep()) {
    return Status::Invalid("nested more than " + std::to_string(max_depth) +
                           " levels deep" + at);
  }
  if (handler.half_surrogate()) {
    return Status::Invalid("an escape of half a surrogate pair (\\ud800 to \\udfff alone) is "
                           "not text" + at);
  }
  return Status::Invalid(std::string(rapidjson::GetParseError_En(result.Code())) + at);
}

// How deep `value` nests: 0 for a scalar, 1 for an object or array of
// scalars. Recursive: for documents parsed with a depth bound.
inline int DepthOf(const rapidjson::Value& value) {
  int deepest = 0;
  if (value.IsObject()) {
    for (const auto& m : value.GetObject()) deepest = std::max(deepest, DepthOf(m.value));
  } else if (value.IsArray()) {
    for (const auto& v : value.GetArray()) deepest = std::max(deepest, DepthOf(v));
  } else {
    return 0;
  }
  return deepest + 1;
}

// The depth a whole file or request body of records (a JSON array of them)
// may reach when parsed: records nested past kMaxDepth within it are then
// refused one by one (DepthOf), their neighbours kept.
inline constexpr int kMaxBatchDepth = 1024;

// Why `record`, one of a batch, is refused for its depth; empty when it is not.
inline std::string TooDeep(const rapidjson::Value& record) {
  if (DepthOf(record) <= kMaxDepth) return {};
  return "nested more than " + std::to_string(kMaxDepth) + " levels deep";
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

#include "engine/audit_trail.h"

#include <sodium.h>

#include <mutex>

namespace convene::engine {
namespace {

std::string Sha256Hex(std::string_view data) {
  static std::once_flag init;
  std::call_once(init, [] {
    if (sodium_init() < 0) std::abort();  // the library cannot run at all
  });
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

// A stored entry is its JSON body, a newline, and the SHA-256 of the body;
// the body holds its sequence number and the previous entry's hash.
bool Split(std::string_view value, std::string_view* body, std::string_view* hash) {
  size_t nl = value.rfind('\n');
  if (nl == std::string_view::npos) return false;
  *body = value.substr(0, nl);
  *hash = value.substr(nl + 1);
  return true;
}

}  // namespace

Status AuditTrail::Recover(const CaseStore& store) {
  seq_ = 0;
  head_.clear();
  std::string last_key, last_value;
  // Entries are keyed by their big-endian sequence: the last key is the newest.
  Status s = store.Last(Family::kAudit, [&](std::string_view k, std::string_view v) {
    last_key.assign(k);
    last_value.assign(v);
    return true;
  });
  if (!s.ok()) return s;
  if (last_key.empty()) return Status::Ok();
  std::string_view body, hash;
  if (!Split(last_value, &body, &hash)) {
    return Status::Error("audit trail: the last entry is damaged");
  }
  seq_ = DecodeU64(last_key);
  head_ = std::string(hash);
  return Status::Ok();
}

void AuditTrail::Append(const CaseStore& store, rocksdb::WriteBatch* batch, std::string_view kind,
                        TimeMs at, const std::function<void(json::Writer&)>& fields) {
  if (!enabled_) return;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Key(w, "seq");
  w.Uint64(seq_ + 1);
  json::Field(w, "prev", head_);
  json::Field(w, "at", FormatRfc3339(at));
  json::Field(w, "kind", kind);
  fields(w);
  w.EndObject();
  std::string body(buf.GetString(), buf.GetSize());
  std::string hash = Sha256Hex(body);
  batch->Put(store.handle(Family::kAudit), EncodeU64(seq_ + 1), body + "\n" + hash);
  ++seq_;
  head_ = std::move(hash);
}

Result<AuditTrail::Verified> AuditTrail::Verify(const CaseStore& store) {
  Verified v;
  std::string prev;
  uint64_t expected = 1;
  Status s = store.Scan(Family::kAudit, "", [&](std::string_view k, std::string_view value) {
    uint64_t key_seq = DecodeU64(k);
    std::string where = "entry " + std::to_string(key_seq);
    std::string_view body, hash;
    if (key_seq != expected) {
      v.broken = "entry " + std::to_string(expected) + " is missing (the next is " +
                 std::to_string(key_seq) + ")";
      return false;
    }
    if (!Split(value, &body, &hash)) {
      v.broken = where + " is not an audit entry";
      return false;
    }
    std::string recomputed = Sha256Hex(body);
    if (recomputed != hash) {
      v.broken = where + " was changed: its content hashes to " + recomputed.substr(0, 16) +
                 "..., not the " + std::string(hash.substr(0, 16)) + "... it was written with";
      return false;
    }
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError() || !d.IsObject() || json::GetString(d, "prev") != prev ||
        !d.HasMember("seq") || !d["seq"].IsUint64() || d["seq"].GetUint64() != key_seq) {
      v.broken = where + " does not follow entry " + std::to_string(key_seq - 1) +
                 ": it names another entry before it";
      return false;
    }
    prev = std::string(hash);
    ++v.entries;
    ++expected;
    return true;
  });
  if (!s.ok()) return s;
  v.head = prev;
  return v;
}

}  // namespace convene::engine

#include "engine/case_index.h"

#include <algorithm>

#include "engine/store_keys.h"

namespace convene::engine {
namespace {

void InsertSorted(std::vector<std::string>* ids, const std::string& id) {
  auto at = std::lower_bound(ids->begin(), ids->end(), id);
  if (at == ids->end() || *at != id) ids->insert(at, id);
}

}  // namespace

Result<CaseIndex::Entry*> CaseIndex::Load(std::string_view type, std::string_view key) {
  std::string held_key = TypeKey(type, key);
  if (auto it = held_.find(held_key); it != held_.end()) return &it->second;
  Entry entry;
  for (char kind : {'o', 'h'}) {
    std::string prefix = IndexKey(kind, type, key, "");
    std::vector<std::string>* ids = kind == 'o' ? &entry.open : &entry.all;
    Status s = store_->PrefixScan(Family::kIndexes, prefix, [&](std::string_view k, std::string_view) {
      std::string_view id = k.substr(prefix.size());
      // A longer key that starts with this one ("a" and "a\x1fb") is another key.
      if (id.find(kSep) == std::string_view::npos) ids->emplace_back(id);
      return true;
    });
    if (!s.ok()) return s;
  }
  return &held_.emplace(std::move(held_key), std::move(entry)).first->second;
}

Status CaseIndex::Find(std::string_view type, const std::vector<std::string>& keys, bool open,
                       std::vector<std::string>* ids) {
  for (const auto& k : keys) {
    auto entry = Load(type, k);
    if (!entry.ok()) return entry.status();
    for (const auto& id : open ? (*entry)->open : (*entry)->all) {
      if (std::find(ids->begin(), ids->end(), id) == ids->end()) ids->push_back(id);
    }
  }
  std::sort(ids->begin(), ids->end());
  return Status::Ok();
}

Status CaseIndex::Add(rocksdb::WriteBatch* batch, std::string_view type, std::string_view key,
                      const std::string& id) {
  auto entry = Load(type, key);
  if (!entry.ok()) return entry.status();
  InsertSorted(&(*entry)->open, id);
  InsertSorted(&(*entry)->all, id);
  auto* family = store_->handle(Family::kIndexes);
  batch->Put(family, IndexKey('o', type, key, id), "");
  batch->Put(family, IndexKey('h', type, key, id), "");
  return Status::Ok();
}

Status CaseIndex::Close(rocksdb::WriteBatch* batch, std::string_view type, std::string_view key,
                        const std::string& id) {
  auto entry = Load(type, key);
  if (!entry.ok()) return entry.status();
  auto& open = (*entry)->open;
  open.erase(std::remove(open.begin(), open.end(), id), open.end());
  batch->Delete(store_->handle(Family::kIndexes), IndexKey('o', type, key, id));
  return Status::Ok();
}

void CaseIndex::Trim() {
  if (held_.size() > capacity_) held_.clear();
}

}  // namespace convene::engine

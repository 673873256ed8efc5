#include "engine/timer_queue.h"

namespace convene::engine {

std::string TimerQueue::Key(char clock, TimeMs due, char kind, std::string_view id) {
  std::string k(1, clock);
  k.append(EncodeU64(static_cast<uint64_t>(due)));
  k.push_back(kind);
  k.append(id);
  return k;
}

TimeMs TimerQueue::DueOf(std::string_view key) {
  return static_cast<TimeMs>(DecodeU64(key.substr(1)));
}

Status TimerQueue::Recover(const CaseStore& store) {
  armed_.clear();
  return store.Scan(Family::kTimers, "", [&](std::string_view k, std::string_view v) {
    armed_.emplace(k, v);
    return true;
  });
}

void TimerQueue::Put(const CaseStore& store, rocksdb::WriteBatch* batch, char clock, TimeMs due,
                     char kind, std::string_view id, std::string value) {
  std::string key = Key(clock, due, kind, id);
  batch->Put(store.handle(Family::kTimers), key, value);
  armed_[std::move(key)] = std::move(value);
}

void TimerQueue::Remove(const CaseStore& store, rocksdb::WriteBatch* batch, char clock, TimeMs due,
                        char kind, std::string_view id) {
  Remove(store, batch, Key(clock, due, kind, id));
}

void TimerQueue::Remove(const CaseStore& store, rocksdb::WriteBatch* batch,
                        const std::string& key) {
  batch->Delete(store.handle(Family::kTimers), key);
  armed_.erase(key);
}

void TimerQueue::Due(char clock, TimeMs now, size_t max, std::vector<Entry>* out) const {
  for (auto it = armed_.lower_bound(std::string(1, clock));
       it != armed_.end() && it->first[0] == clock && out->size() < max &&
       DueOf(it->first) <= now;
       ++it) {
    out->emplace_back(it->first, it->second);
  }
}

}  // namespace convene::engine

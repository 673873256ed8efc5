#include "engine/timer_queue.h"

#include <iterator>

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
  store_ = &store;
  armed_.clear();
  Committed();
  wall_ = {std::string(1, 'w'), false};
  event_ = {std::string(1, 'e'), false};
  if (Status s = ReadOn('w'); !s.ok()) return s;
  return ReadOn('e');
}

Status TimerQueue::ReadOn(char clock) {
  Window& w = WindowOf(clock);
  if (w.all) return Status::Ok();
  // From just past the last key read (the clock's bare prefix at first).
  std::string start = w.to;
  if (start.size() > 1) start.push_back('\0');
  size_t read = 0;
  std::string last;
  Status s = store_->ScanFrom(Family::kTimers, start, std::string_view(&clock, 1),
                              [&](std::string_view k, std::string_view v) {
                                last.assign(k);
                                if (!removed_beyond_.count(last)) armed_.emplace(last, v);
                                return ++read < kChunk;
                              });
  if (!s.ok()) return s;
  if (read < kChunk) {
    w.all = true;
  } else {
    w.to = std::move(last);
  }
  // This batch's timers that the window now reaches.
  for (auto it = beyond_.begin(); it != beyond_.end();) {
    if (it->first[0] == clock && InWindow(it->first)) {
      armed_[it->first] = it->second;
      it = beyond_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::Ok();
}

void TimerQueue::Put(const CaseStore& store, rocksdb::WriteBatch* batch, char clock, TimeMs due,
                     char kind, std::string_view id, std::string value) {
  std::string key = Key(clock, due, kind, id);
  batch->Put(store.handle(Family::kTimers), key, value);
  if (InWindow(key)) {
    armed_[std::move(key)] = std::move(value);
  } else {
    removed_beyond_.erase(key);
    beyond_[std::move(key)] = std::move(value);
  }
}

void TimerQueue::Remove(const CaseStore& store, rocksdb::WriteBatch* batch, char clock, TimeMs due,
                        char kind, std::string_view id) {
  Remove(store, batch, Key(clock, due, kind, id));
}

void TimerQueue::Remove(const CaseStore& store, rocksdb::WriteBatch* batch,
                        const std::string& key) {
  batch->Delete(store.handle(Family::kTimers), key);
  if (InWindow(key)) {
    armed_.erase(key);
  } else {
    beyond_.erase(key);
    removed_beyond_.insert(key);
  }
}

void TimerQueue::Committed() {
  beyond_.clear();
  removed_beyond_.clear();
  if (armed_.size() <= 4 * kChunk) return;
  for (char clock : {'w', 'e'}) {
    auto it = armed_.lower_bound(std::string(1, clock));
    for (size_t n = 0; n < kChunk && it != armed_.end() && it->first[0] == clock; ++n) ++it;
    if (it == armed_.end() || it->first[0] != clock) continue;  // a chunk or less
    auto end = armed_.lower_bound(std::string(1, static_cast<char>(clock + 1)));
    Window& w = WindowOf(clock);
    w.to = std::prev(it)->first;
    w.all = false;
    armed_.erase(it, end);
  }
}

Status TimerQueue::Due(char clock, TimeMs now, size_t max, std::vector<Entry>* out) {
  std::string from(1, clock);
  while (true) {
    // Past `from`: the last timer taken, or at first the clock's bare
    // prefix, which no timer's key equals.
    for (auto it = armed_.upper_bound(from);
         it != armed_.end() && it->first[0] == clock && out->size() < max; ++it) {
      if (DueOf(it->first) > now) return Status::Ok();
      out->emplace_back(it->first, it->second);
      from = it->first;
    }
    if (out->size() >= max) return Status::Ok();
    // Every timer the window holds is due: read on, if there are more.
    const Window& w = WindowOf(clock);
    if (w.all || DueOf(w.to) > now) return Status::Ok();
    if (Status s = ReadOn(clock); !s.ok()) return s;
  }
}

}  // namespace convene::engine

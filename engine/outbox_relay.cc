#include "engine/outbox_relay.h"

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "engine/task.h"

namespace convene::engine {

OutboxRelay::~OutboxRelay() { Stop(std::chrono::milliseconds(0)); }

connectors::MessageSink::DeliveryCallback OutboxRelay::DeliveryHandler() {
  return [this](uint64_t seq, const Status& status) { OnDelivery(seq, status); };
}

void OutboxRelay::Start(std::unique_ptr<connectors::MessageSink> sink) {
  sink_ = std::move(sink);
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

bool OutboxRelay::Idle() const {
  if (in_flight_count_.load() != 0 || rescan_.load()) return false;
  // Everything up to the cursor is delivered (a failure would have set
  // rescan_); is there anything after it?
  auto more = store_->OutboxHasAny(cursor_.load() + 1);
  if (!more.ok()) {
    spdlog::error("relay: {}", more.status().message());
    return false;  // what cannot be read is not known to be delivered
  }
  return !*more;
}

bool OutboxRelay::WaitIdle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Idle()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    Wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void OutboxRelay::Stop(std::chrono::milliseconds drain) {
  if (!thread_.joinable()) return;
  if (drain.count() > 0) WaitIdle(drain);
  stop_ = true;
  Wake();
  thread_.join();
  if (sink_) (void)sink_->Flush(std::chrono::milliseconds(2000));
}

void OutboxRelay::OnDelivery(uint64_t seq, const Status& status) {
  in_flight_.erase(seq);
  in_flight_count_ = in_flight_.size();
  if (status.ok()) {
    confirmed_.push_back(seq);
    ++delivered_;
    return;
  }
  ++failures_;
  rescan_ = true;
  spdlog::warn("outbox: message {} not delivered ({}); will retry", seq, status.message());
}

void OutboxRelay::Pump() {
  if (rescan_ && in_flight_.empty()) {
    cursor_ = 0;
    rescan_ = false;
  }
  std::string start = EncodeU64(cursor_ + 1);
  size_t queued = 0;
  // Through the store's checked scan: a read that fails is said and tried
  // again, never taken for an empty outbox.
  Status scanned = store_->ScanFrom(Family::kOutbox, start, "", [&](std::string_view k,
                                                                    std::string_view v) {
    if (queued >= 10000) return false;
    uint64_t seq = DecodeU64(k);
    if (in_flight_.count(seq)) return true;
    OutboxMessage m;
    if (!OutboxMessage::Decode(v, &m)) {
      // A task that would silently never be delivered: kept for whoever
      // mends the store, and said once; the rest go on.
      if (damaged_.insert(seq).second) {
        damaged_count_ = damaged_.size();
        spdlog::error("outbox: entry {} is damaged ({} bytes that do not decode as a message); "
                      "it is kept in the store, not sent and not deleted",
                      seq, v.size());
      }
      cursor_ = std::max(cursor_.load(), seq);
      return true;
    }
    if (Status s = sink_->Produce(m.topic, m.key, m.payload, seq); !s.ok()) {
      if (connectors::IsQueueFull(s)) return false;  // later
      // Refused outright: the others go on; it is tried again on a later pass.
      if (refused_.insert(seq).second) {
        spdlog::error("outbox: message {} to {} refused ({}); the others go on", seq, m.topic,
                      s.message());
      }
      ++failures_;
      rescan_ = true;
      cursor_ = std::max(cursor_.load(), seq);
      return true;
    }
    in_flight_.insert(seq);
    cursor_ = std::max(cursor_.load(), seq);
    ++queued;
    return true;
  });
  if (!scanned.ok()) {
    spdlog::error("outbox: cannot read it ({}); trying again", scanned.message());
    ++failures_;
    rescan_ = true;
  }
  in_flight_count_ = in_flight_.size();
}

void OutboxRelay::Run() {
  auto* family = store_->handle(Family::kOutbox);
  while (!stop_) {
    Pump();
    sink_->Poll(std::chrono::milliseconds(in_flight_.empty() ? 0 : 10));
    if (!confirmed_.empty()) {
      rocksdb::WriteBatch batch;
      for (uint64_t seq : confirmed_) batch.Delete(family, EncodeU64(seq));
      // Not synced: losing a delete only means a message is sent once more.
      if (Status s = store_->Write(&batch, false); !s.ok()) {
        spdlog::error("outbox: {}", s.message());
      }
      confirmed_.clear();
    }
    if (in_flight_.empty()) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(rescan_ ? 500 : 50),
                   [this] { return woken_ || stop_.load(); });
      woken_ = false;
    }
  }
}

}  // namespace convene::engine

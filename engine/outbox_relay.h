// The outbox relay: publishes what the engine wrote to the outbox (tasks,
// case updates, dead letters) and deletes each message only when the broker
// has confirmed it. A crash before the confirmation means the message is sent
// again after restart, with the same key and bytes: at-least-once delivery,
// and the task_id inside lets partners drop a repeat.
//
// Thread-safety: Start/Stop/WaitIdle from any one thread; the relay runs on
// its own thread; Wake() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "connectors/message_sink.h"
#include "engine/case_store.h"

namespace convene::engine {

class OutboxRelay {
 public:
  explicit OutboxRelay(CaseStore* store) : store_(store) {}
  ~OutboxRelay();

  // The callback the sink must be created with.
  connectors::MessageSink::DeliveryCallback DeliveryHandler();

  // Starts relaying through `sink` on a new thread.
  void Start(std::unique_ptr<connectors::MessageSink> sink);
  // Something new is in the outbox.
  void Wake();
  // True when the outbox is empty and nothing is in flight.
  bool Idle() const;
  // Waits until Idle(), at most `timeout`. Returns Idle().
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Delivers what it can within `drain`, then stops the thread.
  void Stop(std::chrono::milliseconds drain);

  uint64_t delivered() const { return delivered_.load(); }
  // The highest outbox sequence handed to the sink, and how many of those
  // the broker has not confirmed yet.
  uint64_t cursor() const { return cursor_.load(); }
  size_t in_flight() const { return in_flight_count_.load(); }
  // Entries that do not decode: kept in the store, never sent nor deleted.
  size_t damaged() const { return damaged_count_.load(); }

 private:
  void Run();
  void Pump();
  void OnDelivery(uint64_t seq, const Status& status);

  CaseStore* store_;
  std::unique_ptr<connectors::MessageSink> sink_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;

  // Relay-thread state.
  std::set<uint64_t> in_flight_;
  std::vector<uint64_t> confirmed_;
  std::set<uint64_t> refused_;  // refused by the client, logged once each
  std::set<uint64_t> damaged_;  // do not decode; logged once each
  std::atomic<size_t> damaged_count_{0};
  std::atomic<uint64_t> cursor_{0};  // highest sequence handed to the sink
  std::atomic<bool> rescan_{false};  // a delivery failed: look again from the start
  std::atomic<size_t> in_flight_count_{0};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failures_{0};
};

}  // namespace convene::engine

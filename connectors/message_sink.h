// Where the engine's output goes: task queues, case updates, dead letters.
// A sink confirms each message asynchronously; the outbox deletes a message
// only after its confirmation, so a sink must report every failure.
//
// Thread-safety: one thread (the relay's) calls every method; the delivery
// callback runs on that thread, inside Poll() or Flush().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "rules/status.h"

namespace convene::connectors {

// The Status a sink returns when its local queue is full.
inline const char* const kQueueFull = "the local send queue is full";
inline bool IsQueueFull(const Status& s) { return s.code() == Status::Code::kBusy; }

class MessageSink {
 public:
  // `token` is what was passed to Produce; status says whether the broker has it.
  using DeliveryCallback = std::function<void(uint64_t token, const Status& status)>;

  virtual ~MessageSink() = default;

  // Queues one message. An error means it was not queued: if IsQueueFull(),
  // the caller retries later; any other error (a message too large for the
  // client) will not go away by retrying the same message. Never blocks.
  virtual Status Produce(const std::string& topic, std::string_view key,
                         std::string_view payload, uint64_t token) = 0;

  // Serves delivery callbacks, waiting at most `timeout`.
  virtual void Poll(std::chrono::milliseconds timeout) = 0;

  // Waits until everything queued is confirmed or failed, at most `timeout`.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;
};

}  // namespace convene::connectors

// Status and Result<T>: how convene reports expected failures (bad input, bad
// configuration, storage errors) without exceptions, after LevelDB's Status.
// Value types; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace convene {

class [[nodiscard]] Status {
 public:
  // What kind of failure, for code that acts on it; the message is for people.
  enum class Code {
    kOk,
    kError,        // a failure with no more particular kind
    kInvalid,      // input or configuration that does not fit (rejected, with the reason)
    kNotFound,     // what was asked for is not there
    kCorruption,   // stored data is damaged or does not fit together
    kIOError,      // the file system or the store could not do what was asked
    kBusy,         // try again: a queue is full
    kInterrupted,  // stopped on request (a signal)
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(Code::kError, std::move(message)); }
  static Status Invalid(std::string message) { return Status(Code::kInvalid, std::move(message)); }
  static Status NotFound(std::string message) { return Status(Code::kNotFound, std::move(message)); }
  static Status Corruption(std::string message) {
    return Status(Code::kCorruption, std::move(message));
  }
  static Status IOError(std::string message) { return Status(Code::kIOError, std::move(message)); }
  static Status Busy(std::string message) { return Status(Code::kBusy, std::move(message)); }
  static Status Interrupted(std::string message) {
    return Status(Code::kInterrupted, std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "OK" : message_; }
  // The same kind of failure, with `context` in front of the message.
  Status Prefixed(const std::string& context) const {
    return ok() ? *this : Status(code_, context + message_);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}    // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace convene

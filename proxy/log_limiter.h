// At most one log line per interval for each kind of event that a client can repeat at will
// (garbage startup packets from scanners, say), with the number of lines left out since.
// Shared by all sessions, hence the mutex; touched only when such an event happens.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

namespace blueshift::proxy {

template <size_t Kinds>
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(Clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

  // When a line for kind may be logged at now: the number of events left out since the last
  // one logged. Otherwise nullopt (the event is counted).
  std::optional<uint64_t> admit(size_t kind, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_.at(kind);
    if (slot.logged && now - *slot.logged < interval_) {
      ++slot.suppressed;
      return std::nullopt;
    }
    slot.logged = now;
    return std::exchange(slot.suppressed, 0);
  }

 private:
  struct Slot {
    std::optional<Clock::time_point> logged;
    uint64_t suppressed = 0;
  };
  const Clock::duration interval_;
  std::mutex mutex_;
  std::array<Slot, Kinds> slots_{};
};

}  // namespace blueshift::proxy

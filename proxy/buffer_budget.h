// Bytes of large messages that sessions buffer whole (a client's Query, Parse or Bind, a
// server's ErrorResponse), counted across all sessions against limits.max_buffered_bytes, so
// that a few clients sending huge messages minus their last byte cannot take the proxy's
// memory. Messages under a session's read chunk are not counted: their memory is bounded
// per session already. One atomic add per large message, never per small one.
#pragma once

#include <atomic>
#include <cstddef>

namespace blueshift::proxy {

class BufferBudget {
 public:
  // True when n more bytes fit under limit; they count until release(n).
  [[nodiscard]] bool reserve(size_t n, size_t limit) {
    const size_t before = used_.fetch_add(n, std::memory_order_relaxed);
    if (before + n <= limit) return true;
    used_.fetch_sub(n, std::memory_order_relaxed);
    return false;
  }
  void release(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  [[nodiscard]] size_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  std::atomic<size_t> used_{0};
};

}  // namespace blueshift::proxy

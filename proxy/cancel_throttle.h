// Cancel requests per client address: a token bucket each, so that one source cannot make
// the proxy open thousands of connections a second to the warehouse (or to peers), nor guess
// keys at that rate. Shared by all sessions, hence the mutex; touched only by CancelRequests.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace blueshift::proxy {

class CancelThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  // per_second: requests an address may send each second, in bursts of as many.
  explicit CancelThrottle(double per_second = 20, size_t max_addresses = 10000)
      : per_second_(per_second), max_addresses_(max_addresses) {}

  // Whether a CancelRequest from address at now may go on (it then uses up a token).
  bool admit(const std::string& address, Clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  [[nodiscard]] double refilled(const Bucket& b, Clock::time_point now) const;

  const double per_second_;
  const size_t max_addresses_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace blueshift::proxy

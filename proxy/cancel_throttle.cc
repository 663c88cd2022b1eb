#include "proxy/cancel_throttle.h"

#include <algorithm>

namespace blueshift::proxy {

double CancelThrottle::refilled(const Bucket& b, Clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - b.at).count();
  return std::min(per_second_, b.tokens + seconds * per_second_);
}

bool CancelThrottle::admit(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_addresses_ && !buckets_.contains(address)) {
    // Full buckets hold nothing a fresh one would not: forget them to stay bounded.
    std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second, now) >= per_second_; });
    if (buckets_.size() >= max_addresses_) return false;  // that many sources busy at once
  }
  auto [it, fresh] = buckets_.try_emplace(address, Bucket{per_second_, now});
  Bucket& b = it->second;
  b.tokens = refilled(b, now);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace blueshift::proxy

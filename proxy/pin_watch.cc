#include "proxy/pin_watch.h"

#include <cstdio>

namespace blueshift::proxy {

std::optional<SchedSample> read_thread_schedstat() {
  std::FILE* f = std::fopen("/proc/thread-self/schedstat", "r");
  if (f == nullptr) return std::nullopt;
  unsigned long long run = 0, wait = 0;
  const int got = std::fscanf(f, "%llu %llu", &run, &wait);
  std::fclose(f);
  if (got != 2) return std::nullopt;
  return SchedSample{run, wait};
}

PinWatch::Action PinWatch::observe(SchedSample now, uint64_t interval_ns) {
  const std::optional<SchedSample> before = last_;
  last_ = now;
  if (!before || now.run_ns < before->run_ns || now.wait_ns < before->wait_ns || interval_ns == 0) return Action::None;
  const double ran = static_cast<double>(now.run_ns - before->run_ns);
  const double waited = static_cast<double>(now.wait_ns - before->wait_ns);
  const bool busy_enough = ran + waited >= kMinDemand * static_cast<double>(interval_ns);
  last_share_ = ran + waited > 0 ? waited / (ran + waited) : 0;
  const bool crowded = busy_enough && last_share_ >= kUnpinWaitShare;
  const bool quiet = !busy_enough || last_share_ < kRepinWaitShare;
  if (pinned_) {
    streak_ = crowded ? streak_ + 1 : 0;
    if (streak_ < kBusyIntervals) return Action::None;
  } else {
    streak_ = quiet ? streak_ + 1 : 0;
    if (streak_ < kQuietIntervals) return Action::None;
  }
  streak_ = 0;
  pinned_ = !pinned_;
  return pinned_ ? Action::Repin : Action::Unpin;
}

}  // namespace blueshift::proxy

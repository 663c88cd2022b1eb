// Pinned I/O threads that give their core up while it is busy with other work, and take it
// back once it is quiet (issue 15).
//
// Pinning keeps a thread's sessions on a warm cache and made Blueshift faster than PgBouncer
// on a quiet machine; but a pinned thread cannot leave a core that another process keeps busy,
// where the scheduler would have moved an unpinned one. Each pinned I/O thread therefore reads
// its own scheduler statistics once a second (/proc/thread-self/schedstat: time on the CPU and
// time runnable but waiting for it) and unpins itself while it waits too long.
#pragma once

#include <cstdint>
#include <optional>

namespace blueshift::proxy {

// Cumulative nanoseconds the calling thread ran and waited runnable; nullopt when the kernel
// does not report them (no CONFIG_SCHED_INFO): then pinning simply stays as it is.
struct SchedSample {
  uint64_t run_ns = 0;
  uint64_t wait_ns = 0;
};
[[nodiscard]] std::optional<SchedSample> read_thread_schedstat();

// The decision, fed one sample per interval. Unpin after kBusyIntervals intervals in a row in
// which the thread waited for the CPU at least kUnpinWaitShare of the time it wanted it (and
// wanted it at least kMinDemand of the interval: an idle thread's few wake-ups say nothing);
// pin again after kQuietIntervals in a row below kRepinWaitShare.
class PinWatch {
 public:
  static constexpr double kUnpinWaitShare = 0.25;
  static constexpr double kRepinWaitShare = 0.10;
  static constexpr double kMinDemand = 0.02;
  static constexpr int kBusyIntervals = 2;
  static constexpr int kQuietIntervals = 10;

  enum class Action { None, Unpin, Repin };
  Action observe(SchedSample now, uint64_t interval_ns);
  [[nodiscard]] bool pinned() const { return pinned_; }
  [[nodiscard]] double last_wait_share() const { return last_share_; }

 private:
  std::optional<SchedSample> last_;
  bool pinned_ = true;
  int streak_ = 0;
  double last_share_ = 0;
};

}  // namespace blueshift::proxy

// Which core each I/O thread is pinned to, when pinning is asked for (pin_io_threads).
//
// Pinning keeps a thread's sessions' state (socket buffers, coroutine frames, the epoll set)
// in one core's cache, but a pinned thread cannot leave a core a busy neighbour holds. Off by
// default: pinned threads gave more throughput in the benchmark's placement phases, but
// beside busy neighbours more single-client latency, and in both loads the worst p99 under
// load (tests/bench/README.md, sessions 10, 20 and 21). Pinning happens only when there are
// no more threads than cores the process may use: threads sharing a core could not be moved
// off a busy one.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace blueshift::proxy {

// allowed: the cores the process may run on (sched_getaffinity), in order. The core for
// each of `threads` I/O threads, or empty when they are not to be pinned.
[[nodiscard]] std::vector<int> io_thread_cores(const std::vector<int>& allowed, size_t threads);

// The cores this process may run on; empty when that cannot be read.
[[nodiscard]] std::vector<int> allowed_cores();

// How many I/O threads to run and whether to pin them. configured: io_threads (0 = choose);
// allowed: how many cores the process may use; cpu_limit: the cgroup's CPU limit in cores
// (cgroup_cpu.h). Chosen: one thread per allowed core, but no more than the limit rounded
// up. Pinned only when asked and when the process has its cores to itself: under a CPU limit
// below the cores allowed it shares them with other containers, and a pinned thread could
// not leave a busy one.
// poll_us (io_poll_us, loop_runner.h) likewise holds only where the cores are the process's
// own: a thread polling a shared core takes it from the neighbours it shares with.
struct IoThreadPlan {
  unsigned threads = 1;
  bool pin = false;
  std::chrono::microseconds poll{0};
  std::string why;  // for the start-up log line
};
[[nodiscard]] IoThreadPlan plan_io_threads(int configured, bool pin, size_t allowed, std::optional<double> cpu_limit,
                                           int poll_us = 0);

// Pins the calling thread to core; false (errno set) when the system refuses.
bool pin_current_thread(int core);
// Lets the calling thread run on any of `cores` (undoing a pin); false when refused.
bool set_current_thread_cores(const std::vector<int>& cores);

}  // namespace blueshift::proxy

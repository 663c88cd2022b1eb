// Which core each I/O thread is pinned to.
//
// Each I/O thread runs its own sessions, so a thread that the scheduler moves between cores
// takes its sessions' state (socket buffers, coroutine frames, the epoll set) to a cold
// cache, and on a machine it shares with clients or a database it is moved often. On the
// 2-core benchmark machine, pinned threads took Blueshift from 0.94-0.99 of PgBouncer's
// pgbench -S throughput to 1.04-1.20 in three runs (README, Speed). Pinning happens only when there
// are no more threads than cores the process may use: threads sharing a core could not be
// moved off a busy one.
#pragma once

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

// Pins the calling thread to core; false (errno set) when the system refuses.
bool pin_current_thread(int core);

// The CPUs' worth of time a cgroup v2 quota allows ("200000 100000" in cpu.max is 2.0), or
// nullopt when there is none ("max ...") or the file cannot be read. Kubernetes CPU limits
// and `docker run --cpus` set it.
[[nodiscard]] std::optional<double> cgroup_cpu_quota(const std::string& cpu_max_path = "/sys/fs/cgroup/cpu.max");

// How many I/O threads by default, and whether to pin them: one per allowed core, but no
// more than the quota rounded up; threads are pinned only when the quota (if any) covers
// every allowed core, since a container allowed 2 CPUs' worth on a 64-core node runs where
// the scheduler puts it. `why` says what decided, for the start-up log.
struct ThreadPlan {
  size_t threads = 1;
  bool pin = true;
  std::string why;
};
[[nodiscard]] ThreadPlan default_thread_plan(size_t allowed_cores, std::optional<double> quota);

}  // namespace blueshift::proxy

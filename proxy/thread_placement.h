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
#include <vector>

namespace blueshift::proxy {

// allowed: the cores the process may run on (sched_getaffinity), in order. The core for
// each of `threads` I/O threads, or empty when they are not to be pinned.
[[nodiscard]] std::vector<int> io_thread_cores(const std::vector<int>& allowed, size_t threads);

// The cores this process may run on; empty when that cannot be read.
[[nodiscard]] std::vector<int> allowed_cores();

// Pins the calling thread to core; false (errno set) when the system refuses.
bool pin_current_thread(int core);

}  // namespace blueshift::proxy

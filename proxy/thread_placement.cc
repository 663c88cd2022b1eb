#include "proxy/thread_placement.h"

#include <pthread.h>
#include <sched.h>

namespace blueshift::proxy {

std::vector<int> io_thread_cores(const std::vector<int>& allowed, size_t threads) {
  if (threads == 0 || threads > allowed.size()) return {};
  return std::vector<int>(allowed.begin(), allowed.begin() + static_cast<std::ptrdiff_t>(threads));
}

std::vector<int> allowed_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return {};
  std::vector<int> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cores.push_back(cpu);
  }
  return cores;
}

bool pin_current_thread(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

}  // namespace blueshift::proxy

#include "proxy/thread_placement.h"

#include <pthread.h>
#include <sched.h>

#include <cmath>
#include <cstdio>

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

IoThreadPlan plan_io_threads(int configured, bool pin, size_t allowed, std::optional<double> cpu_limit, int poll_us) {
  allowed = std::max<size_t>(allowed, 1);
  const bool shared = cpu_limit && *cpu_limit < static_cast<double>(allowed);
  const size_t budget = shared ? std::max<size_t>(1, static_cast<size_t>(std::ceil(*cpu_limit - 1e-9))) : allowed;
  IoThreadPlan plan;
  plan.threads = configured > 0 ? static_cast<unsigned>(configured) : static_cast<unsigned>(budget);
  const bool own_cores = !shared && plan.threads <= allowed;
  plan.pin = pin && own_cores;
  if (poll_us > 0 && own_cores) plan.poll = std::chrono::microseconds(poll_us);
  char limit[48] = "no CPU limit";
  if (cpu_limit) std::snprintf(limit, sizeof limit, "a CPU limit of %.2f", *cpu_limit);
  plan.why = std::to_string(plan.threads) + " I/O thread(s) (" +
             (configured > 0 ? "io_threads" : "one per usable core") + "; " + std::to_string(allowed) +
             " core(s) allowed, " + limit + "), " +
             (plan.pin ? "pinned"
              : !pin   ? "not pinned (pin_io_threads: false)"
              : shared ? "not pinned: under the CPU limit the cores are shared"
                       : "not pinned: more threads than cores");
  if (poll_us > 0) {
    plan.why += own_cores ? ", polling " + std::to_string(poll_us) + " us before sleeping (io_poll_us)"
                          : ", not polling: the cores are shared (io_poll_us)";
  }
  return plan;
}

bool pin_current_thread(int core) { return set_current_thread_cores({core}); }

bool set_current_thread_cores(const std::vector<int>& cores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int core : cores) CPU_SET(core, &set);
  return !cores.empty() && pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

}  // namespace blueshift::proxy

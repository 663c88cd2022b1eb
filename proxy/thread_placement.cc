#include "proxy/thread_placement.h"

#include <pthread.h>
#include <sched.h>

#include <cmath>
#include <fstream>
#include <sstream>

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

std::optional<double> cgroup_cpu_quota(const std::string& cpu_max_path) {
  std::ifstream file(cpu_max_path);
  std::string quota;
  double period = 0;
  if (!(file >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  try {
    const double value = std::stod(quota) / period;
    return value > 0 ? std::optional<double>(value) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ThreadPlan default_thread_plan(size_t allowed_cores, std::optional<double> quota) {
  ThreadPlan plan;
  plan.threads = allowed_cores == 0 ? 1 : allowed_cores;
  std::ostringstream why;
  why << allowed_cores << " cores allowed";
  if (quota) {
    const auto quota_threads = static_cast<size_t>(std::max(1.0, std::ceil(*quota - 1e-9)));
    why << ", cgroup CPU quota " << *quota;
    if (quota_threads < plan.threads) {
      plan.threads = quota_threads;
      plan.pin = false;
      why << ": " << plan.threads << " threads, not pinned (the quota is less than the cores allowed)";
    }
  }
  plan.why = why.str();
  return plan;
}

bool pin_current_thread(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

}  // namespace blueshift::proxy

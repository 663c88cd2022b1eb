// The CPU limit a container (cgroup) puts on this process, for choosing how many I/O
// threads to run and whether to pin them (thread_placement.h).
//
// In Kubernetes a pod with `limits.cpu: 2` on a 16-core node may use all 16 cores but only
// two cores' worth of time each period: sixteen busy I/O threads would be throttled, and
// threads pinned to cores 0 and 1 would queue behind other pods' work there.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blueshift::proxy {

// "max 100000" (cgroup v2 cpu.max) -> nullopt; "150000 100000" -> 1.5 cores. v1 passes its
// cpu.cfs_quota_us and cpu.cfs_period_us joined by a space ("-1 100000": no limit). nullopt
// when the text is not understood, so that a surprise never limits the proxy.
[[nodiscard]] std::optional<double> parse_cpu_max(std::string_view text);

// The tightest CPU limit (in cores) on this process's cgroup and its ancestors, read under
// `root` ("/" in production; a test builds a fake tree): cgroup v2 (`0::/path` in
// /proc/self/cgroup, cpu.max) or v1 (the `cpu` controller's cfs quota and period).
// nullopt: no limit, or no cgroup information.
[[nodiscard]] std::optional<double> cgroup_cpu_limit(const std::string& root = "/");

}  // namespace blueshift::proxy

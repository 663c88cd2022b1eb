#include "proxy/cgroup_cpu.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace blueshift::proxy {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<long long> to_number(std::string_view s) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The cgroup path of a controller in /proc/self/cgroup: "0::/a/b" for v2 (controller ""),
// "4:cpu,cpuacct:/a/b" for v1.
std::optional<std::string> cgroup_path(const std::string& proc_cgroup, std::string_view controller) {
  std::istringstream lines(proc_cgroup);
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string_view list = std::string_view(line).substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controller.empty() ? list.empty() : ("," + std::string(list) + ",").find("," + std::string(controller) + ",") != std::string::npos)
      return path;
  }
  return std::nullopt;
}

// Every directory from `dir` up to the hierarchy's root: a limit on any ancestor applies.
std::vector<std::string> self_and_ancestors(std::string dir) {
  std::vector<std::string> out;
  while (!dir.empty() && dir != "/") {
    out.push_back(dir);
    dir = dir.substr(0, dir.find_last_of('/'));
  }
  out.push_back("");
  return out;
}

std::optional<double> tighter(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

std::optional<double> parse_cpu_max(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = to_number(text.substr(0, space));
  const auto period = to_number(text.substr(space + 1));
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;  // "max" or -1: none
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

std::optional<double> cgroup_cpu_limit(const std::string& root) {
  const auto proc = read_file(root + "/proc/self/cgroup");
  if (!proc) return std::nullopt;
  std::optional<double> limit;
  if (const auto v1 = cgroup_path(*proc, "cpu")) {
    for (const auto& dir : self_and_ancestors(*v1)) {
      const std::string base = root + "/sys/fs/cgroup/cpu" + dir;
      const auto quota = read_file(base + "/cpu.cfs_quota_us");
      const auto period = read_file(base + "/cpu.cfs_period_us");
      if (quota && period) limit = tighter(limit, parse_cpu_max(quota->substr(0, quota->find('\n')) + " " + *period));
    }
    return limit;
  }
  if (const auto v2 = cgroup_path(*proc, "")) {
    for (const auto& dir : self_and_ancestors(*v2)) {
      if (const auto max = read_file(root + "/sys/fs/cgroup" + dir + "/cpu.max")) limit = tighter(limit, parse_cpu_max(*max));
    }
  }
  return limit;
}

}  // namespace blueshift::proxy

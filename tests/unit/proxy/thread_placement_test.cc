#include "proxy/thread_placement.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace blueshift::proxy {
namespace {

TEST(ThreadPlacement, OneThreadPerAllowedCoreInOrder) {
  EXPECT_EQ(io_thread_cores({0, 1}, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(io_thread_cores({0, 1, 2, 3}, 2), (std::vector<int>{0, 1}));
  // A restricted set (taskset, a container's cpuset): its own cores, not 0..n-1.
  EXPECT_EQ(io_thread_cores({2, 5, 7}, 3), (std::vector<int>{2, 5, 7}));
}

TEST(ThreadPlacement, NoPinningWhenThreadsWouldShareACore) {
  EXPECT_TRUE(io_thread_cores({0, 1}, 3).empty());
  EXPECT_TRUE(io_thread_cores({}, 1).empty());
  EXPECT_TRUE(io_thread_cores({0}, 0).empty());
}

TEST(ThreadPlacement, PinsTheCallingThreadToAnAllowedCore) {
  const std::vector<int> allowed = allowed_cores();
  ASSERT_FALSE(allowed.empty());
  const int core = allowed.back();
  std::vector<int> seen;
  // On a thread of its own, so the test runner's affinity stays as it was.
  std::thread([&] {
    ASSERT_TRUE(pin_current_thread(core));
    seen = allowed_cores();
  }).join();
  EXPECT_EQ(seen, std::vector<int>{core});
  EXPECT_EQ(allowed_cores(), allowed);
}

}  // namespace
// cgroup v2 cpu.max: "QUOTA PERIOD" or "max PERIOD".
TEST(ThreadPlacement, ReadsTheCgroupCpuQuota) {
  const std::string path = testing::TempDir() + "cpu.max";
  auto quota_of = [&](const std::string& text) {
    std::ofstream(path) << text;
    return cgroup_cpu_quota(path);
  };
  EXPECT_EQ(quota_of("200000 100000\n"), 2.0);
  EXPECT_EQ(quota_of("50000 100000\n"), 0.5);
  EXPECT_FALSE(quota_of("max 100000\n"));
  EXPECT_FALSE(quota_of("garbage\n"));
  EXPECT_FALSE(quota_of("100000 0\n"));
  std::remove(path.c_str());
  EXPECT_FALSE(cgroup_cpu_quota(path)) << "no file: no quota";
}

TEST(ThreadPlacement, DefaultThreadsFitTheQuota) {
  const ThreadPlan none = default_thread_plan(64, std::nullopt);
  EXPECT_EQ(none.threads, 64u);
  EXPECT_TRUE(none.pin);
  const ThreadPlan two = default_thread_plan(64, 2.0);
  EXPECT_EQ(two.threads, 2u) << "2 CPUs' worth of quota on a 64-core node";
  EXPECT_FALSE(two.pin) << "the quota is smaller than the cores allowed";
  EXPECT_NE(two.why.find("quota"), std::string::npos) << two.why;
  EXPECT_EQ(default_thread_plan(64, 1.5).threads, 2u) << "rounded up";
  EXPECT_EQ(default_thread_plan(64, 0.2).threads, 1u);
  const ThreadPlan covered = default_thread_plan(4, 8.0);
  EXPECT_EQ(covered.threads, 4u);
  EXPECT_TRUE(covered.pin) << "a quota covering every allowed core changes nothing";
}

}  // namespace blueshift::proxy

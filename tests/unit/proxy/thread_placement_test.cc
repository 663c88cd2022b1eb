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

TEST(IoThreadPlan, OneThreadPerCorePinnedWithoutALimit) {
  const IoThreadPlan plan = plan_io_threads(0, true, 4, std::nullopt);
  EXPECT_EQ(plan.threads, 4u);
  EXPECT_TRUE(plan.pin);
  // A limit at or above the cores allowed limits nothing.
  EXPECT_EQ(plan_io_threads(0, true, 4, 4.0).threads, 4u);
  EXPECT_TRUE(plan_io_threads(0, true, 4, 8.0).pin);
}

TEST(IoThreadPlan, ACpuLimitCapsTheThreadsAndStopsPinning) {
  // Kubernetes limits.cpu: 1500m on a 16-core node: two threads, free to move.
  const IoThreadPlan plan = plan_io_threads(0, true, 16, 1.5);
  EXPECT_EQ(plan.threads, 2u);
  EXPECT_FALSE(plan.pin);
  EXPECT_NE(plan.why.find("CPU limit"), std::string::npos) << plan.why;
  EXPECT_EQ(plan_io_threads(0, true, 16, 0.25).threads, 1u);
  EXPECT_EQ(plan_io_threads(0, true, 16, 2.0).threads, 2u);
}

TEST(IoThreadPlan, ConfiguredThreadsWinButArePinnedOnlyOneToACore) {
  EXPECT_EQ(plan_io_threads(3, true, 16, 1.0).threads, 3u);
  EXPECT_FALSE(plan_io_threads(3, true, 2, std::nullopt).pin);
  EXPECT_TRUE(plan_io_threads(2, true, 2, std::nullopt).pin);
  EXPECT_FALSE(plan_io_threads(2, false, 2, std::nullopt).pin);
  EXPECT_EQ(plan_io_threads(0, true, 0, std::nullopt).threads, 1u);
}

TEST(IoThreadPlan, PollsOnlyOnCoresOfItsOwn) {
  const IoThreadPlan own = plan_io_threads(2, false, 4, std::nullopt, 50);
  EXPECT_EQ(own.poll, std::chrono::microseconds(50));
  EXPECT_NE(own.why.find("polling 50 us"), std::string::npos) << own.why;
  EXPECT_EQ(plan_io_threads(0, false, 4, std::nullopt, 0).poll.count(), 0);
  // Under a CPU limit below the cores, or with more threads than cores, a polling thread
  // would take a core from whoever shares it.
  const IoThreadPlan limited = plan_io_threads(0, false, 16, 1.5, 50);
  EXPECT_EQ(limited.poll.count(), 0);
  EXPECT_NE(limited.why.find("not polling"), std::string::npos) << limited.why;
  EXPECT_EQ(plan_io_threads(3, false, 2, std::nullopt, 50).poll.count(), 0);
}

}  // namespace
}  // namespace blueshift::proxy

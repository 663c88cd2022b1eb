#include "proxy/thread_placement.h"

#include <gtest/gtest.h>

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
}  // namespace blueshift::proxy

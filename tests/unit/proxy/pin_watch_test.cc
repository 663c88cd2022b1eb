#include "proxy/pin_watch.h"

#include <gtest/gtest.h>

namespace blueshift::proxy {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

// Feeds one interval in which the thread ran `run_ms` and waited runnable `wait_ms`.
struct Feeder {
  PinWatch watch;
  SchedSample total;
  Feeder() { watch.observe(total, kSecond); }
  PinWatch::Action interval(uint64_t run_ms, uint64_t wait_ms) {
    total.run_ns += run_ms * 1'000'000;
    total.wait_ns += wait_ms * 1'000'000;
    return watch.observe(total, kSecond);
  }
};

TEST(PinWatch, UnpinsAfterTwoCrowdedIntervalsInARow) {
  Feeder f;
  EXPECT_EQ(f.interval(300, 200), PinWatch::Action::None);  // 40% waiting: one crowded interval
  EXPECT_EQ(f.interval(300, 10), PinWatch::Action::None);   // quiet again: the streak restarts
  EXPECT_EQ(f.interval(300, 200), PinWatch::Action::None);
  EXPECT_EQ(f.interval(300, 150), PinWatch::Action::Unpin);  // 33%
  EXPECT_FALSE(f.watch.pinned());
  EXPECT_NEAR(f.watch.last_wait_share(), 150.0 / 450.0, 1e-9);
}

TEST(PinWatch, AnIdleThreadsWaitsSayNothing) {
  Feeder f;
  // 5 ms of demand in a second, most of it waiting: below the minimum demand.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(f.interval(1, 4), PinWatch::Action::None);
  EXPECT_TRUE(f.watch.pinned());
}

TEST(PinWatch, PinsAgainOnlyAfterTenQuietIntervals) {
  Feeder f;
  f.interval(300, 300);
  ASSERT_EQ(f.interval(300, 300), PinWatch::Action::Unpin);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(f.interval(300, 10), PinWatch::Action::None) << i;
  EXPECT_EQ(f.interval(300, 100), PinWatch::Action::None);  // 25%: not quiet, the count restarts
  for (int i = 0; i < 9; ++i) EXPECT_EQ(f.interval(0, 0), PinWatch::Action::None) << i;  // idle counts as quiet
  EXPECT_EQ(f.interval(300, 10), PinWatch::Action::Repin);
  EXPECT_TRUE(f.watch.pinned());
}

TEST(PinWatch, CountersThatGoBackwardsAreIgnored) {
  Feeder f;
  f.interval(300, 300);
  EXPECT_EQ(f.watch.observe(SchedSample{0, 0}, kSecond), PinWatch::Action::None);
  EXPECT_TRUE(f.watch.pinned());
}

TEST(PinWatch, ReadsThisThreadsSchedulerStatistics) {
  const auto a = read_thread_schedstat();
  if (!a) GTEST_SKIP() << "no /proc/thread-self/schedstat here";
  volatile uint64_t spin = 0;
  for (int i = 0; i < 20'000'000; ++i) spin = spin + i;
  const auto b = read_thread_schedstat();
  ASSERT_TRUE(b);
  EXPECT_GT(b->run_ns, a->run_ns);
}

}  // namespace
}  // namespace blueshift::proxy

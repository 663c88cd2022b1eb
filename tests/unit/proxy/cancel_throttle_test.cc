#include "proxy/cancel_throttle.h"

#include <gtest/gtest.h>

namespace blueshift::proxy {
namespace {

using std::chrono::milliseconds;

TEST(CancelThrottle, ABurstPerAddressThenTheRate) {
  CancelThrottle throttle(10, 100);
  const auto t0 = CancelThrottle::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(throttle.admit("10.0.0.1", t0)) << i;
  EXPECT_FALSE(throttle.admit("10.0.0.1", t0)) << "the burst is spent";
  EXPECT_TRUE(throttle.admit("10.0.0.2", t0)) << "addresses have buckets of their own";
  EXPECT_FALSE(throttle.admit("10.0.0.1", t0 + milliseconds(50)));
  EXPECT_TRUE(throttle.admit("10.0.0.1", t0 + milliseconds(100))) << "one token back each 1/rate";
  EXPECT_FALSE(throttle.admit("10.0.0.1", t0 + milliseconds(110)));
}

TEST(CancelThrottle, StaysBoundedInAddresses) {
  CancelThrottle throttle(10, 2);
  const auto t0 = CancelThrottle::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(throttle.admit("a", t0));
  EXPECT_TRUE(throttle.admit("b", t0));
  EXPECT_FALSE(throttle.admit("c", t0)) << "two sources busy: a third is not tracked";
  EXPECT_TRUE(throttle.admit("c", t0 + std::chrono::seconds(1))) << "refilled buckets are forgotten";
}

}  // namespace
}  // namespace blueshift::proxy

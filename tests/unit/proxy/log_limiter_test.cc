#include "proxy/log_limiter.h"

#include <gtest/gtest.h>

namespace blueshift::proxy {
namespace {

using std::chrono::milliseconds;

TEST(LogLimiter, OneLinePerIntervalPerKindWithTheCountLeftOut) {
  LogLimiter<2> limiter(milliseconds(1000));
  const auto t0 = LogLimiter<2>::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(limiter.admit(0, t0), 0u);
  EXPECT_EQ(limiter.admit(0, t0 + milliseconds(10)), std::nullopt);
  EXPECT_EQ(limiter.admit(0, t0 + milliseconds(999)), std::nullopt);
  EXPECT_EQ(limiter.admit(1, t0 + milliseconds(500)), 0u) << "kinds are limited separately";
  EXPECT_EQ(limiter.admit(0, t0 + milliseconds(1000)), 2u);
  EXPECT_EQ(limiter.admit(0, t0 + milliseconds(1500)), std::nullopt);
  EXPECT_EQ(limiter.admit(0, t0 + milliseconds(5000)), 1u);
  EXPECT_EQ(limiter.admit(0, t0 + milliseconds(9000)), 0u);
}

}  // namespace
}  // namespace blueshift::proxy

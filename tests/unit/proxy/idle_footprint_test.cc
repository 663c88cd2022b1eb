// What every idle session holds inline (README, Speed: memory per idle client). These bounds
// fail when a change adds inline state that only some sessions use: keep such state behind a
// pointer made when needed, as Stream's Asio socket (gone once watched) and BudgetGate's lease.
#include <gtest/gtest.h>

#include "proxy/budget_gate.h"
#include "proxy/session.h"
#include "proxy/stream.h"

namespace blueshift::proxy {
namespace {

TEST(IdleFootprint, SessionStreamsAndBudgetGateStayWithinTheirBytes) {
  EXPECT_LE(sizeof(Stream), 64u);
  EXPECT_LE(sizeof(BudgetGate), 16u);
  EXPECT_LE(sizeof(Session), 1120u);  // 1,320 before session 11: 1.8-2.1 KiB an idle session
}

}  // namespace
}  // namespace blueshift::proxy

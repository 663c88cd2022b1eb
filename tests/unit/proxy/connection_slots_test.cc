// Connection places by phase: unauthenticated connections limited in total and per client
// address, refusals bounded by the same total, and clients under max_client_connections.
#include "proxy/connection_slots.h"

#include <gtest/gtest.h>

#include <vector>

namespace blueshift::proxy {
namespace {

using Admission = ConnectionSlots::Admission;

TEST(ConnectionSlots, LimitsEachAddressAndTheTotal) {
  ConnectionSlots slots;
  const ConnectionSlots::Limits limits{3, 2};
  std::vector<ConnectionSlots::Place> held(8);
  EXPECT_EQ(slots.admit("10.0.0.1", limits, &held[0]), Admission::Admit);
  EXPECT_EQ(slots.admit("10.0.0.1", limits, &held[1]), Admission::Admit);
  EXPECT_EQ(slots.admit("10.0.0.1", limits, &held[2]), Admission::RefuseAddress) << "the address's share is 2";
  EXPECT_EQ(slots.admit("10.0.0.2", limits, &held[3]), Admission::Admit) << "another address has its own share";
  EXPECT_EQ(slots.admit("10.0.0.3", limits, &held[4]), Admission::RefuseTotal) << "the total is 3";
  EXPECT_EQ(slots.unauthenticated(), 3u);
  EXPECT_EQ(slots.unauthenticated_from("10.0.0.1"), 2u);
  EXPECT_EQ(slots.refusing(), 2u);
  EXPECT_EQ(slots.admit("10.0.0.3", limits, &held[5]), Admission::RefuseTotal);
  EXPECT_EQ(slots.admit("10.0.0.4", limits, &held[6]), Admission::Close) << "refusals are bounded by the total too";
  EXPECT_EQ(slots.refusing(), 3u);

  held[0].release();  // logged in: the place goes back to its address and to the total
  EXPECT_EQ(slots.unauthenticated_from("10.0.0.1"), 1u);
  EXPECT_EQ(slots.admit("10.0.0.3", limits, &held[7]), Admission::Admit);
  held[0].release();  // a second release gives nothing back twice
  EXPECT_EQ(slots.unauthenticated(), 3u);
  held.clear();  // every connection ended: all places back
  EXPECT_EQ(slots.unauthenticated(), 0u);
  EXPECT_EQ(slots.refusing(), 0u);
  EXPECT_EQ(slots.unauthenticated_from("10.0.0.1"), 0u);
}

TEST(ConnectionSlots, APlaceMovesWithItsConnection) {
  ConnectionSlots slots;
  ConnectionSlots::Place a;
  ASSERT_EQ(slots.admit("10.0.0.1", {1, 1}, &a), Admission::Admit);
  ConnectionSlots::Place b(std::move(a));
  a.release();
  EXPECT_EQ(slots.unauthenticated(), 1u) << "the moved-from place holds nothing";
  ConnectionSlots::Place c;
  EXPECT_EQ(slots.admit("10.0.0.2", {1, 1}, &c), Admission::RefuseTotal);
  c = std::move(b);  // c's refusal place is given back, b's admitted one taken over
  EXPECT_EQ(slots.refusing(), 0u);
  EXPECT_EQ(slots.unauthenticated(), 1u);
  c.release();
  EXPECT_EQ(slots.unauthenticated(), 0u);
}

TEST(ConnectionSlots, CountsClientsAgainstTheirLimit) {
  ConnectionSlots slots;
  EXPECT_TRUE(slots.enter_client(2));
  EXPECT_TRUE(slots.enter_client(2));
  EXPECT_FALSE(slots.enter_client(2));
  EXPECT_EQ(slots.clients(), 2u) << "a refused client holds nothing";
  slots.leave_client();
  EXPECT_TRUE(slots.enter_client(2));
}

}  // namespace
}  // namespace blueshift::proxy

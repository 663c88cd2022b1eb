#include "proxy/cancel_registry.h"

#include <gtest/gtest.h>

#include <set>

namespace blueshift::proxy {
namespace {

TEST(CancelRegistry, GivesTheServersPidAndAFreshSecret) {
  CancelRegistry registry;
  const BackendKey upstream{4242, 777};
  const BackendKey client = registry.issue(upstream);
  EXPECT_EQ(client.process_id, upstream.process_id) << "the client must see the server's own pid";
  EXPECT_NE(client.secret_key, upstream.secret_key);
  auto found = registry.find(client);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, upstream);
}

TEST(CancelRegistry, OnlyTheExactPairMatches) {
  CancelRegistry registry;
  const BackendKey client = registry.issue(BackendKey{1, 2});
  EXPECT_FALSE(registry.find(BackendKey{client.process_id, client.secret_key + 1}).has_value());
  EXPECT_FALSE(registry.find(BackendKey{client.process_id + 1, client.secret_key}).has_value());
  EXPECT_FALSE(registry.find(BackendKey{1, 2}).has_value()) << "the upstream's own key must not cancel";
}

TEST(CancelRegistry, RemovedKeysNoLongerCancel) {
  CancelRegistry registry;
  const BackendKey client = registry.issue(BackendKey{1, 2});
  registry.remove(client);
  EXPECT_FALSE(registry.find(client).has_value());
  EXPECT_EQ(registry.size(), 0u);
}

TEST(CancelRegistry, ThePidReusedWhileItsOldSessionEndsGetsItsOwnKey) {
  CancelRegistry registry;
  const BackendKey a = registry.issue(BackendKey{77, 1});
  const BackendKey b = registry.issue(BackendKey{77, 2});
  EXPECT_NE(a, b);
  EXPECT_EQ(registry.find(a)->secret_key, 1);
  EXPECT_EQ(registry.find(b)->secret_key, 2);
}

// Every bit of the secret varies without peering; with it the top kPeerIdBits are the peer
// id and every other bit varies.
uint32_t varying_bits(int peer_id) {
  CancelRegistry registry;
  uint32_t ones = 0;
  uint32_t zeros = 0;
  std::set<int32_t> secrets;
  for (int i = 0; i < 10000; ++i) {
    const BackendKey k = registry.issue(BackendKey{i, i}, peer_id);
    if (peer_id != 0) EXPECT_EQ(issuing_peer(k), peer_id);
    ones |= uint32_t(k.secret_key);
    zeros |= ~uint32_t(k.secret_key);
    secrets.insert(k.secret_key);
  }
  // 10,000 draws of 28 or 32 random bits essentially never collide.
  EXPECT_GT(secrets.size(), 9990u);
  return ones & zeros;
}

TEST(CancelRegistry, SecretsAreRandomExceptForThePeerId) {
  EXPECT_EQ(varying_bits(0), 0xffffffffu);
  EXPECT_EQ(varying_bits(5), 0x0fffffffu);
  EXPECT_EQ(varying_bits(kMaxPeerId), 0x0fffffffu);
}

TEST(CancelRoute, WithoutPeeringEveryCancelIsLocal) {
  EXPECT_EQ(route_cancel(BackendKey{10, int32_t(0x30000001)}, 0, {}).kind, CancelRoute::Kind::Local);
  EXPECT_EQ(route_cancel(mark_forwarded(BackendKey{10, 1}), 0, {}).kind, CancelRoute::Kind::Unknown)
      << "nobody forwards to an instance without peering";
}

TEST(CancelRoute, GoesToTheInstanceTheKeyNames) {
  const std::vector<Peer> peers{{1, {"a", 1}}, {2, {"b", 2}}, {3, {"c", 3}}};
  const BackendKey of1{10, int32_t(0x1abcdef0)};
  const BackendKey of3{10, int32_t(0x3abcdef0)};
  const BackendKey of9{10, int32_t(0x9abcdef0)};
  EXPECT_EQ(route_cancel(of1, 1, peers).kind, CancelRoute::Kind::Local);
  const CancelRoute to3 = route_cancel(of3, 1, peers);
  EXPECT_EQ(to3.kind, CancelRoute::Kind::Peer);
  EXPECT_EQ(to3.peer, 3);
  EXPECT_EQ(route_cancel(of9, 1, peers).kind, CancelRoute::Kind::Unknown) << "no peer 9";
  EXPECT_EQ(route_cancel(BackendKey{10, 0x0abcdef0}, 1, peers).kind, CancelRoute::Kind::Unknown) << "no peer 0";
}

TEST(CancelRoute, AForwardedCancelIsNeverForwardedAgain) {
  const std::vector<Peer> peers{{1, {"a", 1}}, {2, {"b", 2}}};
  const BackendKey of2{4321, int32_t(0x2abcdef0)};
  const BackendKey forwarded = mark_forwarded(of2);
  EXPECT_TRUE(is_forwarded(forwarded));
  EXPECT_FALSE(is_forwarded(of2));
  EXPECT_EQ(unmark_forwarded(forwarded), of2);
  EXPECT_EQ(route_cancel(forwarded, 1, peers).kind, CancelRoute::Kind::Unknown);
  EXPECT_EQ(route_cancel(forwarded, 2, peers).kind, CancelRoute::Kind::Local);
}

}  // namespace
}  // namespace blueshift::proxy

#include "proxy/cancel_registry.h"

#include <gtest/gtest.h>

#include <set>

namespace blueshift::proxy {
namespace {

TEST(CancelRegistry, IssuesFreshKeysThatMapToTheUpstream) {
  CancelRegistry registry;
  const BackendKey upstream{4242, 777};
  const BackendKey client = registry.issue(upstream);
  EXPECT_NE(client, upstream);
  EXPECT_GT(client.process_id, 0);
  auto found = registry.find(client);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, upstream);
}

TEST(CancelRegistry, OnlyAnExactKeyMatches) {
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

TEST(CancelRegistry, KeysAreDistinctAcrossManySessions) {
  CancelRegistry registry;
  std::set<std::pair<int32_t, int32_t>> seen;
  std::set<int32_t> secrets;
  for (int i = 0; i < 10000; ++i) {
    const BackendKey k = registry.issue(BackendKey{i, i});
    EXPECT_TRUE(seen.insert({k.process_id, k.secret_key}).second);
    secrets.insert(k.secret_key);
  }
  EXPECT_EQ(registry.size(), 10000u);
  // Secrets come from a CSPRNG: 10,000 draws of 32 bits essentially never collide.
  EXPECT_GT(secrets.size(), 9990u);
}

}  // namespace
}  // namespace blueshift::proxy

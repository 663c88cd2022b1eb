// Statements and portals as the server has them: requests take effect when confirmed,
// never when failed or skipped; every candidate stays visible until then.
#include "proxy/object_table.h"

#include <gtest/gtest.h>

namespace blueshift::proxy {
namespace {

InfoPtr info() { return std::make_shared<ObjectInfo>(); }

size_t candidates(const ObjectTable& t, std::string_view name) {
  const auto* c = t.find(name);
  return c == nullptr ? 0 : c->size();
}

TEST(ObjectTable, UnknownNamesAreNotTracked) {
  ObjectTable t;
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.tracks("s"));
  EXPECT_EQ(t.find("s"), nullptr);
}

TEST(ObjectTable, ARequestIsACandidateBesideTheConfirmedState) {
  ObjectTable t;
  const InfoPtr a = info();
  const uint64_t ticket = t.request("s", a, 0);
  EXPECT_EQ(candidates(t, "s"), 2u);  // nothing known yet, or a
  t.confirm("s", ticket);
  ASSERT_EQ(candidates(t, "s"), 1u);
  EXPECT_EQ(t.find("s")->front().info, a);
}

TEST(ObjectTable, AFailedRequestNeverTakesEffect) {
  ObjectTable t;
  const InfoPtr a = info();
  t.confirm("s", t.request("s", a, 0));
  const uint64_t replaced = t.request("s", nullptr, 1);
  t.fail("s", replaced);
  ASSERT_EQ(candidates(t, "s"), 1u);
  EXPECT_EQ(t.find("s")->front().info, a);
}

TEST(ObjectTable, AConfirmedCloseForgetsTheName) {
  ObjectTable t;
  t.confirm("s", t.request("s", info(), 0));
  t.confirm("s", t.request("s", nullptr, 1));
  EXPECT_FALSE(t.tracks("s"));
}

TEST(ObjectTable, ConfirmingALaterRequestSupersedesEarlierOnes) {
  ObjectTable t;
  const uint64_t first = t.request("s", info(), 0);
  const InfoPtr b = info();
  const uint64_t second = t.request("s", b, 0);
  t.confirm("s", second);
  t.fail("s", first);
  ASSERT_EQ(candidates(t, "s"), 1u);
  EXPECT_EQ(t.find("s")->front().info, b);
}

TEST(ObjectTable, TransactionEndDropsPortalsMadeUpToIt) {
  ObjectTable t;
  t.confirm("p", t.request("p", info(), 0));
  const InfoPtr later = info();
  (void)t.request("q", later, 2);  // a Bind of a later batch, still in flight
  t.end_transaction(0);
  EXPECT_FALSE(t.tracks("p"));
  ASSERT_EQ(candidates(t, "q"), 2u);
  EXPECT_EQ(t.find("q")->back().info, later);
}

}  // namespace
}  // namespace blueshift::proxy

// UpsertKeys: the catalog's keys per database, read off the I/O threads (here: a queue the
// test runs by hand), never waited for, read again when a table is missing or the
// snapshot is old; unqualified names resolve through the session's search_path.
#include "proxy/upsert_keys.h"

#include <gtest/gtest.h>

#include <deque>

namespace blueshift::proxy {
namespace {

struct Fixture {
  std::deque<std::function<void()>> queue;
  std::vector<std::string> reads;  // the databases read, in order
  policies::TableKeys catalog;
  bool fail = false;
  UpsertKeys::Clock::time_point now{std::chrono::hours(1)};
  std::shared_ptr<UpsertKeys> keys;

  Fixture() {
    catalog.tables["public.t"] = {{"t_pkey", {"k"}}};
    catalog.tables["etl.t"] = {{"etl_t_key", {"a", "b"}}};
    catalog.tables["public.bare"] = {};
    UpsertKeys::Options o;
    o.load = [this](const std::string& db) -> absl::StatusOr<policies::TableKeys> {
      reads.push_back(db);
      if (fail) return absl::UnavailableError("connection refused");
      return catalog;
    };
    o.post = [this](std::function<void()> f) { queue.push_back(std::move(f)); };
    o.max_age = std::chrono::seconds(30);
    o.now = [this] { return now; };
    keys = std::make_shared<UpsertKeys>(std::move(o));
  }
  void run() {
    while (!queue.empty()) {
      auto f = std::move(queue.front());
      queue.pop_front();
      f();
    }
  }
  static policies::SessionContext session(std::vector<std::string> path = {}) {
    policies::SessionContext s;
    s.user = "analyst";
    s.database = "dev";
    s.search_path = std::move(path);
    return s;
  }
  std::string first_key(const absl::StatusOr<std::vector<rewrite::UpsertKey>>& k) {
    if (!k.ok()) return "error: " + std::string(k.status().message());
    return k->empty() ? "none" : k->front().name;
  }
};

TEST(UpsertKeys, AFirstLookupStartsAReadAndIsToldToRetry) {
  Fixture f;
  const auto before = f.keys->lookup(f.session(), "", "t");
  ASSERT_FALSE(before.ok());
  EXPECT_NE(before.status().message().find("retry"), std::string_view::npos);
  EXPECT_TRUE(f.reads.empty());  // nothing read on the caller's thread
  f.run();
  EXPECT_EQ(f.reads, std::vector<std::string>{"dev"});
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "", "t")), "t_pkey");
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "public", "bare")), "none");
  EXPECT_EQ(f.reads.size(), 1u);  // cached
}

TEST(UpsertKeys, PrefetchReadsTheDatabaseOnce) {
  Fixture f;
  f.keys->prefetch("dev");
  f.keys->prefetch("dev");
  EXPECT_EQ(f.queue.size(), 1u);
  f.run();
  f.keys->prefetch("dev");
  EXPECT_TRUE(f.queue.empty());
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "etl", "t")), "etl_t_key");
}

TEST(UpsertKeys, UnqualifiedNamesFollowTheSearchPath) {
  Fixture f;
  f.keys->prefetch("dev");
  f.run();
  policies::SessionContext etl = f.session({"$user", "public"});
  etl.user = "etl";
  EXPECT_EQ(f.first_key(f.keys->lookup(etl, "", "t")), "etl_t_key");
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session({"$user", "public"}), "", "t")), "t_pkey");
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session({"public", "etl"}), "", "t")), "t_pkey");
  policies::SessionContext uncertain = f.session();
  uncertain.search_path_uncertain = true;
  EXPECT_FALSE(f.keys->lookup(uncertain, "", "t").ok());
  EXPECT_EQ(f.first_key(f.keys->lookup(uncertain, "public", "t")), "t_pkey");
}

TEST(UpsertKeys, AMissingTableIsReadAgainAtMostOnceASecond) {
  Fixture f;
  f.keys->prefetch("dev");
  f.run();
  EXPECT_FALSE(f.keys->lookup(f.session(), "", "fresh").ok());
  EXPECT_TRUE(f.queue.empty());  // the prefetch read started less than a second ago
  f.now += std::chrono::seconds(2);
  EXPECT_FALSE(f.keys->lookup(f.session(), "", "fresh").ok());
  EXPECT_EQ(f.queue.size(), 1u);
  f.catalog.tables["public.fresh"] = {{"fresh_pkey", {"id"}}};
  f.run();
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "", "fresh")), "fresh_pkey");
}

TEST(UpsertKeys, AnOldSnapshotServesWhileItIsReadAgain) {
  Fixture f;
  f.keys->prefetch("dev");
  f.run();
  f.catalog.tables["public.t"] = {{"t_other_key", {"k2"}}};
  f.now += std::chrono::seconds(31);
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "", "t")), "t_pkey");
  f.run();
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "", "t")), "t_other_key");
}

TEST(UpsertKeys, AFailedReadIsReportedAndRetried) {
  Fixture f;
  f.fail = true;
  f.keys->prefetch("dev");
  f.run();
  const auto failed = f.keys->lookup(f.session(), "", "t");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("connection refused"), std::string_view::npos);
  f.fail = false;
  f.now += std::chrono::seconds(2);
  EXPECT_FALSE(f.keys->lookup(f.session(), "", "t").ok());
  f.run();
  EXPECT_EQ(f.first_key(f.keys->lookup(f.session(), "", "t")), "t_pkey");
  EXPECT_EQ(f.reads.size(), 2u);
}

}  // namespace
}  // namespace blueshift::proxy

// Loading the catalog over libpq from the dev warehouse (deploy/dev/warehouse.sh), when
// BLUESHIFT_DEV_PORT is set and it answers; each expectation is checked against the
// warehouse's own answer to an independent query, not against numbers written here.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "dev_warehouse.h"
#include "fixtures.h"
#include "policies/catalog_loader.h"
#include "policies/evaluate.h"
#include "policies/governor.h"

namespace blueshift::policies {
namespace {

using namespace testing;

TEST(PartitionValues, Parse) {
  using V = std::vector<std::string>;
  EXPECT_EQ(parse_partition_values(R"(["2024","01"])"), V({"2024", "01"}));
  EXPECT_EQ(parse_partition_values(R"(["a \"b\""])"), V({"a \"b\""}));
  EXPECT_EQ(parse_partition_values(R"([2024, 1])"), V({"2024", "1"}));
  EXPECT_EQ(parse_partition_values("[]"), V());
  EXPECT_EQ(parse_partition_values("{2024,01}"), V({"2024", "01"}));
  EXPECT_EQ(parse_partition_values(R"({"a,b",c})"), V({"a,b", "c"}));
  EXPECT_EQ(parse_partition_values("{}"), V());
  EXPECT_EQ(parse_partition_values(R"({"x)"), std::nullopt);
  EXPECT_EQ(parse_partition_values(R"({"a":1})"), std::nullopt);
  EXPECT_EQ(parse_partition_values("2024"), std::nullopt);
  EXPECT_EQ(parse_partition_values(R"([["nested"]])"), std::nullopt);
}

TEST_F(DevWarehouse, LoadsExternalTablesPartitionsRelationsAndGroups) {
  auto loaded = load_catalog(conninfo_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Catalog& c = *loaded;
  EXPECT_TRUE(c.loaded);

  // Every external table the view lists, and nothing else.
  std::set<std::string> expected_tables;
  for (const auto& t : column("SELECT schemaname || '.' || tablename FROM svv_external_tables")) expected_tables.insert(t);
  std::set<std::string> loaded_tables;
  for (const auto& [key, t] : c.external) loaded_tables.insert(key);
  EXPECT_EQ(loaded_tables, expected_tables);

  const ExternalTable* sales = c.find_external("spectrum_schema.sales");
  ASSERT_NE(sales, nullptr);
  EXPECT_EQ(sales->partition_columns,
            column("SELECT columnname FROM svv_external_columns WHERE schemaname = 'spectrum_schema' AND "
                   "tablename = 'sales' AND part_key > 0 ORDER BY part_key"));
  EXPECT_EQ(sales->partition_columns, (std::vector<std::string>{"year", "month"}));
  EXPECT_EQ(sales->columns, column("SELECT columnname FROM svv_external_columns WHERE schemaname = 'spectrum_schema' "
                                   "AND tablename = 'sales' ORDER BY columnnum"));

  // One partition per distinct (year, month) of the data, values in part_key order.
  const auto distinct = column(
      "SELECT DISTINCT year::text || '/' || lpad(month::text, 2, '0') FROM spectrum_schema.sales ORDER BY 1");
  ASSERT_FALSE(distinct.empty());
  EXPECT_EQ(sales->partitions.size(), distinct.size());
  std::set<std::string> seen;
  for (const auto& p : sales->partitions) {
    ASSERT_EQ(p.size(), 2u);
    seen.insert(p[0] + "/" + (p[1].size() == 1 ? "0" + p[1] : p[1]));
  }
  EXPECT_EQ(seen, std::set<std::string>(distinct.begin(), distinct.end()));

  // Relations and columns for search_path resolution, local and external.
  EXPECT_TRUE(c.relation_exists("public", "sales_fact"));
  EXPECT_TRUE(c.relation_exists("spectrum_schema", "sales"));
  EXPECT_FALSE(c.relation_exists("public", "no_such_table"));
  ASSERT_NE(c.columns_of("public", "sales_fact"), nullptr);
  EXPECT_EQ(*c.columns_of("public", "sales_fact"),
            column("SELECT attname FROM pg_attribute WHERE attrelid = 'public.sales_fact'::regclass AND attnum > 0 "
                   "AND NOT attisdropped ORDER BY attnum"));

  // Group membership.
  ASSERT_TRUE(c.user_groups.count("analyst"));
  EXPECT_EQ(c.user_groups.at("analyst"), (std::vector<std::string>{"analysts"}));
  ASSERT_TRUE(c.user_groups.count("etl"));  // a known user without groups
  EXPECT_TRUE(c.user_groups.at("etl").empty());
}

TEST_F(DevWarehouse, DecisionsCountRealPartitions) {
  auto loaded = load_catalog(conninfo_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const PolicySet p = policy(kDemoPolicies);
  const auto total = column("SELECT count(*) FROM svv_external_partitions WHERE schemaname = 'spectrum_schema' AND "
                            "tablename = 'sales'");
  ASSERT_EQ(total.size(), 1u);
  const Decision d = evaluate(p, facts({select({scan("spectrum_schema.sales")})}), analyst(), *loaded);
  ASSERT_EQ(d.outcome, Decision::Outcome::Refuse);
  EXPECT_EQ(d.shown()->detail, "year is not bounded, month is not; " + total[0] + " partitions match");

  const auto one_year = column("SELECT min(year)::text FROM spectrum_schema.sales");
  const auto months = column("SELECT count(DISTINCT month)::text FROM spectrum_schema.sales WHERE year = " + one_year[0]);
  const Decision y = evaluate(p, facts({select({scan("spectrum_schema.sales", {{"year", eq(num(one_year[0]))}})})}),
                              analyst(), *loaded);
  EXPECT_EQ(y.shown()->detail, "year is bounded (year = " + one_year[0] + "), month is not; " + months[0] +
                                   (months[0] == "1" ? " partition matches" : " partitions match"));
}

TEST_F(DevWarehouse, LooksUpOneUser) {
  auto analyst_groups = load_user_groups(conninfo_, "analyst");
  ASSERT_TRUE(analyst_groups.ok()) << analyst_groups.status();
  ASSERT_TRUE(analyst_groups->has_value());
  EXPECT_EQ(**analyst_groups, (std::vector<std::string>{"analysts"}));
  auto etl_groups = load_user_groups(conninfo_, "etl");
  ASSERT_TRUE(etl_groups.ok());
  ASSERT_TRUE(etl_groups->has_value());
  EXPECT_TRUE((*etl_groups)->empty());
  auto nobody = load_user_groups(conninfo_, "no_such_user_at_all");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->has_value());
}

TEST_F(DevWarehouse, GovernorReadsTheCatalogItself) {
  // The production wiring: only a conninfo, no injected loaders.
  auto g = Governor::create(YAML::Load(kDemoPolicies), conninfo_, "");
  const auto total = column("SELECT count(*) FROM svv_external_partitions WHERE schemaname = 'spectrum_schema' AND "
                            "tablename = 'sales'");
  SessionContext analyst_session{"analyst", "dev", "psql", "127.0.0.1", {}};
  const Verdict v = g->check_query("SELECT sale_id FROM spectrum_schema.sales", analyst_session).verdict;
  EXPECT_EQ(v.outcome, Verdict::Outcome::Refuse);
  EXPECT_EQ(v.sqlstate, "42501");
  EXPECT_EQ(v.detail.substr(0, v.detail.find('\n')), "year is not bounded, month is not; " + total[0] + " partitions match");
  // Unqualified names resolve through search_path against the real relation list.
  SessionContext lake_first = analyst_session;
  lake_first.search_path = {"spectrum_schema", "public"};
  EXPECT_EQ(g->check_query("SELECT sale_id FROM sales", lake_first).verdict.outcome, Verdict::Outcome::Refuse);
  EXPECT_EQ(g->check_query("DELETE FROM sales_fact", lake_first).verdict.outcome, Verdict::Outcome::Refuse);
  // legacy is in no group; etl is exempt.
  EXPECT_EQ(g->check_query("SELECT sale_id FROM spectrum_schema.sales", {"legacy", "dev", "psql", "127.0.0.1", {}}).verdict.outcome,
            Verdict::Outcome::Pass);
  EXPECT_EQ(g->check_query("SELECT sale_id FROM spectrum_schema.sales", {"etl", "dev", "psql", "127.0.0.1", {}}).verdict.outcome,
            Verdict::Outcome::Pass);
  std::string error;
  EXPECT_TRUE(g->refresh_catalog(&error)) << error;
}

TEST(CatalogLoader, UnreachableWarehouseIsAClearError) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  auto loaded = load_catalog("host=127.0.0.1 port=1 dbname=dev user=etl connect_timeout=2");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(loaded.status().message()).find("catalog connection failed"), std::string::npos)
      << loaded.status();
}

}  // namespace
}  // namespace blueshift::policies

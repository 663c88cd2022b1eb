// The `routing:` section: what it accepts, and the key named in each error.
#include "proxy/routing_settings.h"

#include <gtest/gtest.h>

#include <string>

namespace blueshift::proxy {
namespace {

RoutingSettings parse(const std::string& yaml) { return parse_routing_settings(YAML::Load(yaml)); }

std::string error_of(const std::string& yaml) {
  try {
    (void)parse(yaml);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(RoutingSettings, ReadsExternalTables) {
  const RoutingSettings s = parse(R"(
external_tables:
  Spectrum_Schema.Sales: {date_column: Sale_Date, partitions: {year: year, month: month}}
  lake.events: {date_column: event_time, partitions: {dt: date}}
)");
  ASSERT_EQ(s.external_tables.size(), 2u);
  EXPECT_EQ(s.external_tables[0].qualified(), "spectrum_schema.sales");
  EXPECT_EQ(s.external_tables[0].date_column, "sale_date");
  ASSERT_EQ(s.external_tables[0].partitions.size(), 2u);
  EXPECT_EQ(s.external_tables[0].partitions[1].name, "month");
  EXPECT_EQ(s.external_tables[0].partitions[1].field, rewrite::PartitionField::Month);
  EXPECT_EQ(s.external_tables[1].partitions[0].field, rewrite::PartitionField::Date);
  EXPECT_TRUE(parse("").empty());
  EXPECT_FALSE(make_router(std::make_shared<RoutingSettings>()));
}

TEST(RoutingSettings, ErrorsNameTheKey) {
  const std::pair<const char*, const char*> rows[] = {
      {"tables: {}", "routing.tables: unknown key"},
      {"external_tables: [a]", "routing.external_tables: must be a mapping"},
      {"external_tables: {sales: {date_column: d, partitions: {year: year}}}", "routing.external_tables.sales: expected schema.table"},
      {"external_tables: {s.t: {partitions: {year: year}}}", "routing.external_tables.s.t.date_column: expected a name"},
      {"external_tables: {s.t: {date_column: d, partitions: {y: years}}}", "routing.external_tables.s.t.partitions.y: expected year, month or date"},
      {"external_tables: {s.t: {date_column: d, partitions: {m: month, d: date}}}", "routing.external_tables.s.t.partitions: a month partition column needs a year one"},
      {"external_tables: {s.t: {date_column: d, partitions: {m: month}}}", "needs a year or a date partition column"},
      {"external_tables: {s.t: {date_column: d, partition: {y: year}}}", "routing.external_tables.s.t.partition: unknown key"},
  };
  for (const auto& [yaml, error] : rows) {
    EXPECT_NE(error_of(yaml).find(error), std::string::npos) << yaml << " -> " << error_of(yaml);
  }
}

TEST(RoutingSettings, ReadsTierPairsAndRules) {
  const RoutingSettings s = parse(R"(
external_tables:
  spectrum_schema.sales: {date_column: sale_date, partitions: {year: year, month: month}}
tiers:
  - local: Public.Sales_Fact
    external: spectrum_schema.sales
    date_column: sale_date
    columns: [sale_id, customer_id, amount, sale_date]
    external_columns: {amount: amt}
    local_from: {watermark: "SELECT min(sale_date) FROM public.sales_fact", refresh_seconds: 30}
tier_rules:
  - {name: adhoc, scope: {applications: ["psql*"]}, tier: external}
)");
  ASSERT_EQ(s.tiers.size(), 1u);
  const auto& p = s.tiers[0].pair;
  EXPECT_EQ(p.local(), "public.sales_fact");
  EXPECT_EQ(p.external(), "spectrum_schema.sales");
  EXPECT_EQ(p.columns.size(), 4u);
  EXPECT_EQ(p.external_column("amount"), "amt");
  EXPECT_EQ(p.external_column("sale_id"), "sale_id");
  EXPECT_EQ(p.partitions.size(), 2u);  // from external_tables
  EXPECT_EQ(s.tiers[0].from.kind, LocalFrom::Kind::Watermark);
  EXPECT_EQ(s.tiers[0].from.refresh_seconds, 30);
  EXPECT_EQ(s.tiers[0].from.max_age_seconds, 300);
  ASSERT_EQ(s.tier_rules.size(), 1u);
  EXPECT_EQ(s.tier_rules[0].tier, rewrite::Tier::External);
  EXPECT_EQ(s.tier_rules[0].scope.applications, std::vector<std::string>{"psql*"});
  EXPECT_FALSE(s.empty());
}

TEST(RoutingSettings, TierErrorsNameTheKey) {
  const std::string pair = "{local: public.f, external: s.e, date_column: d, columns: [a, d], ";
  const std::pair<std::string, const char*> rows[] = {
      {"tiers: {a: b}", "routing.tiers: must be a list"},
      {"tiers: [" + pair + "local_from: {date: 2024-13-01}}]", "routing.tiers[0].local_from.date: expected a date"},
      {"tiers: [" + pair + "local_from: {days: 3, months: 1}}]", "routing.tiers[0].local_from: expected exactly one"},
      {"tiers: [" + pair + "local_from: {watermark: q, refresh_seconds: 600}}]",
       "routing.tiers[0].local_from.max_age_seconds: must be at least refresh_seconds"},
      {"tiers: [" + pair + "}]", "routing.tiers[0].local_from: expected where"},
      {"tiers: [{local: f, external: s.e, date_column: d, columns: [d], local_from: {days: 1}}]",
       "routing.tiers[0].local: expected schema.table"},
      {"tiers: [{local: p.f, external: s.e, date_column: d, columns: [a], local_from: {days: 1}}]",
       "routing.tiers[0].columns: must list the date column"},
      {"tiers: [" + pair + "external_columns: {zz: y}, local_from: {days: 1}}]",
       "routing.tiers[0].external_columns.zz: unknown key"},
      {"tier_rules: [{scope: {users: [a]}, tier: sideways}]", "routing.tier_rules[0].tier: expected external"},
      {"tier_rules: [{tier: external}]", "routing.tier_rules[0].scope: expected a scope"},
  };
  for (const auto& [yaml, error] : rows) {
    EXPECT_NE(error_of(yaml).find(error), std::string::npos) << yaml << " -> " << error_of(yaml);
  }
}

}  // namespace
}  // namespace blueshift::proxy

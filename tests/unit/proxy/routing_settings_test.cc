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

}  // namespace
}  // namespace blueshift::proxy

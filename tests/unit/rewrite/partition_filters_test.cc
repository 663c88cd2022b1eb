// Partition predicates added to external scans: SQL in, SQL out, one row each.
#include "rewrite/partition_filters.h"

#include <gtest/gtest.h>

#include <string>

#include "rewrite/analyzer.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

const DatePartitionedTable kSales{"spectrum_schema", "sales", "sale_date",
                                  {{"year", PartitionField::Year}, {"month", PartitionField::Month}}};
const DatePartitionedTable kEvents{"lake", "events", "event_time", {{"dt", PartitionField::Date}}};

const DatePartitionedTable* lookup(std::string_view schema, std::string_view name) {
  if (schema == kSales.schema && name == kSales.name) return &kSales;
  if (schema == kEvents.schema && name == kEvents.name) return &kEvents;
  return nullptr;
}

PartitionFilterOptions at_2024_05_15() {
  PartitionFilterOptions o;
  o.clock.now = absl::FromCivil(absl::CivilSecond(2024, 5, 15, 10, 30, 0), absl::UTCTimeZone());
  return o;
}

// The routed text, or "" when the text stays as written.
std::string routed(const std::string& sql, PartitionFilterOptions options = at_2024_05_15(),
                   std::vector<std::string> search_path = {"spectrum_schema", "public"}) {
  AnalysisContext ctx = testing::catalog_context(std::move(search_path));
  const QueryFacts facts = analyze(sql, ctx);
  auto r = add_partition_filters(sql, facts, lookup, options);
  return r ? r->sql : "";
}

struct Row {
  const char* name;
  const char* sql;
  const char* out;  // "" = unchanged
};

const Row kRows[] = {
    {"tableau range",
     "SELECT SUM(amount) FROM spectrum_schema.sales WHERE sale_date >= DATE '2024-01-01' AND sale_date < DATE '2024-03-01'",
     "SELECT SUM(amount) FROM (SELECT \"amount\", \"sale_date\" FROM spectrum_schema.sales WHERE (\"year\" = 2024 AND \"month\" BETWEEN 1 AND 2)) "
     "AS \"sales\" WHERE sale_date >= DATE '2024-01-01' AND sale_date < DATE '2024-03-01'"},
    {"alias kept",
     "select s.amount from spectrum_schema.sales s where s.sale_date = '2023-07-04'",
     "select s.amount from (SELECT \"amount\", \"sale_date\" FROM spectrum_schema.sales WHERE (\"year\" = 2023 AND \"month\" = 7)) s where "
     "s.sale_date = '2023-07-04'"},
    {"AS alias kept, quoted written name copied",
     "SELECT * FROM \"spectrum_schema\".\"sales\" AS x WHERE x.sale_date BETWEEN '2022-11-15' AND '2023-02-01'",
     "SELECT * FROM (SELECT * FROM \"spectrum_schema\".\"sales\" WHERE ((\"year\" = 2022 AND \"month\" BETWEEN 11 AND 12) OR "
     "(\"year\" = 2023 AND \"month\" BETWEEN 1 AND 2))) AS x WHERE x.sale_date BETWEEN '2022-11-15' AND '2023-02-01'"},
    {"across three years",
     "SELECT count(*) FROM spectrum_schema.sales WHERE sale_date >= '2022-03-01' AND sale_date <= '2024-05-31'",
     "SELECT count(*) FROM (SELECT \"sale_date\" FROM spectrum_schema.sales WHERE ((\"year\" = 2022 AND \"month\" BETWEEN 3 AND 12) OR "
     "(\"year\" = 2023 AND \"month\" BETWEEN 1 AND 12) OR (\"year\" = 2024 AND \"month\" BETWEEN 1 AND 5))) AS \"sales\" WHERE sale_date >= '2022-03-01' AND sale_date <= "
     "'2024-05-31'"},
    {"relative to the clock",
     "SELECT * FROM spectrum_schema.sales WHERE sale_date >= current_date - INTERVAL '30 days'",
     "SELECT * FROM (SELECT * FROM spectrum_schema.sales WHERE ((\"year\" = 2024 AND \"month\" BETWEEN 4 AND 12) OR "
     "(\"year\" >= 2025 AND \"month\" BETWEEN 1 AND 12))) AS \"sales\" WHERE sale_date >= current_date - INTERVAL '30 days'"},
    {"join: only the external scan changes",
     "SELECT c.name, sum(s.amount) FROM public.customers c JOIN spectrum_schema.sales s ON s.customer_id = c.id "
     "WHERE s.sale_date >= '2024-02-01' AND s.sale_date < '2024-03-01' GROUP BY c.name",
     "SELECT c.name, sum(s.amount) FROM public.customers c JOIN (SELECT \"customer_id\", \"amount\", \"sale_date\" "
     "FROM spectrum_schema.sales WHERE (\"year\" "
     "= 2024 AND \"month\" = 2)) s ON s.customer_id = c.id WHERE s.sale_date >= '2024-02-01' AND s.sale_date < "
     "'2024-03-01' GROUP BY c.name"},
    {"unqualified through search_path, in a CTE",
     "WITH m AS (SELECT * FROM sales WHERE sale_date = '2024-12-24') SELECT count(*) FROM m",
     "WITH m AS (SELECT * FROM (SELECT * FROM sales WHERE (\"year\" = 2024 AND \"month\" = 12)) AS \"sales\" WHERE "
     "sale_date = '2024-12-24') SELECT count(*) FROM m"},
    {"insert ... select reads pruned",
     "INSERT INTO public.sales_fact SELECT sale_id, customer_id, amount, sale_date FROM spectrum_schema.sales WHERE "
     "sale_date >= '2024-12-01'",
     "INSERT INTO public.sales_fact SELECT sale_id, customer_id, amount, sale_date FROM (SELECT \"sale_id\", "
     "\"customer_id\", \"amount\", \"sale_date\" FROM "
     "spectrum_schema.sales WHERE ((\"year\" = 2024 AND \"month\" = 12) OR (\"year\" >= 2025 AND \"month\" BETWEEN 1 AND 12))) AS \"sales\" WHERE "
     "sale_date >= '2024-12-01'"},
    {"hive dt",
     "SELECT * FROM lake.events WHERE event_time >= TIMESTAMP '2024-02-27 08:00:00' AND event_time < '2024-03-02'",
     "SELECT * FROM (SELECT * FROM lake.events WHERE \"dt\" BETWEEN '2024-02-27' AND '2024-03-01') AS \"events\" "
     "WHERE event_time >= TIMESTAMP '2024-02-27 08:00:00' AND event_time < '2024-03-02'"},
    {"a column another scan also reads: *",
     "SELECT s.amount FROM spectrum_schema.sales s JOIN public.sales p ON p.amount = s.amount WHERE s.sale_date = "
     "'2024-01-01'",
     "SELECT s.amount FROM (SELECT * FROM spectrum_schema.sales WHERE (\"year\" = 2024 AND \"month\" = 1)) s JOIN "
     "public.sales p ON p.amount = s.amount WHERE s.sale_date = '2024-01-01'"},
    {"natural join: *",
     "SELECT count(*) FROM spectrum_schema.sales NATURAL JOIN public.customers WHERE sale_date = '2024-01-01'",
     "SELECT count(*) FROM (SELECT * FROM spectrum_schema.sales WHERE (\"year\" = 2024 AND \"month\" = 1)) AS "
     "\"sales\" NATURAL JOIN public.customers WHERE sale_date = '2024-01-01'"},
    {"ON of a left join does not restrict the preserved side",
     "SELECT count(*) FROM spectrum_schema.sales s LEFT JOIN public.customers c ON c.id = s.customer_id AND "
     "s.sale_date = '2024-01-01'",
     ""},
    {"nor of a full join",
     "SELECT count(*) FROM public.customers c FULL JOIN spectrum_schema.sales s ON c.id = s.customer_id AND "
     "s.sale_date = '2024-01-01'",
     ""},
    {"ON of a left join restricts the nullable side",
     "SELECT count(*) FROM public.customers c LEFT JOIN spectrum_schema.sales s ON c.id = s.customer_id AND "
     "s.sale_date = '2024-01-01'",
     "SELECT count(*) FROM public.customers c LEFT JOIN (SELECT \"customer_id\", \"sale_date\" FROM "
     "spectrum_schema.sales WHERE (\"year\" = 2024 AND \"month\" = 1)) s ON c.id = s.customer_id AND s.sale_date = '2024-01-01'"},
    {"partition filter already there", "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND sale_date >= '2024-01-01'", ""},
    {"no date filter", "SELECT * FROM spectrum_schema.sales WHERE amount > 10", ""},
    {"unreadable date filter", "SELECT * FROM spectrum_schema.sales WHERE sale_date >= some_function()", ""},
    {"a $n is not known before Bind", "SELECT * FROM spectrum_schema.sales WHERE sale_date >= $1", ""},
    {"OR with another column bounds nothing",
     "SELECT * FROM spectrum_schema.sales WHERE sale_date >= '2024-01-01' OR amount > 5", ""},
    {"other tables untouched", "SELECT * FROM public.sales_fact WHERE sale_date >= '2024-01-01'", ""},
    {"writes are not reads", "DELETE FROM spectrum_schema.sales WHERE sale_date >= '2024-01-01'", ""},
    {"column qualified by schema.table",
     "SELECT spectrum_schema.sales.amount FROM spectrum_schema.sales WHERE sale_date = '2024-01-01'", ""},
    {"ONLY would not parse", "SELECT * FROM ONLY spectrum_schema.sales WHERE sale_date = '2024-01-01'", ""},
};

TEST(PartitionFilters, SqlInSqlOut) {
  for (const auto& row : kRows) {
    EXPECT_EQ(routed(row.sql), row.out) << row.name;
  }
}

TEST(PartitionFilters, EveryStatementOfAText) {
  EXPECT_EQ(routed("SELECT 1; SELECT * FROM spectrum_schema.sales t WHERE t.sale_date = '2024-01-02'; SELECT 2"),
            "SELECT 1; SELECT * FROM (SELECT * FROM spectrum_schema.sales WHERE (\"year\" = 2024 AND \"month\" = 1)) t "
            "WHERE t.sale_date = '2024-01-02'; SELECT 2");
}

TEST(PartitionFilters, UnsureSearchPathChangesOnlyQualifiedNames) {
  PartitionFilterOptions unsure = at_2024_05_15();
  unsure.search_path_uncertain = true;
  EXPECT_EQ(routed("SELECT * FROM sales WHERE sale_date = '2024-01-02'", unsure, {"spectrum_schema"}), "");
  EXPECT_NE(routed("SELECT * FROM spectrum_schema.sales WHERE sale_date = '2024-01-02'", unsure), "");
}

TEST(PartitionFilters, RoutesSayWhatChanged) {
  const std::string sql = "SELECT * FROM spectrum_schema.sales WHERE sale_date BETWEEN '2024-01-05' AND '2024-01-09'";
  auto r = add_partition_filters(sql, analyze(sql, AnalysisContext{}), lookup, at_2024_05_15());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0],
            "spectrum_schema.sales: sale_date 2024-01-05..2024-01-09 -> (\"year\" = 2024 AND \"month\" = 1)");
}

// A prepared statement whose external scan is dated by $n gets its partitions at Bind.
TEST(PartitionFilters, DatedByParams) {
  const struct {
    const char* sql;
    bool by_params;
  } rows[] = {
      {"SELECT * FROM spectrum_schema.sales WHERE sale_date >= $1 AND sale_date < $2", true},
      {"SELECT COUNT(*) FROM spectrum_schema.sales s WHERE s.sale_date BETWEEN '2024-01-01' AND $1", true},
      {"SELECT * FROM lake.events WHERE event_time >= $1", true},
      {"SELECT * FROM spectrum_schema.sales WHERE sale_date >= '2024-01-01'", false},  // literals: routed at Parse
      {"SELECT * FROM spectrum_schema.sales WHERE year = $1 AND sale_date >= $2", false},  // filters partitions
      {"SELECT * FROM spectrum_schema.sales WHERE amount > $1", false},                     // no date bound
      {"SELECT * FROM public.customers WHERE signup_year >= $1", false},                   // not configured
      {"DELETE FROM spectrum_schema.sales WHERE sale_date >= $1", false},                  // writes never
  };
  for (const auto& row : rows) {
    const QueryFacts facts = analyze(row.sql, testing::catalog_context({"spectrum_schema", "public"}));
    EXPECT_EQ(dated_by_params(facts, lookup, at_2024_05_15()), row.by_params) << row.sql;
  }
}

// The proxy's answer on whether the routed text parses is the one taken.
TEST(PartitionFilters, IsSqlDecides) {
  const std::string sql = "SELECT * FROM spectrum_schema.sales WHERE sale_date = '2024-01-02'";
  PartitionFilterOptions options = at_2024_05_15();
  std::string asked;
  options.is_sql = [&](std::string_view text) {
    asked = text;
    return false;
  };
  EXPECT_EQ(routed(sql, options), "");
  EXPECT_NE(asked.find("\"year\" = 2024"), std::string::npos) << asked;
  options.is_sql = [](std::string_view) { return true; };
  EXPECT_NE(routed(sql, options), "");
}

}  // namespace
}  // namespace blueshift::rewrite

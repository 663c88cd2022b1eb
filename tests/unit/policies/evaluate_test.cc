// evaluate(): hand-built facts in, decision out. One row per situation, each readable on
// its own: which rule fires, with which words, in which mode.
#include <gtest/gtest.h>

#include <functional>

#include "fixtures.h"
#include "policies/evaluate.h"
#include "rewrite/analyzer.h"
#include "rewrite/bounds.h"

namespace blueshift::policies {
namespace {

using namespace testing;  // builders and fixtures
using O = Decision::Outcome;
using K = rewrite::StatementKind;

constexpr const char* kFilterRule = "analysts-must-filter-partitions";
constexpr const char* kFilterMsg =
    "blueshift: query on spectrum_schema.sales refused by rule \"analysts-must-filter-partitions\" "
    "(require_partition_filter)";
constexpr const char* kFilterHint =
    "add WHERE year = ... AND month = ... (partition columns of spectrum_schema.sales: year, month)";
constexpr const char* kMaxMsg =
    "blueshift: query on spectrum_schema.sales refused by rule \"analysts-max-12-partitions\" (max_partitions)";

std::map<std::string, Bound> ym(Bound year, Bound month) { return {{"year", std::move(year)}, {"month", std::move(month)}}; }

struct Row {
  const char* name;
  QueryFacts facts;
  SessionFacts who;
  O outcome;
  const char* rule = nullptr;     // primary finding's rule (nullptr: no finding shown)
  const char* message = nullptr;  // exact, when given
  const char* detail = nullptr;   // exact, when given
  const char* hint = nullptr;     // exact, when given
  size_t findings = 0;            // exact count, when outcome != Pass
  bool needs_params = false;
  const char* yaml = nullptr;     // policies (default: kDemoPolicies)
  bool no_catalog = false;        // evaluate against an unloaded catalog
};

void check(const Row& row) {
  SCOPED_TRACE(row.name);
  const PolicySet p = policy(row.yaml ? row.yaml : kDemoPolicies);
  const Catalog c = row.no_catalog ? Catalog{} : demo_catalog();
  const Decision d = evaluate(p, row.facts, row.who, c);
  EXPECT_EQ(d.outcome, row.outcome);
  EXPECT_EQ(d.needs_params, row.needs_params);
  if (row.outcome == O::Pass) {
    EXPECT_TRUE(d.findings.empty()) << d.findings.front().message;
    EXPECT_EQ(d.shown(), nullptr);
    return;
  }
  ASSERT_NE(d.shown(), nullptr);
  const Finding& f = *d.shown();
  if (row.rule) {
    EXPECT_EQ(f.rule, row.rule);
  }
  if (row.message) {
    EXPECT_EQ(f.message, row.message);
  }
  if (row.detail) {
    EXPECT_EQ(f.detail, row.detail);
  }
  if (row.hint) {
    EXPECT_EQ(f.hint, row.hint);
  }
  if (row.findings) {
    EXPECT_EQ(d.findings.size(), row.findings);
  }
}

TEST(Evaluate, RequirePartitionFilter) {
  const Row rows[] = {
      {"both partition columns bounded", facts({select({scan("spectrum_schema.sales", ym(eq(num("2024")), eq(num("1"))))})}),
       analyst(), O::Pass},
      {"year only", facts({select({scan("spectrum_schema.sales", {{"year", eq(num("2024"))}})})}), analyst(), O::Refuse,
       kFilterRule, kFilterMsg, "year is bounded (year = 2024), month is not; 12 partitions match", kFilterHint, 1},
      {"month only, as a string", facts({select({scan("spectrum_schema.sales", {{"month", eq(str("01"))}})})}), analyst(),
       O::Refuse, kFilterRule, kFilterMsg, "year is not bounded, month is bounded (month = '01'); 3 partitions match",
       kFilterHint, 1},
      {"no filter at all", facts({select({scan("spectrum_schema.sales")})}), analyst(), O::Refuse, kFilterRule, kFilterMsg,
       "year is not bounded, month is not; 36 partitions match", kFilterHint, 2},  // and max_partitions
      {"open range is not finite",
       facts({select({scan("spectrum_schema.sales", ym(ge(num("2023")), eq(num("1"))))})}), analyst(), O::Refuse,
       kFilterRule, kFilterMsg,
       "year is not bounded to a finite set of values (year >= 2023), month is bounded (month = 1); 2 partitions match",
       kFilterHint, 1},
      {"closed range is finite",
       facts({select({scan("spectrum_schema.sales", ym(and_({ge(num("2023")), le(num("2024"))}), eq(num("1"))))})}),
       analyst(), O::Pass},
      {"OR where one branch does not bound year",
       facts({select({scan("spectrum_schema.sales", ym(or_({eq(num("2024")), truth()}), eq(num("3"))))})}), analyst(),
       O::Refuse, kFilterRule, kFilterMsg,
       "year is not bounded to a finite set of values (year = 2024 OR TRUE), month is bounded "
       "(month = 3); 3 partitions match",
       kFilterHint, 1},
      {"OR where every branch bounds year",
       facts({select({scan("spectrum_schema.sales", ym(or_({eq(num("2023")), eq(num("2024"))}), in({num("1"), num("2")})))})}),
       analyst(), O::Pass},
      {"a contradiction bounds the column",
       facts({select({scan("spectrum_schema.sales", ym(falsity(), falsity()))})}), analyst(), O::Pass},
      {"params bound the columns whatever their values",
       facts({select({scan("spectrum_schema.sales", ym(eq(param(1)), eq(param(2))))})}), analyst(), O::Pass, nullptr,
       nullptr, nullptr, nullptr, 0, /*needs_params=*/true},
      {"param open range is refused at once, params or not",
       facts({select({scan("spectrum_schema.sales", ym(ge(param(1)), eq(param(2))))})}), analyst(), O::Refuse, kFilterRule,
       kFilterMsg, "year is not bounded to a finite set of values (year >= $1), month is bounded (month = $2)",
       kFilterHint, 1, /*needs_params=*/true},
      {"etl is exempt", facts({select({scan("spectrum_schema.sales")})}), etl(), O::Pass},
      {"a user outside the group", facts({select({scan("spectrum_schema.sales")})}), session("marketing", {"bi"}), O::Pass},
      {"a second group does not matter", facts({select({scan("spectrum_schema.sales")})}), session("bi_user", {"analysts", "bi"}),
       O::Refuse, kFilterRule},
      {"catalog-governed table with its own partition column", facts({select({scan("spectrum_schema.clicks")})}), analyst(),
       O::Refuse, kFilterRule,
       "blueshift: query on spectrum_schema.clicks refused by rule \"analysts-must-filter-partitions\" "
       "(require_partition_filter)",
       "dt is not bounded; 10 partitions match", "add WHERE dt = ... (partition columns of spectrum_schema.clicks: dt)", 1},
      {"date range on clicks",
       facts({select({scan("spectrum_schema.clicks", {{"dt", between(str("2024-01-02"), str("2024-01-04"))}})})}), analyst(),
       O::Pass},
      {"unpartitioned external table has nothing to filter", facts({select({scan("spectrum_schema.countries")})}), analyst(),
       O::Pass},
      {"local table is not governed", facts({select({scan("public.sales_fact")})}), analyst(), O::Pass},
      {"the same table twice, one scan unfiltered",
       facts({select({scan("spectrum_schema.sales", ym(eq(num("2024")), eq(num("1")))), scan("spectrum_schema.sales")})}),
       analyst(), O::Refuse, kFilterRule, kFilterMsg, nullptr, nullptr, 2},  // one per rule, not per scan
      {"without catalog_tables only declared tables are governed", facts({select({scan("spectrum_schema.clicks")})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false,
       "tables: [spectrum_schema.sales]\nrules: [{name: f, type: require_partition_filter}]"},
      {"columns: [year] needs only year", facts({select({scan("spectrum_schema.sales", {{"year", eq(num("2024"))}})})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, columns: [year]}]"},
      {"columns: [year] without year", facts({select({scan("spectrum_schema.sales", {{"month", eq(num("1"))}})})}),
       analyst(), O::Refuse, "f", nullptr, "year is not bounded, month is bounded (month = 1); 3 partitions match",
       "add WHERE year = ... (partition columns of spectrum_schema.sales: year, month)", 1, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, columns: [year]}]"},
      {"columns: [dt] does not apply to a table without dt", facts({select({scan("spectrum_schema.sales")})}), analyst(),
       O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, columns: [dt]}]"},
      {"columns: any is met by month", facts({select({scan("spectrum_schema.sales", {{"month", eq(num("1"))}})})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, columns: any}]"},
      {"columns: any with nothing", facts({select({scan("spectrum_schema.sales")})}), analyst(), O::Refuse, "f", nullptr,
       nullptr, "add a filter on one of them, e.g. WHERE year = ... (partition columns of spectrum_schema.sales: year, month)",
       1, false, "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, columns: any}]"},
      {"table pattern that does not cover the table", facts({select({scan("spectrum_schema.sales")})}), analyst(), O::Pass,
       nullptr, nullptr, nullptr, nullptr, 0, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, tables: ['other_schema.*']}]"},
      {"declared partition columns without a catalog: no count",
       facts({select({scan("spectrum_schema.sales", {{"year", eq(num("2024"))}})})}), analyst(), O::Refuse, "f", nullptr,
       "year is bounded (year = 2024), month is not", nullptr, 1, false,
       "tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]\n"
       "rules: [{name: f, type: require_partition_filter}]",
       /*no_catalog=*/true},
  };
  for (const auto& row : rows) check(row);
}

TEST(Evaluate, MaxPartitions) {
  const Row rows[] = {
      {"one year is 12: at the limit", facts({select({scan("spectrum_schema.sales", ym(eq(num("2024")), between(num("1"), num("12"))))})}),
       analyst(), O::Pass},
      {"two years of months",
       facts({select({scan("spectrum_schema.sales", ym(in({num("2023"), num("2024")}), and_({ge(num("1")), le(num("12"))})))})}),
       analyst(), O::Refuse, "analysts-max-12-partitions", kMaxMsg,
       "24 partitions match, the limit is 12 (filter found: year IN (2023, 2024), month >= 1 AND month <= 12)",
       "narrow the filter on year, month (partition columns of spectrum_schema.sales) so that at most 12 partitions "
       "match, or split the query",
       1},
      {"all 36",
       facts({select({scan("spectrum_schema.sales", ym(between(num("2022"), num("2024")), between(num("1"), num("12"))))})}),
       analyst(), O::Refuse, "analysts-max-12-partitions", kMaxMsg,
       "36 partitions match, the limit is 12 (filter found: year BETWEEN 2022 AND 2024, month BETWEEN 1 AND 12)"},
      {"years outside the catalog match nothing",
       facts({select({scan("spectrum_schema.sales", ym(between(num("2010"), num("2015")), between(num("1"), num("12"))))})}),
       analyst(), O::Pass},
      {"string values against zero-padded partitions",
       facts({select({scan("spectrum_schema.sales", ym(in({str("2023"), str("2024")}), in({str("01"), str("02"), str("03")})))})}),
       analyst(), O::Pass},
      {"quarter boundaries across years",
       facts({select({scan("spectrum_schema.sales", ym(or_({eq(num("2023")), eq(num("2024"))}), or_({le(num("6")), ge(num("1"))})))})}),
       analyst(), O::Refuse, kFilterRule},  // month is not finite: the filter rule speaks first
      {"params defer the count", facts({select({scan("spectrum_schema.sales", ym(eq(param(1)), between(param(2), param(3))))})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, /*needs_params=*/true},
      {"etl is exempt", facts({select({scan("spectrum_schema.sales", ym(between(num("2022"), num("2024")), between(num("1"), num("12"))))})}),
       etl(), O::Pass},
      {"limit 1", facts({select({scan("spectrum_schema.sales", ym(eq(num("2024")), in({num("1"), num("2")})))})}), analyst(),
       O::Refuse, "m", nullptr, "2 partitions match, the limit is 1 (filter found: year = 2024, month IN (1, 2))",
       "narrow the filter on year, month (partition columns of spectrum_schema.sales) so that at most 1 partition "
       "matches, or split the query",
       1, false, "catalog_tables: true\nrules: [{name: m, type: max_partitions, max: 1}]"},
      {"without any filter max_partitions counts everything", facts({select({scan("spectrum_schema.clicks")})}), analyst(),
       O::Refuse, "m", nullptr, "10 partitions match, the limit is 5", nullptr, 1, false,
       "catalog_tables: true\nrules: [{name: m, type: max_partitions, max: 5}]"},
      {"partitions unknown without a catalog: an audit note, not a refusal",
       facts({select({scan("spectrum_schema.sales", ym(eq(num("2024")), eq(num("1"))))})}), analyst(), O::Audit, "m",
       "blueshift: rule \"m\" (max_partitions) not checked on spectrum_schema.sales",
       "the partitions of spectrum_schema.sales are not known (it is not an external table of the loaded catalog), so "
       "max_partitions was not checked",
       nullptr, 1, false, "tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]\nrules: [{name: m, type: max_partitions, max: 5}]",
       /*no_catalog=*/true},
  };
  for (const auto& row : rows) check(row);
}

// Disjunctions: each partition counts when, in every disjunction, some branch matches it,
// on top of the per-column bounds. require_partition_filter still reads the per-column
// bounds alone: a column is bounded only when every branch bounds it.
TEST(Evaluate, DisjunctionsCountPartitionsExactly) {
  constexpr const char* kMax1 = "catalog_tables: true\nrules: [{name: m, type: max_partitions, max: 1}]";
  constexpr const char* kMax2 = "catalog_tables: true\nrules: [{name: m, type: max_partitions, max: 2}]";
  // (year = 2024 AND month = 1) OR (year = 2023 AND month = 12), as the analyzer gives it.
  const Scan pairs = with_or(scan("spectrum_schema.sales", ym(or_({eq(num("2024")), eq(num("2023"))}),
                                                                or_({eq(num("1")), eq(num("12"))}))),
                             {ym(eq(num("2024")), eq(num("1"))), ym(eq(num("2023")), eq(num("12")))});
  const Row rows[] = {
      {"two pairs are two partitions, not four", facts({select({pairs})}), analyst(), O::Refuse, "m", nullptr,
       "2 partitions match, the limit is 1 (filter found: year = 2024 OR year = 2023, month = 1 OR month = 12; in "
       "combination: (year = 2024 AND month = 1) OR (year = 2023 AND month = 12))",
       nullptr, 1, false, kMax1},
      {"two pairs within a limit of 2", facts({select({pairs})}), analyst(), O::Pass, nullptr, nullptr, nullptr,
       nullptr, 0, false, kMax2},
      {"both columns bounded in every branch satisfy the filter rule", facts({select({pairs})}), analyst(), O::Pass},
      {"a branch leaving year open: refused by the filter rule, with the exact count",
       facts({select({with_or(scan("spectrum_schema.sales", {{"month", or_({eq(num("1")), eq(num("2"))})}}),
                              {ym(eq(num("2024")), eq(num("1"))), {{"month", eq(num("2"))}}})})}),
       analyst(), O::Refuse, kFilterRule, kFilterMsg,
       "year is not bounded, month is bounded (month = 1 OR month = 2); 4 partitions match", kFilterHint, 1},
      {"a year and a range of another year's months",
       facts({select({with_or(scan("spectrum_schema.sales", ym(or_({eq(num("2024")), eq(num("2023"))}),
                                                               or_({between(num("1"), num("12")), le(num("6"))}))),
                              {ym(eq(num("2024")), between(num("1"), num("12"))), ym(eq(num("2023")), le(num("6")))})})}),
       analyst(), O::Refuse, "m", nullptr,
       "18 partitions match, the limit is 1 (filter found: year = 2024 OR year = 2023, month BETWEEN 1 AND 12 OR month "
       "<= 6; in combination: (year = 2024 AND month BETWEEN 1 AND 12) OR (year = 2023 AND month <= 6))",
       nullptr, 1, false, kMax1},
      {"a pair outside the catalog matches nothing",
       facts({select({with_or(scan("spectrum_schema.sales", ym(or_({eq(num("2024")), eq(num("1999"))}),
                                                               or_({eq(num("1")), eq(num("2"))}))),
                              {ym(eq(num("2024")), eq(num("1"))), ym(eq(num("1999")), eq(num("2")))})})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false, kMax1},
      {"a branch on other columns only leaves the partitions to the per-column bounds",
       facts({select({with_or(scan("spectrum_schema.sales", ym(eq(num("2024")), in({num("1"), num("2")}))),
                              {{{"month", eq(num("1"))}, {"amount", gt(num("5"))}}, {{"amount", lt(num("0"))}}})})}),
       analyst(), O::Refuse, "m", nullptr,
       "2 partitions match, the limit is 1 (filter found: year = 2024, month IN (1, 2))", nullptr, 1, false, kMax1},
      {"two disjunctions (WHERE and ON) both hold",
       facts({select({with_or(pairs, {ym(eq(num("2024")), eq(num("1"))), ym(eq(num("2022")), eq(num("3")))})})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false, kMax1},
      {"a $n in a branch defers the count",
       facts({select({with_or(scan("spectrum_schema.sales", ym(or_({eq(param(1)), eq(num("2023"))}),
                                                               or_({eq(num("1")), eq(num("12"))}))),
                              {ym(eq(param(1)), eq(num("1"))), ym(eq(num("2023")), eq(num("12")))})})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, /*needs_params=*/true, kMax1},
      {"a $n only in a branch, not in the per-column bounds, defers the count too",
       facts({select({with_or(scan("spectrum_schema.sales", {{"month", or_({eq(num("1")), eq(num("12"))})}}),
                              {ym(eq(param(1)), eq(num("1"))), {{"month", eq(num("12"))}}})})}),
       analyst(), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, /*needs_params=*/true, kMax2},
  };
  for (const auto& row : rows) check(row);
}

TEST(Evaluate, SelectStar) {
  const char* kStarMsg =
      "blueshift: query on spectrum_schema.sales breaks rule \"no-select-star-on-lake\" (deny_select_star)";
  const Row rows[] = {
      {"star on a filtered scan warns",
       facts({select({scan("spectrum_schema.sales", ym(eq(num("2024")), eq(num("1"))), /*star=*/true)})}), analyst(),
       O::Notice, "no-select-star-on-lake", kStarMsg,
       "SELECT * reads every column of spectrum_schema.sales; external tables are billed by the columns a query reads",
       "name the columns you need instead of *", 1},
      {"star and no filter: the refusal is shown, both are found",
       facts({select({scan("spectrum_schema.sales", {}, true)})}), analyst(), O::Refuse, kFilterRule, kFilterMsg, nullptr,
       nullptr, 3},  // filter, max_partitions, select star
      {"star on an unpartitioned external table", facts({select({scan("spectrum_schema.countries", {}, true)})}), analyst(),
       O::Notice, "no-select-star-on-lake"},
      {"star on a local table is not governed", facts({select({scan("public.sales_fact", {}, true)})}), analyst(), O::Pass},
      {"named columns", facts({select({scan("spectrum_schema.countries")})}), analyst(), O::Pass},
      {"etl is not in the star rule's scope", facts({select({scan("spectrum_schema.countries", {}, true)})}), etl(), O::Pass},
      {"enforced", facts({select({scan("spectrum_schema.countries", {}, true)})}), session("anyone"), O::Refuse, "s",
       "blueshift: query on spectrum_schema.countries refused by rule \"s\" (deny_select_star)", nullptr,
       "name the columns you need instead of *", 1, false, "catalog_tables: true\nrules: [{name: s, type: deny_select_star}]"},
  };
  for (const auto& row : rows) check(row);
}

TEST(Evaluate, DenyStatements) {
  const char* kDdl = "analysts-no-ddl-on-public";
  const Row rows[] = {
      {"delete on public", facts({statement(K::Delete, {"public.sales_fact"})}), analyst(), O::Refuse, kDdl,
       "blueshift: DELETE on public.sales_fact refused by rule \"analysts-no-ddl-on-public\" (deny_statements)",
       "DELETE statements on schema public are not allowed for user analyst",
       "ask an administrator to run it, or to change rule \"analysts-no-ddl-on-public\"", 1},
      {"drop on public", facts({statement(K::Drop, {"public.customers"})}), analyst(), O::Refuse, kDdl,
       "blueshift: DROP on public.customers refused by rule \"analysts-no-ddl-on-public\" (deny_statements)"},
      {"create table as on public", facts({statement(K::CreateTableAs, {"public.copy"}, {scan("public.sales_fact")})}),
       analyst(), O::Refuse, kDdl,
       "blueshift: CREATE TABLE AS on public.copy refused by rule \"analysts-no-ddl-on-public\" (deny_statements)"},
      {"truncate on public", facts({statement(K::Truncate, {"public.customers"})}), analyst(), O::Refuse, kDdl},
      {"alter on public", facts({statement(K::Alter, {"public.customers"})}), analyst(), O::Refuse, kDdl},
      {"insert is not listed", facts({statement(K::Insert, {"public.sales_fact"})}), analyst(), O::Pass},
      {"delete elsewhere", facts({statement(K::Delete, {"scratch.t"})}), analyst(), O::Pass},
      {"delete elsewhere reading public", facts({statement(K::Delete, {"scratch.t"}, {scan("public.customers")})}),
       analyst(), O::Pass},
      {"unknown targets naming the schema fail closed", facts({unknown_targets(K::Drop, {"public", "r", "role"})}),
       analyst(), O::Refuse, kDdl, "blueshift: DROP statement refused by rule \"analysts-no-ddl-on-public\" (deny_statements)",
       "DROP statements on schema public are not allowed for user analyst: the proxy cannot tell which objects this one "
       "acts on, and schema public is named in it or on its search_path"},
      {"unknown targets not naming it pass", facts({unknown_targets(K::Drop, {"scratch", "analyst"})}), analyst(), O::Pass},
      {"a kind not listed naming no table", facts({statement(K::OtherDdl, {})}), analyst(), O::Pass},
      {"acting on no schema object passes (ALTER USER)", facts({statement(K::Alter, {})}), analyst(), O::Pass},
      {"etl may delete", facts({statement(K::Delete, {"public.sales_fact"})}), etl(), O::Pass},
      {"select is not listed", facts({select({scan("public.sales_fact")})}), analyst(), O::Pass},
      {"any schema when none listed", facts({statement(K::Truncate, {"scratch.t"})}), session("x"), O::Refuse, "d",
       "blueshift: TRUNCATE on scratch.t refused by rule \"d\" (deny_statements)",
       "TRUNCATE statements are not allowed for user x", nullptr, 1, false,
       "rules: [{name: d, type: deny_statements, kinds: [truncate]}]"},
      {"kind without a table", facts({statement(K::OtherDdl, {})}), session("x"), O::Refuse, "d",
       "blueshift: OTHER DDL statement refused by rule \"d\" (deny_statements)", nullptr, nullptr, 1, false,
       "rules: [{name: d, type: deny_statements, kinds: [ddl]}]"},
      {"schema globs", facts({statement(K::Delete, {"prod_sales.t"})}), session("x"), O::Refuse, "d", nullptr,
       "DELETE statements on schema prod_* are not allowed for user x", nullptr, 1, false,
       "rules: [{name: d, type: deny_statements, kinds: [delete], schemas: ['prod_*']}]"},
      {"unload reads: its scans count", facts({statement(K::Unload, {}, {scan("public.sales_fact")})}), session("x"),
       O::Refuse, "d", "blueshift: UNLOAD on public.sales_fact refused by rule \"d\" (deny_statements)", nullptr, nullptr,
       1, false, "rules: [{name: d, type: deny_statements, kinds: [unload], schemas: [public]}]"},
  };
  for (const auto& row : rows) check(row);
}

// deny_statements limited to schemas: what a statement acts on decides, not whether it
// names a table.
TEST(Evaluate, DenyStatementsOnSchemaObjects) {
  const char* kProd = "rules: [{name: d, type: deny_statements, kinds: [ddl, utility, set, show, select], schemas: [prod]}]";
  const char* kProdGlob = "rules: [{name: d, type: deny_statements, kinds: [drop], schemas: ['prod*']}]";
  const Row rows[] = {
      {"the schema itself", facts({on_objects(K::Drop, {"schema prod"})}), session("x"), O::Refuse, "d",
       "blueshift: DROP on schema prod refused by rule \"d\" (deny_statements)",
       "DROP statements on schema prod are not allowed for user x",
       "ask an administrator to run it, or to change rule \"d\"", 1, false, kProd},
      {"another schema", facts({on_objects(K::OtherDdl, {"schema scratch"})}), session("x"), O::Pass, nullptr, nullptr,
       nullptr, nullptr, 0, false, kProd},
      {"a function in it", facts({on_objects(K::Alter, {"function prod.f"})}), session("x"), O::Refuse, "d",
       "blueshift: ALTER on function prod.f refused by rule \"d\" (deny_statements)", nullptr, nullptr, 1, false, kProd},
      {"an unqualified function: any search_path schema matches",
       facts({on_objects(K::Drop, {"function analyst.f", "function prod.f"})}), session("x"), O::Refuse, "d",
       "blueshift: DROP on function prod.f refused by rule \"d\" (deny_statements)", nullptr, nullptr, 1, false, kProd},
      {"a table it grants on", facts({on_objects(K::OtherDdl, {"table prod.t"})}), session("x"), O::Refuse, "d",
       "blueshift: OTHER DDL on table prod.t refused by rule \"d\" (deny_statements)", nullptr, nullptr, 1, false, kProd},
      {"objects elsewhere", facts({on_objects(K::Utility, {"table scratch.t", "index public.i"})}), session("x"), O::Pass,
       nullptr, nullptr, nullptr, nullptr, 0, false, kProd},
      {"SET acts on nothing", facts({statement(K::Set, {})}), session("x"), O::Pass, nullptr, nullptr, nullptr, nullptr,
       0, false, kProd},
      {"SHOW acts on nothing", facts({statement(K::Show, {})}), session("x"), O::Pass, nullptr, nullptr, nullptr,
       nullptr, 0, false, kProd},
      {"SELECT 1 reads nothing", facts({select({})}), session("x"), O::Pass, nullptr, nullptr, nullptr, nullptr, 0,
       false, kProd},
      {"SELECT from it", facts({select({scan("prod.t")})}), session("x"), O::Refuse, "d",
       "blueshift: SELECT on prod.t refused by rule \"d\" (deny_statements)", nullptr, nullptr, 1, false, kProd},
      {"may act on every schema", facts({any_schema(K::Utility, "VACUUM without a table processes every table")}),
       session("x"), O::Refuse, "d", "blueshift: UTILITY statement refused by rule \"d\" (deny_statements)",
       "UTILITY statements on schema prod are not allowed for user x, and this one may act on every schema: VACUUM "
       "without a table processes every table",
       nullptr, 1, false, kProd},
      {"every schema, but a kind not listed", facts({any_schema(K::Drop)}), session("x"), O::Pass, nullptr, nullptr,
       nullptr, nullptr, 0, false, "rules: [{name: d, type: deny_statements, kinds: [alter], schemas: [prod]}]"},
      {"written table elsewhere plus every schema (CASCADE)",
       facts({[] {
         auto st = statement(K::Drop, {"scratch.t"});
         st.any_schema = "CASCADE also drops the objects that depend on it, in whatever schema";
         return st;
       }()}),
       session("x"), O::Refuse, "d", "blueshift: DROP statement refused by rule \"d\" (deny_statements)", nullptr,
       nullptr, 1, false, kProdGlob},
      {"unknown targets, schema glob named", facts({unknown_targets(K::Drop, {"prod_eu", "t"})}), session("x"),
       O::Refuse, "d", nullptr,
       "DROP statements on schema prod* are not allowed for user x: the proxy cannot tell which objects this one acts "
       "on, and schema prod_eu is named in it or on its search_path",
       nullptr, 1, false, kProdGlob},
      {"unknown targets: names compare case-insensitively", facts({unknown_targets(K::Drop, {"PROD"})}), session("x"),
       O::Refuse, "d", nullptr, nullptr, nullptr, 1, false, kProdGlob},
      {"unknown targets but reads there: names decide, not reads",
       facts({[] {
         auto st = unknown_targets(K::Drop, {"scratch"});
         st.scans.push_back(scan("prod.t"));
         return st;
       }()}),
       session("x"), O::Pass, nullptr, nullptr, nullptr, nullptr, 0, false, kProdGlob},
      {"no schemas: any statement of the kind, objects or not", facts({on_objects(K::Drop, {"schema scratch"})}),
       session("x"), O::Refuse, "d", "blueshift: DROP on schema scratch refused by rule \"d\" (deny_statements)",
       "DROP statements are not allowed for user x", nullptr, 1, false,
       "rules: [{name: d, type: deny_statements, kinds: [drop]}]"},
  };
  for (const auto& row : rows) check(row);
}

// Code analysis does not read (DO blocks, function bodies) is checked by its names, as
// unparsed text is; code that builds SQL at run time is refused by every rule in scope.
TEST(Evaluate, FailClosedOnOpaqueCode) {
  const char* kUnanalysed =
      "blueshift: query on spectrum_schema.sales refused by rule \"analysts-must-filter-partitions\" "
      "(require_partition_filter): the proxy could not analyse it";
  const char* kHint =
      "run the statements themselves rather than inside a DO block or function, so the proxy can check them, or ask "
      "an administrator to create the function";
  const Row rows[] = {
      {"a DO body naming a governed table", facts({opaque({"perform", "spectrum_schema.sales", "sales"})}), analyst(),
       O::Refuse, kFilterRule, kUnanalysed,
       "the proxy does not analyse the body of a DO block, and it names what the rule protects", kHint},
      {"a DO body naming nothing governed", facts({opaque({"raise", "notice"})}), analyst(), O::Pass},
      {"exempt", facts({opaque({"sales"})}), etl(), O::Pass},
      {"dynamic SQL: every table rule in scope refuses", facts({opaque({"execute"}, "EXECUTE runs SQL built at run time")}),
       analyst(), O::Refuse, kFilterRule,
       "blueshift: statement refused by rule \"analysts-must-filter-partitions\" (require_partition_filter): the "
       "proxy could not analyse it",
       "the proxy does not analyse the body of a DO block, and it cannot check it by its names: EXECUTE runs SQL built "
       "at run time",
       kHint, 4},  // the two table rules, the (warn) star rule, and the schema rule
      {"dynamic SQL, nobody in scope", facts({opaque({"execute"}, "EXECUTE runs SQL built at run time")}),
       session("someone_else"), O::Pass},
      {"a statement rule's schema named in the body", facts({opaque({"delete", "public", "public.t", "t"})}), analyst(),
       O::Refuse, "analysts-no-ddl-on-public",
       "blueshift: statement on schema public refused by rule \"analysts-no-ddl-on-public\" (deny_statements): the "
       "proxy could not analyse it"},
      {"a statement rule without schemas ignores bodies", facts({opaque({"drop"})}), session("x"), O::Pass, nullptr,
       nullptr, nullptr, nullptr, 0, false, "rules: [{name: d, type: deny_statements, kinds: [drop]}]"},
      {"unless it denies unparsed text", facts({opaque({"x"})}), session("x"), O::Refuse, "d",
       "blueshift: statement refused by rule \"d\" (deny_statements): the proxy could not analyse it", nullptr, nullptr,
       1, false, "rules: [{name: d, type: deny_statements, kinds: [unparsed]}]"},
      {"the statement's own facts still count",
       facts({[] {
         auto st = opaque({"nothing"});
         st.kind = K::OtherDdl;
         st.objects.push_back(rewrite::ObjectRef{"function", "public", "f"});
         return st;
       }()}),
       session("x"), O::Refuse, "d", "blueshift: OTHER DDL on function public.f refused by rule \"d\" (deny_statements)",
       nullptr, nullptr, 1, false, "rules: [{name: d, type: deny_statements, kinds: [ddl], schemas: [public]}]"},
  };
  for (const auto& row : rows) check(row);
}

TEST(Evaluate, Modes) {
  const auto unfiltered = facts({select({scan("spectrum_schema.sales")})});
  const Row rows[] = {
      {"enforce refuses", unfiltered, analyst(), O::Refuse, "f",
       "blueshift: query on spectrum_schema.sales refused by rule \"f\" (require_partition_filter)",
       "year is not bounded, month is not; 36 partitions match", kFilterHint, 1, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, mode: enforce, scope: {groups: [analysts]}}]"},
      {"warn notices with the same detail and hint", unfiltered, analyst(), O::Notice, "f",
       "blueshift: query on spectrum_schema.sales breaks rule \"f\" (require_partition_filter)",
       "year is not bounded, month is not; 36 partitions match", kFilterHint, 1, false,
       "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, mode: warn}]"},
      {"audit only logs", unfiltered, analyst(), O::Audit, "f",
       "blueshift: query on spectrum_schema.sales matched rule \"f\" (require_partition_filter)", nullptr, nullptr, 1,
       false, "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, mode: audit}]"},
      {"enforce beats warn beats audit", unfiltered, analyst(), O::Refuse, "e", nullptr, nullptr, nullptr, 3, false,
       "catalog_tables: true\nrules: [{name: a, type: require_partition_filter, mode: audit},"
       " {name: w, type: max_partitions, max: 1, mode: warn}, {name: e, type: require_partition_filter}]"},
      {"warn beats audit", unfiltered, analyst(), O::Notice, "w", nullptr, "36 partitions match, the limit is 1", nullptr,
       2, false,
       "catalog_tables: true\nrules: [{name: a, type: require_partition_filter, mode: audit},"
       " {name: w, type: max_partitions, max: 1, mode: warn}]"},
  };
  for (const auto& row : rows) check(row);
}

TEST(Evaluate, FailClosedOnUnparsedText) {
  const char* kUnanalysed =
      "blueshift: query on spectrum_schema.sales refused by rule \"analysts-must-filter-partitions\" "
      "(require_partition_filter): the proxy could not analyse it";
  const Row rows[] = {
      {"unparsed text naming a governed table", facts({unparsed({"selec", "from", "sales"})}, ""), analyst(), O::Refuse,
       kFilterRule, kUnanalysed, "the SQL parser rejected the statement: syntax error at or near \"SELEC\"",
       "check the statement's syntax; a statement that names a governed table must be understood by the proxy before "
       "it runs"},
      {"qualified, upper case", facts({unparsed({"SPECTRUM_SCHEMA", "SALES"})}, ""), analyst(), O::Refuse, kFilterRule,
       kUnanalysed},
      {"naming nothing governed", facts({unparsed({"selec", "foo"})}, ""), analyst(), O::Pass},
      {"exempt user", facts({unparsed({"sales"})}, ""), etl(), O::Pass},
      {"a statement rule's schema is named", facts({unparsed({"drop", "public", "t"})}, ""), analyst(), O::Refuse,
       "analysts-no-ddl-on-public",
       "blueshift: statement on schema public refused by rule \"analysts-no-ddl-on-public\" (deny_statements): the "
       "proxy could not analyse it"},
      {"statement rule without schemas does not fail closed", facts({unparsed({"frobnicate"})}, ""), session("x"), O::Pass,
       nullptr, nullptr, nullptr, nullptr, 0, false, "rules: [{name: d, type: deny_statements, kinds: [drop]}]"},
      {"unless it denies unparsed text", facts({unparsed({"frobnicate"})}, ""), session("x"), O::Refuse, "d",
       "blueshift: statement refused by rule \"d\" (deny_statements): the proxy could not analyse it", nullptr, nullptr, 1,
       false, "rules: [{name: d, type: deny_statements, kinds: [unparsed]}]"},
      {"warn mode only warns", facts({unparsed({"sales"})}, ""), analyst(), O::Notice, "f",
       "blueshift: query on spectrum_schema.sales breaks rule \"f\" (require_partition_filter): the proxy could not "
       "analyse it",
       nullptr, nullptr, 1, false, "catalog_tables: true\nrules: [{name: f, type: require_partition_filter, mode: warn}]"},
      {"a rule that covers other tables", facts({unparsed({"clicks"})}, ""), analyst(), O::Refuse, kFilterRule,
       "blueshift: query on spectrum_schema.clicks refused by rule \"analysts-must-filter-partitions\" "
       "(require_partition_filter): the proxy could not analyse it",
       nullptr, nullptr, 2},  // the (warn) select-star rule covers clicks too
  };
  for (const auto& row : rows) check(row);
}

TEST(Evaluate, MultiStatement) {
  const auto ok = select({scan("spectrum_schema.sales", ym(eq(num("2024")), eq(num("1"))))});
  const auto bad = select({scan("spectrum_schema.sales")});
  const auto star = select({scan("spectrum_schema.countries", {}, true)});
  const Row rows[] = {
      {"all fine", facts({ok, ok}), analyst(), O::Pass},
      {"the second refuses the whole text", facts({ok, bad}), analyst(), O::Refuse, kFilterRule, kFilterMsg},
      {"a delete among selects", facts({ok, statement(K::Delete, {"public.sales_fact"}), ok}), analyst(), O::Refuse,
       "analysts-no-ddl-on-public"},
      {"a warning among fine statements", facts({ok, star}), analyst(), O::Notice, "no-select-star-on-lake"},
      {"a warning then a refusal: the refusal is shown", facts({star, bad}), analyst(), O::Refuse, kFilterRule, nullptr,
       nullptr, nullptr, 3},
      {"the same problems in two statements are found twice", facts({bad, bad}), analyst(), O::Refuse, kFilterRule,
       nullptr, nullptr, nullptr, 4},
      {"an unparsed statement naming sales", facts({ok, unparsed({"sales"})}), analyst(), O::Refuse, kFilterRule},
  };
  for (const auto& row : rows) check(row);
  // The finding says which statement broke the rule.
  const Decision d = evaluate(policy(kDemoPolicies), facts({ok, bad}), analyst(), demo_catalog());
  ASSERT_EQ(d.findings.size(), 2u);
  EXPECT_EQ(d.findings[0].statement, 1);
  EXPECT_EQ(d.findings[0].table, "spectrum_schema.sales");
  EXPECT_EQ(d.findings[0].rule, kFilterRule);
  EXPECT_EQ(d.findings[1].rule, "analysts-max-12-partitions");
}

struct BindRow {
  const char* name;
  std::vector<rewrite::ParamValue> params;
  O outcome;
  const char* detail;
};

rewrite::ParamValue text(const char* v) { return {std::string(v), false, 0}; }
rewrite::ParamValue sql_null() { return {std::nullopt, false, 0}; }
rewrite::ParamValue unreadable() { return {std::string("\x01\x02\x03", 3), true, 0}; }  // binary, no type

// The row's values put into `parsed` first, or given to evaluate with it: the same final
// decision either way, the row's.
void check_bind_row(const PolicySet& p, const Catalog& c, const QueryFacts& parsed, const BindRow& row) {
  const auto bound = rewrite::substitute_params(parsed, row.params);
  for (const Decision& d : {evaluate(p, bound, analyst(), c, EvaluateOptions{true}),
                            evaluate(p, parsed, analyst(), c, EvaluateOptions{true, nullptr, &row.params})}) {
    EXPECT_FALSE(d.needs_params);
    EXPECT_EQ(d.outcome, row.outcome) << (d.shown() ? d.shown()->detail : "");
    if (row.detail) {
      ASSERT_NE(d.shown(), nullptr);
      EXPECT_EQ(d.shown()->detail, row.detail);
    }
  }
}

TEST(Evaluate, ParamsSubstitutedAtBind) {
  // year = $1 AND month BETWEEN $2 AND $3
  const auto parsed = facts({select({scan("spectrum_schema.sales", ym(eq(param(1)), between(param(2), param(3))))})});
  const PolicySet p = policy(kDemoPolicies);
  const Catalog c = demo_catalog();
  const Decision at_parse = evaluate(p, parsed, analyst(), c);
  EXPECT_TRUE(at_parse.needs_params);
  EXPECT_EQ(at_parse.outcome, O::Pass);

  const BindRow rows[] = {
      {"one quarter", {text("2024"), text("1"), text("3")}, O::Pass, nullptr},
      {"the whole year is the limit", {text("2024"), text("01"), text("12")}, O::Pass, nullptr},
      {"NULL matches nothing", {text("2024"), text("1"), sql_null()}, O::Pass, nullptr},
      {"an unreadable value may match anything", {unreadable(), text("1"), text("12")}, O::Refuse,
       "36 partitions match, the limit is 12 (filter found: year = $1, month BETWEEN 1 AND 12)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    check_bind_row(p, c, parsed, row);
    // Before the values are final, an unreadable one still defers the decision.
    const Decision early = evaluate(p, parsed, analyst(), c, EvaluateOptions{false, nullptr, &row.params});
    EXPECT_EQ(early.needs_params, evaluate(p, rewrite::substitute_params(parsed, row.params), analyst(), c).needs_params);
  }
  // A wider range of months in a 2-partition limit.
  const PolicySet two = policy("catalog_tables: true\nrules: [{name: m, type: max_partitions, max: 2}]");
  const Decision d = evaluate(two, rewrite::substitute_params(parsed, {text("2023"), text("1"), text("3")}), analyst(),
                              c, EvaluateOptions{true});
  EXPECT_EQ(d.outcome, O::Refuse);
  ASSERT_NE(d.shown(), nullptr);
  EXPECT_EQ(d.shown()->detail, "3 partitions match, the limit is 2 (filter found: year = 2023, month BETWEEN 1 AND 3)");
}

// col < ANY(array), col >= ALL(array), ...: the bounds the analyzer gives them decide
// require_partition_filter and max_partitions like the plain comparisons they stand for.
struct QuantifiedRow {
  const char* where;  // on spectrum_schema.sales, analysed
  O outcome;
  const char* detail;  // exact, when given
};

TEST(Evaluate, AnyAndAllBoundPartitionColumns) {
  const PolicySet p = policy(kDemoPolicies);
  const Catalog c = demo_catalog();
  const QuantifiedRow rows[] = {
      {"year >= ANY(ARRAY[2024]) AND month = 1", O::Refuse,
       "year is not bounded to a finite set of values (year >= 2024), month is bounded (month = 1); 1 partition matches"},
      {"year >= ANY(ARRAY[2024, 2023]) AND year <= ALL(ARRAY[2024]) AND month = 1", O::Pass, nullptr},
      {"year = 2024 AND month < ALL('{3,5}')", O::Refuse,
       "year is bounded (year = 2024), month is not bounded to a finite set of values (month < '3'); 2 partitions "
       "match"},
      {"year = 2024 AND month < ALL('{3,5}') AND month >= ANY(ARRAY[1, 2])", O::Pass, nullptr},
      {"year = ALL(ARRAY[2024, 2024]) AND month > ANY(ARRAY[6, 11]) AND month <= ANY(ARRAY[12])", O::Pass, nullptr},
      {"year = ALL(ARRAY[2023, 2024]) AND month = 1", O::Pass, nullptr},  // a contradiction matches nothing
      {"year < ALL('{}'::int[]) AND month = 1", O::Refuse,
       "year is not bounded, month is bounded (month = 1); 3 partitions match"},
      {"year < ANY('{}'::int[]) AND month = 1", O::Pass, nullptr},  // false: nothing to scan
      {"year <= ALL(ARRAY[2024, NULL]) AND month = 1", O::Pass, nullptr},
      {"year >= ANY(ARRAY[2023, NULL]) AND year < 2025 AND month = 1", O::Pass, nullptr},
      {"(year >= ALL(ARRAY[2024]) OR year = 2022) AND year < 2025 AND month = 1", O::Pass, nullptr},
      // year is open, though the OR pairs it with month so that one partition matches.
      {"(year >= ALL(ARRAY[2024]) OR month = 2) AND year < 2025 AND month = 1", O::Refuse,
       "year is not bounded to a finite set of values (year < 2025), month is bounded (month = 1); 1 partition "
       "matches"},
      {"year > ANY(ARRAY[2021, 2022]) AND year <= ALL(ARRAY[2024, 2025]) AND month BETWEEN 1 AND 12", O::Refuse,
       "36 partitions match, the limit is 12 (filter found: year > 2021 AND year <= 2024, month BETWEEN 1 AND 12)"},
      {"year > ALL(ARRAY[2021, 2023]) AND year <= ALL(ARRAY[2024, 2025]) AND month BETWEEN 1 AND 12", O::Pass, nullptr},
      {"year >= ANY(ARRAY[2022]) AND year < ANY(ARRAY[2023, 2025]) AND month <= ALL(ARRAY[7, 9]) AND month >= 2",
       O::Refuse,
       "18 partitions match, the limit is 12 (filter found: year >= 2022 AND year < 2025, month <= 7 AND month >= 2)"},
      {"year <> ALL(ARRAY[2022]) AND month = 1", O::Refuse,
       "year is not bounded, month is bounded (month = 1); 3 partitions match"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.where);
    const QueryFacts f = rewrite::analyze(std::string("SELECT sale_id FROM spectrum_schema.sales WHERE ") + row.where,
                                          rewrite::AnalysisContext{});
    const Decision d = evaluate(p, f, analyst(), c);
    EXPECT_EQ(d.outcome, row.outcome) << (d.shown() ? d.shown()->detail : "");
    if (row.detail) {
      ASSERT_NE(d.shown(), nullptr);
      EXPECT_EQ(d.shown()->detail, row.detail);
    }
  }
}

// year >= ANY($1) AND year < ANY($2): bounded at Parse (each array has a least and a
// greatest element, or none and is false), counted at Bind. year <= ALL($1) is not: an
// empty array would leave year open, so it is refused at once, values or not.
TEST(Evaluate, AnyAndAllArrayParamsAtBind) {
  const PolicySet p = policy(kDemoPolicies);
  const Catalog c = demo_catalog();
  const auto parsed = rewrite::analyze(
      "SELECT sale_id FROM spectrum_schema.sales WHERE year >= ANY($1) AND year < ANY($2) AND month > ALL($3) AND "
      "month BETWEEN 1 AND 12",
      rewrite::AnalysisContext{});
  const Decision at_parse = evaluate(p, parsed, analyst(), c);
  EXPECT_EQ(at_parse.outcome, O::Pass);
  EXPECT_TRUE(at_parse.needs_params);
  const BindRow rows[] = {
      {"three years of half a year", {text("{2024,2022}"), text("{2025}"), text("{6}")}, O::Refuse,
       "18 partitions match, the limit is 12 (filter found: year >= 2022 AND year < 2025, month > 6 AND month BETWEEN "
       "1 AND 12)"},
      {"two years of a quarter", {text("{2024,2023}"), text("{2025,2024}"), text("{2,9}")}, O::Pass, nullptr},
      {"one year", {text("{2024}"), text("{2025,2024}"), text("{10}")}, O::Pass, nullptr},
      {"an empty ANY is false", {text("{}"), text("{2025}"), text("{}")}, O::Pass, nullptr},
      {"a NULL in ALL is never true", {text("{2022}"), text("{2025}"), text("{6,NULL}")}, O::Pass, nullptr},
      {"an empty ALL bounds nothing", {text("{2024}"), text("{2025}"), text("{}")}, O::Pass, nullptr},  // 12 months
      {"an empty ALL: two years", {text("{2023}"), text("{2025}"), text("{}")}, O::Refuse,
       "24 partitions match, the limit is 12 (filter found: year >= 2023 AND year < 2025, month BETWEEN 1 AND 12)"},
      {"an unreadable array may match anything", {text("{2022"), text("{2025}"), text("{0}")}, O::Refuse,
       "36 partitions match, the limit is 12 (filter found: year >= ANY($1) AND year < 2025, month > 0 AND month "
       "BETWEEN 1 AND 12)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    check_bind_row(p, c, parsed, row);
  }
  const auto all = rewrite::analyze("SELECT sale_id FROM spectrum_schema.sales WHERE year <= ALL($1) AND year >= 2024 "
                                    "AND month = 1",
                                    rewrite::AnalysisContext{});
  const Decision refused = evaluate(p, all, analyst(), c);
  EXPECT_EQ(refused.outcome, O::Refuse);
  ASSERT_NE(refused.shown(), nullptr);
  EXPECT_EQ(refused.shown()->detail,
            "year is not bounded to a finite set of values (year <= ALL($1) AND year >= 2024), month is bounded "
            "(month = 1)");
}

TEST(Evaluate, RulesInScopeGivenByTheCaller) {
  const PolicySet p = policy(kDemoPolicies);
  const Catalog c = demo_catalog();
  const auto star = facts({select({scan("spectrum_schema.sales", {}, true)})});
  const auto in_scope = rules_in_scope(p, analyst());
  ASSERT_FALSE(in_scope.empty());
  EXPECT_TRUE(rules_in_scope(p, session("nobody")).empty());
  const Decision computed = evaluate(p, star, analyst(), c);
  const Decision given = evaluate(p, star, analyst(), c, EvaluateOptions{false, &in_scope});
  EXPECT_EQ(given.outcome, O::Refuse);
  EXPECT_EQ(given.outcome, computed.outcome);
  ASSERT_EQ(given.findings.size(), computed.findings.size());
  for (size_t i = 0; i < given.findings.size(); ++i) EXPECT_EQ(given.findings[i].message, computed.findings[i].message);
  // Only the given rules are checked: the scopes are not matched again.
  const std::vector<const Rule*> none;
  EXPECT_EQ(evaluate(p, star, analyst(), c, EvaluateOptions{false, &none}).outcome, O::Pass);
}

TEST(Evaluate, NoRuleInScopeIsAPlainPass) {
  const Decision d = evaluate(policy(kDemoPolicies), facts({select({scan("spectrum_schema.sales", {}, true)})}),
                              session("nobody"), demo_catalog());
  EXPECT_EQ(d.outcome, O::Pass);
  EXPECT_TRUE(d.findings.empty());
  EXPECT_FALSE(d.needs_params);
}

}  // namespace
}  // namespace blueshift::policies

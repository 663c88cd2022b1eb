// Conversation::untouched forwards a text no part of the proxy would act on without asking
// them (the planners' and router's gates, the governor's may_matter). Differential: every
// text of a corpus, in both protocols, for sessions with and without rules, gets exactly
// what the same conversation without the gates (every part asked) gives it, the same
// count of checks included, and the gates do skip the parts for the texts no part wants.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "conversation_driver.h"
#include "policies/governor_options.h"
#include "proxy/conversation.h"
#include "proxy/routing_settings.h"
#include "proxy/tier_router.h"
#include "proxy/upsert_settings.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

// analyst: a table rule; auditor: a statement rule (every text matters); etl: no rule.
constexpr const char* kPolicies = R"(
catalog_tables: true
tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]
rules:
  - {name: filter, type: require_partition_filter, tables: [spectrum_schema.sales], scope: {users: [analyst]}}
  - {name: no-ddl, type: deny_statements, kinds: [drop], scope: {users: [auditor]}}
)";

constexpr const char* kRouting = R"(
external_tables:
  spectrum_schema.sales: {date_column: sale_date, partitions: {year: year, month: month}}
tiers:
  - {local: public.sales_fact, external: spectrum_schema.sales, date_column: sale_date,
     columns: [sale_id, sale_date], local_from: {date: 2024-10-01}}
)";

constexpr const char* kUpserts = "{enabled: true, warehouse: postgresql, merge: staged}";

// What each part would act on, spelled the ways clients and the lexer allow, and texts no
// part wants (BI probes, pgbench, comments, strings).
const std::vector<std::string> kTexts = {
    "select 1",
    "SELECT abalance FROM pgbench_accounts WHERE aid = 4711",
    "SELECT TRUE FROM public.orders WHERE 1 <> 1 LIMIT 0",
    "/* Tableau */ select count(*) from public.orders where order_date >= DATE '2024-01-01'",
    "select amount from spectrum_schema.sales",
    "select amount from SPECTRUM_SCHEMA.\"sales\" where year = 2024 and month = 1",
    "select amount from \"SALES\"",
    "select amount from U&\"\\0073ales\"",
    "select 'sales' as word",
    "select $$select * from sales$$",
    "unload ('select * from sales') to 's3://b/p' iam_role 'r'",
    "select 1sales",
    "set search_path = spectrum_schema",
    "SET SEARCH_PATH TO public",
    "select set_config('search_path', 'spectrum_schema', false)",
    "select count(*) from public.sales_fact where sale_date >= '2023-02-01'",
    "select count(*) from sales_fact where sale_date >= date '2024-11-01'",
    "insert into public.orders (id, total) values (1, 2) on conflict (id) do update set total = excluded.total",
    "INSERT INTO orders VALUES (1, 2) ON CONFLICT DO NOTHING",
    "insert into orders values (1, 2) on/**/conflict do nothing",
    "merge into orders o using staging s on o.id = s.id when matched then update set total = s.total",
    "MERGE INTO orders USING staging ON orders.id = staging.id WHEN NOT MATCHED THEN INSERT VALUES (staging.id)",
    "copy orders from stdin /* blueshift:upsert key=(id) */",
    "/* blueshift:upsert key=(id) */ COPY public.orders FROM 's3://bucket/p' IAM_ROLE 'arn'",
    "copy orders to stdout",
    "prepare p as select amount from spectrum_schema.sales",
    "PREPARE q(int) AS SELECT $1",
    "execute q(1)",
    "explain execute q(1)",
    "create table t as execute q(1)",
    "deallocate q",
    "DEALLOCATE ALL",
    "discard all",
    "do $$ begin perform 1; end $$",
    "select 1; drop table public.orders",
    "drop table scratch",
    "begin; select 1; commit",
    "select e'\\x73ales'",
    "select xmerge, conflicted, copying, prepared from t",
    "",
    ";",
};

std::vector<std::string> corpus() {
  std::vector<std::string> texts = kTexts;
  for (const char* dir : {"fuzz_analysis", "fuzz_tier_routing"}) {
    for (const auto& f : std::filesystem::directory_iterator(std::string(BLUESHIFT_SOURCE_DIR) + "/tests/fuzz/corpus/" + dir)) {
      std::ifstream in(f.path());
      std::stringstream text;
      text << in.rdbuf();
      texts.push_back(text.str());
    }
  }
  return texts;
}

std::shared_ptr<policies::Governor> governor() {
  policies::GovernorOptions options;
  options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
  return policies::Governor::create(YAML::Load(kPolicies), options);
}

// The same parts, with the gates (as the server builds its options) or without.
struct Parts {
  std::shared_ptr<policies::Governor> governor = proxy::governor();
  std::shared_ptr<const UpsertSettings> upserts =
      std::make_shared<UpsertSettings>(parse_upsert_settings(YAML::Load(kUpserts)));
  std::shared_ptr<Routing> routing =
      std::make_shared<Routing>(std::make_shared<RoutingSettings>(parse_routing_settings(YAML::Load(kRouting))),
                                RoutingSources{});
  int planned = 0;  // calls of the planners

  Conversation::Options options(bool gated) {
    Conversation::Options o;
    o.governor = governor.get();
    o.planner = [this, inner = upsert_planner(upserts)](std::string_view sql, const policies::SessionContext& s) {
      ++planned;
      return inner(sql, s);
    };
    o.copy_planner = [this, inner = copy_upsert_planner(upserts)](std::string_view sql,
                                                                 const policies::SessionContext& s,
                                                                 std::string_view key) {
      ++planned;
      return inner(sql, s, key);
    };
    o.router = routing->router();
    if (gated) {
      o.may_plan = upsert_plan_gate(upserts);
      o.may_route = routing->route_gate();
    }
    return o;
  }
};

// One text through a fresh session, simple then extended protocol: what goes upstream for
// each client message and what the client gets for the same server replies; then a text
// routed by where the session's search_path (which the text may set) finds sales_fact.
std::string run(Parts& parts, bool gated, const std::string& user, const std::string& text,
                bool* planned = nullptr) {
  Driver d{parts.options(gated)};
  d.conversation.identity().user = user;
  d.conversation.identity().database = "dev";
  const int before = parts.planned;
  std::string out = d.send(Query{text});
  out += " | " + d.reply({CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}});
  out += " | " + d.send({Parse{"s", text, {}}, Bind{"", "s", {}, {}, {}}, Execute{"", 0}, Sync{}});
  out += " | " + d.reply({ParseComplete{}, BindComplete{}, CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}});
  if (planned != nullptr) *planned = parts.planned != before;
  out += " | " + d.send(Query{"select count(*) from sales_fact where sale_date >= '2023-02-01'"});
  // Staging tables are numbered in the process: blueshift_upsert_7 is blueshift_upsert_N.
  return std::regex_replace(out, std::regex("(blueshift_[a-z]+_)[0-9]+"), "$1N");
}

TEST(Untouched, EveryTextGetsWhatEveryPartAskedWouldGive) {
  Parts gated_parts, full_parts;
  int skipped = 0, texts = 0;
  for (const std::string& text : corpus()) {
    for (const char* user : {"analyst", "auditor", "etl"}) {
      const uint64_t gated_checks = gated_parts.governor->counters().checked;
      const uint64_t full_checks = full_parts.governor->counters().checked;
      bool planned = false;
      EXPECT_EQ(run(gated_parts, true, user, text, &planned), run(full_parts, false, user, text))
          << user << ": " << text;
      EXPECT_EQ(gated_parts.governor->counters().checked - gated_checks,
                full_parts.governor->counters().checked - full_checks)
          << user << ": " << text;
      skipped += planned ? 0 : 1;
      ++texts;
    }
  }
  // The gates are not vacuous: texts went up without the planners asked (the next test
  // names which), and not every text did.
  EXPECT_GT(skipped, 0);
  EXPECT_LT(skipped, texts);
}

TEST(Untouched, TheGatesPassOverTextsNoPartWants) {
  Parts p;
  for (const char* text : {"select 1", "SELECT abalance FROM pgbench_accounts WHERE aid = 4711"}) {
    for (const char* user : {"analyst", "etl"}) {
      bool planned = true;
      (void)run(p, true, user, text, &planned);
      EXPECT_FALSE(planned) << user << ": " << text;
    }
  }
  for (const char* text : {"insert into orders values (1) on conflict do nothing", "merge into orders using s on true "
                           "when matched then delete", "copy orders from stdin /* blueshift:upsert key=(id) */"}) {
    bool planned = false;
    (void)run(p, true, "etl", text, &planned);
    EXPECT_TRUE(planned) << text;
  }
}

}  // namespace
}  // namespace blueshift::proxy

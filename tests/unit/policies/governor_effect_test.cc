// What a text does to the session, reported apart from (and whatever) the decision on it;
// and which rules apply to a session (SHOW blueshift.rules, FunctionCall refusal).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "governor_harness.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using V = Verdict::Outcome;
using Path = std::optional<std::vector<std::string>>;

struct EffectRow {
  const char* name;
  const char* sql;
  const char* user;
  V outcome;
  Path new_search_path;
  bool uncertain;
};

// Each row is checked three times: a fresh text, the same text again (its decision comes
// from the DecisionMemo) and as a Parse; the effect must be the same each time.
TEST(GovernorEffect, ReportedWhateverTheVerdict) {
  const Path lake = std::vector<std::string>{"spectrum_schema"};
  const Path pub = std::vector<std::string>{"public"};
  const EffectRow rows[] = {
      {"a plain SET is certain", "SET search_path TO spectrum_schema", "analyst", V::Pass, lake, false},
      {"with another statement it may roll back", "SET search_path TO public; SELECT 1", "etl", V::Pass, pub, true},
      {"refused text still reports the SET (the proxy decides not to apply it)",
       "SET search_path TO spectrum_schema; SELECT sale_id FROM spectrum_schema.sales", "analyst", V::Refuse, lake,
       true},
      {"refused statement before the SET", "SELECT sale_id FROM spectrum_schema.sales; SET search_path TO public",
       "analyst", V::Refuse, pub, true},
      {"warned text keeps an uncertain SET uncertain",
       "SET search_path TO spectrum_schema; SELECT * FROM spectrum_schema.countries", "analyst", V::Notice, lake, true},
      {"warned set_config is uncertain",
       "SELECT set_config('search_path', 'spectrum_schema', false), * FROM spectrum_schema.countries", "analyst",
       V::Notice, std::nullopt, true},
      {"refused SET LOCAL is uncertain",
       "SET LOCAL search_path TO public; SELECT sale_id FROM spectrum_schema.sales WHERE year = 2024", "analyst",
       V::Refuse, pub, true},
      {"a warned text without a SET changes nothing", "SELECT * FROM spectrum_schema.countries", "analyst", V::Notice,
       std::nullopt, false},
      {"out of every scope: still reported", "SET search_path TO public; SELECT * FROM spectrum_schema.sales", "etl",
       V::Pass, pub, true},
  };
  Harness h;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    for (int round = 0; round < 2; ++round) {
      const Checked c = h.governor->check_query(row.sql, ctx(row.user));
      EXPECT_EQ(c.verdict.outcome, row.outcome) << round << ": " << c.verdict.message;
      EXPECT_EQ(c.effect.new_search_path, row.new_search_path) << round;
      EXPECT_EQ(c.effect.search_path_uncertain, row.uncertain) << round;
    }
    const Checked p = h.governor->check_parse(row.sql, ctx(row.user), {});
    EXPECT_EQ(p.effect.new_search_path, row.new_search_path);
    EXPECT_EQ(p.effect.search_path_uncertain, row.uncertain);
  }
}

// The one-line rules of the demo policies as SHOW blueshift.rules lists them.
const RuleSummary kFilter{"analysts-must-filter-partitions", "require_partition_filter", "enforce", "spectrum_schema.*"};
const RuleSummary kMax{"analysts-max-12-partitions", "max_partitions", "enforce", "spectrum_schema.sales"};
const RuleSummary kStar{"no-select-star-on-lake", "deny_select_star", "warn", ""};
const RuleSummary kDdl{"analysts-no-ddl-on-public", "deny_statements", "enforce", ""};

std::vector<std::string> names(const std::vector<RuleSummary>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(r.name + "|" + r.type + "|" + r.mode + "|" + r.tables);
  return out;
}

struct RulesRow {
  const char* name;
  SessionContext who;
  std::vector<RuleSummary> rules;
};

TEST(GovernorRules, ForASession) {
  Harness h(std::string(kDemoPolicies) + R"(
  - name: tableau-lake-and-clicks
    type: max_partitions
    max: 100
    tables: [spectrum_schema.sales, "spectrum_schema.click*"]
    scope: {applications: ["Tableau*"]}
    mode: audit
)");
  h.governor->lookup_groups("stranger");  // no such user: no groups
  const RulesRow rows[] = {
      {"an analyst: every analyst rule", ctx("analyst"), {kFilter, kMax, kStar, kDdl}},
      {"etl: exempt, and in no group", ctx("etl"), {}},
      {"a user in no group", ctx("stranger"), {}},
      {"an application scope", ctx("stranger", {}, "Tableau 2024.1"),
       {{"tableau-lake-and-clicks", "max_partitions", "audit", "spectrum_schema.sales, spectrum_schema.click*"}}},
      {"groups not known yet: every group-scoped rule (fail closed)", ctx("newbie"), {kFilter, kMax, kStar, kDdl}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(names(h.governor->rules_for(row.who)), names(row.rules));
    EXPECT_EQ(h.governor->governs(row.who), !row.rules.empty());
  }
  // Once known, newbie's groups decide.
  h.governor->lookup_groups("newbie");
  EXPECT_EQ(names(h.governor->rules_for(ctx("newbie"))), names({kFilter, kMax, kStar, kDdl}));
  h.catalog.user_groups["newbie"] = {"bi"};
  std::string error;
  ASSERT_TRUE(h.governor->refresh_catalog(&error)) << error;
  EXPECT_EQ(names(h.governor->rules_for(ctx("newbie"))), names({}));
  EXPECT_FALSE(h.governor->governs(ctx("newbie")));
}

TEST(GovernorRules, NoPoliciesGovernNobody) {
  Harness h("");
  EXPECT_TRUE(h.governor->rules_for(ctx("analyst")).empty());
  EXPECT_FALSE(h.governor->governs(ctx("analyst")));
  EXPECT_FALSE(h.governor->needs_group_lookup("newbie"));  // no group rule: nothing to look up
}

}  // namespace
}  // namespace blueshift::policies

// Parsing the policies: YAML block: what valid blocks turn into, and that every invalid
// one is refused with the key path (and line) an operator needs to find the mistake.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "fixtures.h"
#include "policies/policy_set.h"

namespace blueshift::policies {
namespace {

using testing::kDemoPolicies;
using testing::policy;

TEST(PolicySet, EmptyOrMissingNodeGovernsNothing) {
  EXPECT_TRUE(parse_policy_set(YAML::Node()).empty());
  EXPECT_TRUE(parse_policy_set(YAML::Load("~")).empty());
  EXPECT_TRUE(parse_policy_set(YAML::Load("{}")).empty());
  EXPECT_FALSE(parse_policy_set(YAML::Load("{}")).catalog_tables);
}

TEST(PolicySet, DemoBlock) {
  const PolicySet p = policy(kDemoPolicies);
  EXPECT_TRUE(p.catalog_tables);
  ASSERT_EQ(p.tables.size(), 1u);
  EXPECT_EQ(p.tables[0].qualified(), "spectrum_schema.sales");
  EXPECT_EQ(p.tables[0].partition_columns, (std::vector<std::string>{"year", "month"}));
  ASSERT_EQ(p.rules.size(), 4u);

  const Rule& filter = p.rules[0];
  EXPECT_EQ(filter.name, "analysts-must-filter-partitions");
  EXPECT_EQ(filter.type, RuleType::RequirePartitionFilter);
  EXPECT_EQ(filter.mode, Mode::Enforce);  // the default
  EXPECT_EQ(filter.columns, Rule::Columns::All);
  EXPECT_EQ(filter.tables, (std::vector<std::string>{"spectrum_schema.*"}));
  EXPECT_EQ(filter.scope.groups, (std::vector<std::string>{"analysts"}));
  EXPECT_EQ(filter.exempt.users, (std::vector<std::string>{"etl"}));
  EXPECT_TRUE(filter.uses_groups());

  EXPECT_EQ(p.rules[1].type, RuleType::MaxPartitions);
  EXPECT_EQ(p.rules[1].max_partitions, 12);
  EXPECT_EQ(p.rules[2].type, RuleType::DenySelectStar);
  EXPECT_EQ(p.rules[2].mode, Mode::Warn);
  EXPECT_TRUE(p.rules[2].tables.empty());

  const Rule& ddl = p.rules[3];
  EXPECT_EQ(ddl.type, RuleType::DenyStatements);
  EXPECT_FALSE(ddl.is_table_rule());
  using K = rewrite::StatementKind;
  // "create" expands to the three CREATE kinds.
  EXPECT_EQ(ddl.kinds, (std::vector<K>{K::Delete, K::Drop, K::Truncate, K::Alter, K::CreateTable, K::CreateTableAs,
                                       K::CreateExternal}));
  EXPECT_EQ(ddl.schemas, (std::vector<std::string>{"public"}));
}

// The example in policies/README.md is what operators copy: it must stay valid.
TEST(PolicySet, ReadmeExampleParses) {
  std::ifstream in(std::string(BLUESHIFT_SOURCE_DIR) + "/policies/README.md");
  ASSERT_TRUE(in) << "policies/README.md not found";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto start = text.find("```yaml\n");
  ASSERT_NE(start, std::string::npos);
  const auto end = text.find("```", start + 8);
  const YAML::Node config = YAML::Load(text.substr(start + 8, end - start - 8));
  const PolicySet p = parse_policy_set(config["policies"]);
  EXPECT_TRUE(p.catalog_tables);
  ASSERT_EQ(p.rules.size(), 4u);
  EXPECT_EQ(p.rules[0].name, "analysts-must-filter-partitions");
  EXPECT_EQ(p.rules[3].type, RuleType::DenyStatements);
  for (const auto& r : p.rules) EXPECT_EQ(r.exempt.users, (std::vector<std::string>{"etl"})) << r.name;
}

struct ValidRow {
  const char* name;
  const char* yaml;
  std::function<void(const PolicySet&)> check;
};

TEST(PolicySet, ValidVariants) {
  using K = rewrite::StatementKind;
  const ValidRow rows[] = {
      {"table as a plain string", "tables: [Spectrum_Schema.Sales]",
       [](const PolicySet& p) {
         ASSERT_EQ(p.tables.size(), 1u);
         EXPECT_EQ(p.tables[0].schema, "spectrum_schema");  // folded like Redshift identifiers
         EXPECT_EQ(p.tables[0].name, "sales");
         EXPECT_TRUE(p.tables[0].partition_columns.empty());
       }},
      {"columns any", "rules: [{name: r, type: require_partition_filter, columns: any}]",
       [](const PolicySet& p) { EXPECT_EQ(p.rules[0].columns, Rule::Columns::Any); }},
      {"columns listed", "rules: [{name: r, type: require_partition_filter, columns: [Year]}]",
       [](const PolicySet& p) {
         EXPECT_EQ(p.rules[0].columns, Rule::Columns::Listed);
         EXPECT_EQ(p.rules[0].column_list, (std::vector<std::string>{"year"}));
       }},
      {"mode warn", "rules: [{name: r, type: deny_select_star, mode: warn}]",
       [](const PolicySet& p) { EXPECT_EQ(p.rules[0].mode, Mode::Warn); }},
      {"mode audit", "rules: [{name: r, type: deny_select_star, mode: audit}]",
       [](const PolicySet& p) { EXPECT_EQ(p.rules[0].mode, Mode::Audit); }},
      {"scope lists accept a single string",
       "rules: [{name: r, type: deny_select_star, scope: {users: bob, applications: 'Tableau*'}}]",
       [](const PolicySet& p) {
         EXPECT_EQ(p.rules[0].scope.users, (std::vector<std::string>{"bob"}));
         EXPECT_EQ(p.rules[0].scope.applications, (std::vector<std::string>{"Tableau*"}));
       }},
      {"disabled rule is dropped",
       "rules: [{name: a, type: deny_select_star, enabled: false}, {name: b, type: deny_select_star}]",
       [](const PolicySet& p) {
         ASSERT_EQ(p.rules.size(), 1u);
         EXPECT_EQ(p.rules[0].name, "b");
       }},
      {"kinds ddl alias",
       "rules: [{name: r, type: deny_statements, kinds: [ddl]}]",
       [](const PolicySet& p) {
         EXPECT_EQ(p.rules[0].kinds, (std::vector<K>{K::CreateTable, K::CreateTableAs, K::CreateExternal, K::Drop,
                                                     K::Truncate, K::Alter, K::OtherDdl}));
         EXPECT_TRUE(p.rules[0].schemas.empty());
       }},
      {"kinds write alias, duplicates merged",
       "rules: [{name: r, type: deny_statements, kinds: [delete, write]}]",
       [](const PolicySet& p) {
         EXPECT_EQ(p.rules[0].kinds, (std::vector<K>{K::Delete, K::Insert, K::Update, K::Merge, K::Copy}));
       }},
      {"kind names are case-insensitive", "rules: [{name: r, type: deny_statements, kinds: [DELETE, Unparsed]}]",
       [](const PolicySet& p) { EXPECT_EQ(p.rules[0].kinds, (std::vector<K>{K::Delete, K::Unparsed})); }},
      {"description is accepted", "rules: [{name: r, type: deny_select_star, description: 'why this rule'}]",
       [](const PolicySet& p) { EXPECT_EQ(p.rules.size(), 1u); }},
      {"catalog_tables yes", "catalog_tables: yes", [](const PolicySet& p) { EXPECT_TRUE(p.catalog_tables); }},
      {"table patterns lower-cased", "rules: [{name: r, type: max_partitions, max: 3, tables: ['Spectrum_*.S?les']}]",
       [](const PolicySet& p) {
         EXPECT_EQ(p.rules[0].tables, (std::vector<std::string>{"spectrum_*.s?les"}));
         EXPECT_EQ(p.rules[0].max_partitions, 3);
       }},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    PolicySet p;
    ASSERT_NO_THROW(p = policy(row.yaml)) << row.yaml;
    row.check(p);
  }
}

struct InvalidRow {
  const char* name;
  const char* yaml;
  const char* message;  // a part of the error the operator must see
};

TEST(PolicySet, InvalidConfigurationsNameTheKey) {
  const InvalidRow rows[] = {
      {"not a map", "[1, 2]", "policies (line 1, column 1): expected a map"},
      {"unknown top-level key", "rule: []", "policies.rule (line 1, column 1): unknown key"},
      {"catalog_tables not a bool", "catalog_tables: maybe", "policies.catalog_tables (line 1, column 17): expected true or false"},
      {"tables not a list", "tables: spectrum_schema.sales", "policies.tables (line 1, column 9): expected a list of tables"},
      {"table without schema", "tables: [sales]", "policies.tables[0] (line 1, column 10): expected schema.table"},
      {"table with two dots", "tables: [a.b.c]", "policies.tables[0] (line 1, column 10): expected schema.table"},
      {"declared table is a pattern", "tables: ['spectrum_schema.*']", "a declared table is one table, not a pattern"},
      {"table map without name", "tables: [{partition_columns: [year]}]", "policies.tables[0].name"},
      {"table map unknown key", "tables: [{name: a.b, partition_keys: [year]}]", "policies.tables[0].partition_keys"},
      {"table declared twice", "tables: [a.b, A.B]", "policies.tables[1] (line 1, column 15): table a.b is declared twice"},
      {"rules not a list", "rules: {name: r}", "policies.rules (line 1, column 8): expected a list of rules"},
      {"rule not a map", "rules: [r]", "policies.rules[0] (line 1, column 9): expected a rule"},
      {"rule without type", "rules: [{name: r}]", "policies.rules[0].type"},
      {"unknown type", "rules: [{name: r, type: deny_everything}]",
       "policies.rules[0].type (line 1, column 25): expected one of require_partition_filter, max_partitions, "
       "deny_select_star, deny_statements, max_scan_bytes, max_cost_usd; got \"deny_everything\""},
      {"rule without name", "rules: [{type: deny_select_star}]", "policies.rules[0].name"},
      {"duplicate names", "rules: [{name: r, type: deny_select_star}, {name: r, type: deny_select_star}]",
       "policies.rules[1].name (line 1, column 51): rule name \"r\" is used twice"},
      {"bad mode", "rules: [{name: r, type: deny_select_star, mode: enforec}]",
       "policies.rules[0].mode (line 1, column 49): expected one of enforce, warn, audit; got \"enforec\""},
      {"typo in a key", "rules: [{name: r, type: deny_select_star, scpoe: {}}]", "policies.rules[0].scpoe"},
      {"key of another rule type", "rules: [{name: r, type: deny_select_star, max: 3}]",
       "policies.rules[0].max (line 1, column 43): not a key of a deny_select_star rule"},
      {"max missing", "rules: [{name: r, type: max_partitions}]",
       "policies.rules[0].max (line 1, column 9): missing: max_partitions needs max"},
      {"max not a number", "rules: [{name: r, type: max_partitions, max: twelve}]",
       "policies.rules[0].max (line 1, column 46): expected a whole number"},
      {"max zero", "rules: [{name: r, type: max_partitions, max: 0}]", "policies.rules[0].max (line 1, column 46): must be at least 1"},
      {"columns bad word", "rules: [{name: r, type: require_partition_filter, columns: most}]",
       "policies.rules[0].columns (line 1, column 60): expected all, any, or a non-empty list"},
      {"columns empty list", "rules: [{name: r, type: require_partition_filter, columns: []}]", "policies.rules[0].columns"},
      {"rule table without schema", "rules: [{name: r, type: deny_select_star, tables: [sales]}]",
       "policies.rules[0].tables[0]"},
      {"kinds missing", "rules: [{name: r, type: deny_statements}]", "policies.rules[0].kinds (line 1, column 9): missing"},
      {"kinds empty", "rules: [{name: r, type: deny_statements, kinds: []}]", "policies.rules[0].kinds"},
      {"unknown kind", "rules: [{name: r, type: deny_statements, kinds: [delete, obliterate]}]",
       "policies.rules[0].kinds[1] (line 1, column 58): unknown statement kind \"obliterate\""},
      {"tables on a statement rule", "rules: [{name: r, type: deny_statements, kinds: [drop], tables: [a.b]}]",
       "policies.rules[0].tables"},
      {"qualified schema", "rules: [{name: r, type: deny_statements, kinds: [drop], schemas: [a.b]}]",
       "policies.rules[0].schemas (line 1, column 66): expected schema names"},
      {"scope not a map", "rules: [{name: r, type: deny_select_star, scope: analysts}]",
       "policies.rules[0].scope (line 1, column 50): expected a map with users, groups, applications, databases"},
      {"scope unknown key", "rules: [{name: r, type: deny_select_star, scope: {roles: [a]}}]", "policies.rules[0].scope.roles"},
      {"exempt list of maps", "rules: [{name: r, type: deny_select_star, exempt: {users: [{a: b}]}}]",
       "policies.rules[0].exempt.users[0]"},
      {"enabled not a bool", "rules: [{name: r, type: deny_select_star, enabled: sometimes}]", "policies.rules[0].enabled"},
      {"name empty", "rules: [{name: '', type: deny_select_star}]", "policies.rules[0].name (line 1, column 16): expected a non-empty string"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    try {
      (void)policy(row.yaml);
      ADD_FAILURE() << "accepted: " << row.yaml;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(row.message), std::string::npos)
          << "error: " << e.what() << "\nwanted: " << row.message;
    }
  }
}

struct GlobRow {
  const char* pattern;
  const char* text;
  bool match;
};

TEST(Glob, Matches) {
  const GlobRow rows[] = {
      {"Tableau*", "Tableau 2023.1", true},  {"Tableau*", "tableau", false}, {"*", "", true},
      {"", "", true},                        {"", "a", false},               {"a?c", "abc", true},
      {"a?c", "ac", false},                  {"*.sales", "spectrum_schema.sales", true},
      {"spectrum_schema.*", "spectrum_schema.sales", true},
      {"spectrum_schema.*", "public.sales", false},
      {"*a*b*c*", "xxaxxbxxcxx", true},      {"*a*b*c*", "xxaxxcxxbxx", false},
      {"etl", "etl", true},                  {"etl", "etl2", false},         {"**x", "abx", true},
      {"a*", "a", true},                     {"?", "", false},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(glob_match(row.pattern, row.text), row.match) << row.pattern << " vs " << row.text;
  }
}

}  // namespace
}  // namespace blueshift::policies

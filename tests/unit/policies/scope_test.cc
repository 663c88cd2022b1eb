// Who a rule applies to: scope (users OR groups, AND applications, AND databases) and
// exemptions (any one entry exempts), one row per case.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "policies/evaluate.h"

namespace blueshift::policies {
namespace {

using testing::session;

struct Row {
  const char* name;
  const char* scope;   // YAML flow map for scope:
  const char* exempt;  // YAML flow map for exempt:
  SessionFacts who;
  bool applies;
};

TEST(Scope, Matching) {
  const Row rows[] = {
      {"empty scope is everyone", "{}", "{}", session("anyone"), true},
      {"user listed", "{users: [alice]}", "{}", session("alice"), true},
      {"user not listed", "{users: [alice]}", "{}", session("bob"), false},
      {"user glob", "{users: ['svc_*']}", "{}", session("svc_reports"), true},
      {"user names are case-sensitive", "{users: [alice]}", "{}", session("Alice"), false},
      {"group listed", "{groups: [analysts]}", "{}", session("bob", {"analysts"}), true},
      {"one of several groups", "{groups: [analysts]}", "{}", session("bob", {"bi", "analysts"}), true},
      {"no group", "{groups: [analysts]}", "{}", session("bob"), false},
      {"users OR groups: by user", "{users: [carol], groups: [analysts]}", "{}", session("carol"), true},
      {"users OR groups: by group", "{users: [carol], groups: [analysts]}", "{}", session("bob", {"analysts"}), true},
      {"users OR groups: neither", "{users: [carol], groups: [analysts]}", "{}", session("bob", {"bi"}), false},
      {"application glob matches", "{applications: ['Tableau*']}", "{}", session("bob", {}, "Tableau Desktop"), true},
      {"application glob misses", "{applications: ['Tableau*']}", "{}", session("bob", {}, "psql"), false},
      {"empty application name", "{applications: ['Tableau*']}", "{}", session("bob", {}, ""), false},
      {"group AND application: both", "{groups: [analysts], applications: ['Tableau*']}", "{}",
       session("bob", {"analysts"}, "Tableau 2024"), true},
      {"group AND application: wrong app", "{groups: [analysts], applications: ['Tableau*']}", "{}",
       session("bob", {"analysts"}, "psql"), false},
      {"group AND application: wrong group", "{groups: [analysts], applications: ['Tableau*']}", "{}",
       session("bob", {"bi"}, "Tableau 2024"), false},
      {"database listed", "{databases: [dev]}", "{}", session("bob", {}, "psql", "dev"), true},
      {"database not listed", "{databases: [prod]}", "{}", session("bob", {}, "psql", "dev"), false},
      {"all four", "{users: [x], groups: [analysts], applications: ['*'], databases: ['d*']}", "{}",
       session("bob", {"analysts"}, "any", "dev"), true},
      {"exempt user", "{groups: [analysts]}", "{users: [etl]}", session("etl", {"analysts"}), false},
      {"exempt other user", "{groups: [analysts]}", "{users: [etl]}", session("bob", {"analysts"}), true},
      {"exempt group", "{}", "{groups: [admins]}", session("root", {"admins"}), false},
      {"exempt application", "{}", "{applications: ['dbt*']}", session("bob", {}, "dbt-1.7"), false},
      {"exempt database", "{}", "{databases: [sandbox]}", session("bob", {}, "psql", "sandbox"), false},
      {"exempt: any one entry is enough", "{}", "{users: [nobody], applications: ['dbt*']}",
       session("bob", {}, "dbt"), false},
      {"exempt: none matches", "{}", "{users: [nobody], applications: ['dbt*']}", session("bob", {}, "psql"), true},
      {"exempt wins over scope", "{users: [etl]}", "{users: [etl]}", session("etl"), false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string yaml = std::string("rules: [{name: r, type: deny_select_star, scope: ") + row.scope +
                             ", exempt: " + row.exempt + "}]";
    const PolicySet p = testing::policy(yaml);
    ASSERT_EQ(p.rules.size(), 1u);
    EXPECT_EQ(in_scope(p.rules[0], row.who), row.applies);
  }
}

}  // namespace
}  // namespace blueshift::policies

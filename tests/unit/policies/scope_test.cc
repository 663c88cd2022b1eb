// Who a rule applies to: scope (users OR groups, AND applications, AND databases, AND
// client_addresses) and exemptions (any one entry exempts), one row per case.
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "policies/evaluate.h"

namespace blueshift::policies {
namespace {

using testing::session;

SessionFacts from(const char* address) {
  SessionFacts s = session("bob");
  s.client_address = address;
  return s;
}

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
      {"client in the network", "{client_addresses: [10.1.0.0/16]}", "{}", from("10.1.2.3"), true},
      {"client outside the network", "{client_addresses: [10.1.0.0/16]}", "{}", from("10.2.0.1"), false},
      {"one of several networks", "{client_addresses: [192.0.2.7, 10.1.0.0/16]}", "{}", from("192.0.2.7"), true},
      {"IPv6 network", "{client_addresses: ['fd00::/8']}", "{}", from("fd12::1"), true},
      {"IPv6 client, IPv4 network", "{client_addresses: [10.0.0.0/8]}", "{}", from("fd12::1"), false},
      {"IPv4-mapped client", "{client_addresses: [10.0.0.0/8]}", "{}", from("::ffff:10.9.9.9"), true},
      {"an unreadable address is in every network", "{client_addresses: [10.0.0.0/8]}", "{}", from("unknown"), true},
      {"user AND network: both", "{users: [bob], client_addresses: [10.0.0.0/8]}", "{}", from("10.0.0.1"), true},
      {"user AND network: wrong network", "{users: [bob], client_addresses: [10.0.0.0/8]}", "{}", from("11.0.0.1"),
       false},
      {"exempt network", "{}", "{client_addresses: [10.0.0.0/8]}", from("10.3.3.3"), false},
      {"exempt network, client outside", "{}", "{client_addresses: [10.0.0.0/8]}", from("127.0.0.1"), true},
      {"an unreadable address is exempt nowhere", "{}", "{client_addresses: ['::/0', 0.0.0.0/0]}", from("unknown"),
       true},
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

TEST(Scope, ClientAddressesMustBeNetworks) {
  for (const char* bad : {"[10.0.0.0/33]", "[host.example]", "['10.0.0/8']", "[fd00::/129]", "'10.0.0.0/'"}) {
    SCOPED_TRACE(bad);
    const std::string yaml =
        std::string("rules: [{name: r, type: deny_select_star, scope: {client_addresses: ") + bad + "}}]";
    try {
      (void)testing::policy(yaml);
      ADD_FAILURE() << "accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("policies.rules[0].scope.client_addresses"), std::string::npos) << e.what();
    }
  }
  const PolicySet one = testing::policy("rules: [{name: r, type: deny_select_star, scope: {client_addresses: 10.0.0.1}}]");
  EXPECT_TRUE(in_scope(one.rules[0], from("10.0.0.1"))) << "a single string is a list of one";
  EXPECT_FALSE(in_scope(one.rules[0], from("10.0.0.2")));
}

}  // namespace
}  // namespace blueshift::policies

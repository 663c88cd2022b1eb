// A session's groups for scopes outside the policies (tier rules): the governor's one
// look-up serves them, also when no policy rule names a group (want_groups), and a group
// not known yet is failed closed as the policies fail it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "governor_harness.h"
#include "policies/evaluate.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using Groups = std::vector<std::string>;

constexpr const char* kNoGroupRule = R"(
catalog_tables: true
rules: [{name: f, type: require_partition_filter, scope: {users: [analyst]}}]
)";

TEST(GovernorSessionFacts, GroupsFromTheCatalogAndTheLookUp) {
  Harness h;  // the demo policies name group analysts
  auto& g = *h.governor;
  const SessionFacts analyst = g.session_facts(ctx("analyst"));
  EXPECT_EQ(analyst.groups, Groups{"analysts"});
  EXPECT_FALSE(analyst.groups_unknown);
  EXPECT_TRUE(g.session_facts(ctx("newbie")).groups_unknown);  // after the catalog load: not looked up yet
  g.lookup_groups("newbie");
  const SessionFacts newbie = g.session_facts(ctx("newbie"));
  EXPECT_EQ(newbie.groups, Groups{"analysts"});
  EXPECT_FALSE(newbie.groups_unknown);
  EXPECT_EQ(h.group_lookups, 1);
  EXPECT_EQ(g.session_facts(ctx("etl", {}, "dbt")).application_name, "dbt");
}

TEST(GovernorSessionFacts, WantedGroupsAreKnownWithoutAGroupRule) {
  Harness h(kNoGroupRule);
  auto& g = *h.governor;
  // Nothing asks for groups: none are read, none looked up.
  EXPECT_TRUE(g.session_facts(ctx("analyst")).groups.empty());
  EXPECT_FALSE(g.needs_group_lookup("newbie"));
  g.want_groups(true);  // a tier rule names a group
  EXPECT_EQ(g.session_facts(ctx("analyst")).groups, Groups{"analysts"});
  EXPECT_TRUE(g.needs_group_lookup("newbie"));
  EXPECT_TRUE(g.session_facts(ctx("newbie")).groups_unknown);  // fail closed until looked up
  g.lookup_groups("newbie");
  EXPECT_EQ(g.session_facts(ctx("newbie")).groups, Groups{"analysts"});
  g.want_groups(false);  // a reload dropped the rule
  EXPECT_TRUE(g.session_facts(ctx("analyst")).groups.empty());
  EXPECT_FALSE(g.needs_group_lookup("stranger"));
}

}  // namespace
}  // namespace blueshift::policies

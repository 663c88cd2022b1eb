// Session groups without a governor (session_groups.h): the tier router's own look-up when
// there is no `policies:` section. Nothing is asked until a tier rule names a group; then a
// user's groups are unknown (a group scope holds them) until looked up, and an answer older
// than the maximum age is asked again while the old one still serves.
#include "policies/session_groups.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policies/evaluate.h"
#include "policies/governor.h"

namespace blueshift::policies {
namespace {

using Groups = std::vector<std::string>;

struct Fixture {
  std::chrono::system_clock::time_point now{};
  int asked = 0;
  Groups answer{"analysts"};
  std::unique_ptr<SessionGroups> groups = looked_up_groups(
      [this](const std::string&) -> absl::StatusOr<std::optional<Groups>> {
        ++asked;
        return answer;
      },
      std::chrono::seconds(300), [this] { return now; });
};

SessionContext ctx(const std::string& user) {
  SessionContext c;
  c.user = user;
  return c;
}

TEST(SessionGroups, LookedUpOnlyOnceATierRuleNamesGroups) {
  Fixture f;
  EXPECT_FALSE(f.groups->needs_group_lookup("analyst"));
  f.groups->lookup_groups("analyst");
  EXPECT_EQ(f.asked, 0);
  EXPECT_FALSE(f.groups->session_facts(ctx("analyst")).groups_unknown);  // no group scope to hold
  f.groups->want_groups(true);
  EXPECT_TRUE(f.groups->needs_group_lookup("analyst"));
  EXPECT_TRUE(f.groups->session_facts(ctx("analyst")).groups_unknown);
  f.groups->lookup_groups("analyst");
  const SessionFacts known = f.groups->session_facts(ctx("analyst"));
  EXPECT_FALSE(known.groups_unknown);
  EXPECT_EQ(known.groups, Groups{"analysts"});
  EXPECT_FALSE(f.groups->needs_group_lookup("analyst"));
  f.groups->lookup_groups("analyst");
  EXPECT_EQ(f.asked, 1);
}

TEST(SessionGroups, AnAnswerOlderThanTheMaximumAgeIsAskedAgain) {
  Fixture f;
  f.groups->want_groups(true);
  f.groups->lookup_groups("analyst");
  f.now += std::chrono::seconds(299);
  EXPECT_FALSE(f.groups->needs_group_lookup("analyst"));
  f.now += std::chrono::seconds(1);
  EXPECT_TRUE(f.groups->needs_group_lookup("analyst"));
  EXPECT_EQ(f.groups->session_facts(ctx("analyst")).groups, Groups{"analysts"});  // until the new answer
  f.answer = {};
  f.groups->lookup_groups("analyst");
  EXPECT_EQ(f.asked, 2);
  const SessionFacts left = f.groups->session_facts(ctx("analyst"));
  EXPECT_FALSE(left.groups_unknown);
  EXPECT_TRUE(left.groups.empty());
}

TEST(SessionGroups, AFailedLookUpLeavesTheGroupsUnknown) {
  int asked = 0;
  auto groups = looked_up_groups(
      [&](const std::string&) -> absl::StatusOr<std::optional<Groups>> {
        ++asked;
        return absl::UnavailableError("too many connections");
      },
      std::chrono::seconds(0));
  groups->want_groups(true);
  groups->lookup_groups("analyst");
  EXPECT_EQ(asked, 1);
  EXPECT_TRUE(groups->session_facts(ctx("analyst")).groups_unknown);
  groups->lookup_groups("analyst");  // within the backoff: not asked again
  EXPECT_EQ(asked, 1);
}

}  // namespace
}  // namespace blueshift::policies

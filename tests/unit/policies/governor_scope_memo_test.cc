// The governor keeps, with each session, which names its rules make it look for, and what
// its checks read of it (ScopeMemo): one session's context, checked again after each change a scope reads,
// gets the decision a fresh session with those facts would, and so does may_matter, which
// reads the memo without the snapshot.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "governor_harness.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using Outcome = Verdict::Outcome;

constexpr const char* kUnfiltered = "SELECT amount FROM spectrum_schema.sales";

constexpr const char* kScopedBySession = R"(
catalog_tables: true
tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]
rules:
  - name: filter
    type: require_partition_filter
    tables: [spectrum_schema.sales]
    scope: {databases: [dev], client_addresses: [10.0.0.0/8]}
    exempt: {applications: [loader], users: [etl]}
)";

// The check's outcome, with may_matter asked first: from the memo a check before left,
// it must not answer false for a text the check then refuses.
Outcome outcome(Governor& g, const SessionContext& s) {
  const bool matters = g.may_matter(kUnfiltered, s);
  const Outcome o = g.check_query(kUnfiltered, s).verdict.outcome;
  EXPECT_TRUE(matters || o == Outcome::Pass) << "may_matter said no to a text the check refuses";
  return o;
}

// Each field in turn moves a session from outside the rule (its texts pass unanalysed)
// into it, the session's first check made outside.
TEST(GovernorScopeMemo, OneSessionFollowsEachFieldAScopeReads) {
  Harness h(kScopedBySession);
  auto& g = *h.governor;
  const auto governed = [] {
    SessionContext s = ctx("analyst");
    s.client_address = "10.1.2.3";
    return s;
  };
  const std::vector<std::pair<std::string, std::function<void(SessionContext&, bool)>>> fields = {
      {"application_name", [](SessionContext& s, bool in) { s.application_name = in ? "psql" : "loader"; }},
      {"client_address", [](SessionContext& s, bool in) { s.client_address = in ? "10.1.2.3" : "192.168.0.1"; }},
      {"database", [](SessionContext& s, bool in) { s.database = in ? "dev" : "other"; }},
      {"user", [](SessionContext& s, bool in) { s.user = in ? "analyst" : "etl"; }},
  };
  for (const auto& [name, set] : fields) {
    SessionContext s = governed();
    set(s, false);
    EXPECT_EQ(outcome(g, s), Outcome::Pass) << name;
    set(s, true);
    EXPECT_EQ(outcome(g, s), Outcome::Refuse) << name;
    set(s, false);
    EXPECT_EQ(outcome(g, s), Outcome::Pass) << name;
  }
}

TEST(GovernorScopeMemo, OneSessionFollowsAReload) {
  Harness h(kScopedBySession);
  auto& g = *h.governor;
  SessionContext s = ctx("etl");
  s.client_address = "10.1.2.3";
  EXPECT_EQ(outcome(g, s), Outcome::Pass);
  std::string error;
  ASSERT_TRUE(g.reload(YAML::Load(R"(
catalog_tables: true
tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]
rules: [{name: filter, type: require_partition_filter, tables: [spectrum_schema.sales], scope: {users: [etl]}}]
)"),
                       &error))
      << error;
  EXPECT_EQ(outcome(g, s), Outcome::Refuse);
}

TEST(GovernorScopeMemo, OneSessionFollowsTheCatalogsGroups) {
  Harness h;  // the demo policies scope analysts by group
  auto& g = *h.governor;
  h.catalog.user_groups["carol"] = {"finance"};
  std::string error;
  ASSERT_TRUE(g.refresh_catalog(&error)) << error;
  const SessionContext s = ctx("carol");
  EXPECT_EQ(outcome(g, s), Outcome::Pass);
  h.catalog.user_groups["carol"] = {"analysts"};
  ASSERT_TRUE(g.refresh_catalog(&error)) << error;
  EXPECT_EQ(outcome(g, s), Outcome::Refuse);
}

// The memo also keeps the session's facts for the decision's audit line, which names the
// server process: a session whose server process changed is audited with the new one.
TEST(GovernorScopeMemo, OneSessionFollowsItsServerProcess) {
  Harness h;
  auto& g = *h.governor;
  SessionContext s = ctx("analyst");
  for (const int32_t pid : {4242, 4243, 0, 4244}) {
    s.backend_pid = pid;
    ASSERT_EQ(g.check_query(kUnfiltered, s).verdict.outcome, Outcome::Refuse);
    const auto lines = h.audit.lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back().value("backend_pid", 0), pid) << lines.back().dump();
  }
}

// And the analysis context, made for the session's search_path: an unqualified name
// follows each change of it.
TEST(GovernorScopeMemo, OneSessionFollowsItsSearchPath) {
  Harness h;
  auto& g = *h.governor;
  SessionContext s = ctx("analyst");
  const std::vector<std::pair<std::vector<std::string>, Outcome>> steps = {
      {{}, Outcome::Pass}, {{"spectrum_schema"}, Outcome::Refuse}, {{"public"}, Outcome::Pass},
      {{"public", "spectrum_schema"}, Outcome::Refuse}, {{}, Outcome::Pass}};
  for (const auto& [path, want] : steps) {
    s.search_path = path;
    EXPECT_EQ(g.check_query("SELECT amount FROM sales", s).verdict.outcome, want) << ::testing::PrintToString(path);
  }
}

// Groups looked up after the catalog's load: the session is in every group until they are
// known (fail closed), and in its own once they are. (A refresh forgets them after its new
// snapshot is in place, so a gate read from them is never kept: no single-threaded test
// reaches that window.)
TEST(GovernorScopeMemo, GroupsLearntLateAreNotKept) {
  Harness h;
  auto& g = *h.governor;
  const SessionContext s = ctx("stranger");  // not in the catalog; the look-up finds no groups
  EXPECT_EQ(outcome(g, s), Outcome::Refuse);
  g.lookup_groups("stranger");
  EXPECT_EQ(outcome(g, s), Outcome::Pass);
}

}  // namespace
}  // namespace blueshift::policies

// Each step of a plan passes the policies before any runs (proxy/plan_governed.h): the client's
// statement passes, but a step of its plan that the policies refuse refuses the whole plan,
// in either protocol, and nothing of it goes upstream; the staging tables are the session's
// temporary tables, not tables of the search path.
#include "proxy/plan_governed.h"

#include <gtest/gtest.h>

#include "conversation_driver.h"
#include "demo_governor.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

// The client's statement writes a table of schema loads, which the analyst may write.
constexpr const char* kUpsert = "insert into loads.t values (1) on conflict (k) do nothing";
constexpr const char* kRefusedUpstream = "Q(/* blueshift: statement refused by policy */ blueshift_refused)";
constexpr const char* kStage = "\"blueshift_upsert_7\"";

// A plan whose steps delete from `deleted` (the demo policies refuse analysts DELETE on
// schema public) and load the staging table.
rewrite::PlanPtr plan_deleting(const std::string& deleted) {
  auto plan = std::make_shared<rewrite::Plan>();
  plan->steps.resize(3);
  plan->steps[0].sql = "CREATE TEMP TABLE " + std::string(kStage) + " (LIKE loads.t)";
  plan->steps[1].sql = "DELETE FROM " + deleted + " USING " + kStage + " AS s WHERE " + deleted + ".k = s.k";
  plan->steps[2].sql = "DROP TABLE " + std::string(kStage);
  plan->steps[1].replies = rewrite::PlanStep::Replies::Count;
  plan->tag = "INSERT 0 {rows}";
  plan->stages = {kStage};
  return plan;
}

struct PlanGoverned : ::testing::Test {
  std::shared_ptr<policies::Governor> governor = testing::demo_governor();
  Conversation::Options planning(rewrite::PlanPtr plan) {
    Conversation::Options o;
    o.governor = governor.get();
    o.planner = [plan](std::string_view sql, const policies::SessionContext&) {
      return sql == kUpsert ? plan : nullptr;
    };
    return o;
  }
  static void as_analyst(Driver& d) {
    d.conversation.identity().user = "analyst";
    d.conversation.identity().database = "dev";
  }
};

TEST_F(PlanGoverned, AStepThePoliciesRefuseRefusesThePlanBeforeAnythingRuns) {
  Driver d{planning(plan_deleting("public.t"))};
  as_analyst(d);
  EXPECT_EQ(d.send(Query{kUpsert}), kRefusedUpstream);
  EXPECT_EQ(d.reply({ErrorResponse{{{{'S', "ERROR"}, {'C', "42601"}}}}, ReadyForQuery{'I'}}), "E(42501) Z(I)");
  EXPECT_EQ(d.send(Parse{"s", kUpsert, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send({Bind{"", "s", {}, {}, {}}, Execute{"", 0}, Sync{}}), "S");
}

TEST_F(PlanGoverned, StepsThePoliciesPassRunAndTheStagingTablesAreTheSessions) {
  // Unqualified, the staging table would be taken for public's: its DDL and DELETE refused.
  auto plan = std::make_shared<rewrite::Plan>(*plan_deleting("loads.t"));
  plan->steps.insert(plan->steps.end() - 1, plan->steps[1]);
  plan->steps[2].sql = "DELETE FROM " + std::string(kStage);
  Driver d{planning(plan)};
  as_analyst(d);
  EXPECT_EQ(d.send(Query{kUpsert}).rfind("Q(BEGIN\n;\nCREATE TEMP TABLE \"blueshift_upsert_7\"", 0), 0u);
  EXPECT_EQ(checked_text(*plan).rfind("CREATE TEMP TABLE pg_temp.\"blueshift_upsert_7\"", 0), 0u)
      << checked_text(*plan);
}

}  // namespace
}  // namespace blueshift::proxy

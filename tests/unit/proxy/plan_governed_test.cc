// Each step of a plan passes the policies before any runs (proxy/plan_governed.h): the client's
// statement passes, but a step of its plan that the policies refuse refuses the whole plan,
// in either protocol, and nothing of it goes upstream; the staging tables are the session's
// temporary tables, not tables of the search path. A finding is recorded once per client
// statement, and a warning only the steps raise reaches the client as its own would.
#include "proxy/plan_governed.h"

#include <gtest/gtest.h>

#include <regex>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "rewrite/merge_plan.h"
#include "rewrite/upsert_plan.h"

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
  for (auto& step : plan->steps) step.checked = std::regex_replace(step.sql, std::regex(kStage), "pg_temp.$&");
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

// The number the next staging table of `kind` takes: one more than a plan's just made.
int next_stage(std::string_view kind, const rewrite::PlanPtr& probe) {
  const std::string prefix = "\"blueshift_" + std::string(kind) + "_";
  int last = 0;
  for (const auto& step : probe->steps) {
    const size_t at = step.sql.find(prefix);
    if (at != std::string::npos) last = std::max(last, std::stoi(step.sql.substr(at + prefix.size())));
  }
  return last + 1;
}

// A MERGE whose target is spelled like its plan's second staging table, which a MERGE
// without INSERT names but never creates: its staged DELETE runs on public's table, which the
// policies forbid the analyst. (A text substitution read that DELETE as one of a temporary
// table, and it ran.)
TEST_F(PlanGoverned, ATargetSpelledLikeAStagingTableIsNotTakenForOne) {
  constexpr const char* kProbe = "merge into loads.t t using (values (1)) as s (k) on t.k = s.k "
                                 "when matched then delete when not matched then insert values (s.k)";
  const int next = next_stage("merge", rewrite::plan_merge(kProbe, rewrite::MergeMode::Staged));
  const std::string merge = "merge into \"blueshift_merge_" + std::to_string(next + 1) +
                            "\" t using (values (1)) as s (k) on t.k = s.k when matched then delete";
  Conversation::Options o;
  o.governor = governor.get();
  o.planner = [](std::string_view sql, const policies::SessionContext&) {
    return rewrite::plan_merge(sql, rewrite::MergeMode::Staged);
  };
  Driver d{o};
  as_analyst(d);
  EXPECT_EQ(d.send(Query{merge}), kRefusedUpstream);
  EXPECT_EQ(d.reply({ErrorResponse{{{{'S', "ERROR"}, {'C', "42601"}}}}, ReadyForQuery{'I'}}), "E(42501) Z(I)");
}

// An identifier, a literal and a comment spelled like the next staging table reach the
// policies as the client wrote them; the plan's own references to it are temporary tables.
TEST_F(PlanGoverned, TheClientsTextIsCheckedAsItRuns) {
  constexpr const char* kProbe = "insert into loads.t (k) values (1) on conflict (k) do nothing";
  const int next = next_stage("upsert", rewrite::plan_upsert(kProbe));
  const std::string name = "\"blueshift_upsert_" + std::to_string(next) + "\"";
  const std::string source = "select 1 as " + name + ", '" + name + "' /* " + name + " */";
  const rewrite::PlanPtr plan = rewrite::plan_upsert("insert into loads.t (k, note) " + source + " on conflict (k) do nothing");
  const std::string text = checked_text(*plan);
  EXPECT_NE(text.find("INSERT INTO pg_temp." + name + " (k, note) " + source + "\n;"), std::string::npos) << text;
  EXPECT_EQ(text.find("pg_temp.pg_temp"), std::string::npos) << text;
  EXPECT_EQ(governor->check_query(text, {.user = "analyst", .database = "dev"}).verdict.outcome,
            policies::Verdict::Outcome::Pass);
}

// A prepared upsert whose statement reads no lake table, but whose staged load reads the
// lake's sales of three years in the months of $1: each Bind checks the steps with its
// values, so {1} (3 partitions) passes and {1,2,3,4,5} (15, over the analysts' 12) is
// refused at its Bind, before anything runs.
TEST_F(PlanGoverned, StepsAreCheckedWithEachBindsValues) {
  constexpr const char* kPrepared = "insert into loads.t select unnest($1::int[]) on conflict (k) do nothing";
  auto plan = std::make_shared<rewrite::Plan>(*plan_deleting("loads.t"));
  const std::string load = " AS SELECT sale_id FROM spectrum_schema.sales WHERE year IN (2022, 2023, 2024) AND month = ANY($1::int[])";
  plan->steps[0].sql = "CREATE TEMP TABLE " + std::string(kStage) + load;
  plan->steps[0].checked = "CREATE TEMP TABLE pg_temp." + std::string(kStage) + load;
  plan->steps[0].uses_params = true;
  Conversation::Options o = planning(nullptr);
  o.planner = [plan](std::string_view sql, const policies::SessionContext&) {
    return sql == kPrepared ? plan : nullptr;
  };
  Driver d{o};
  as_analyst(d);
  EXPECT_EQ(d.send(Parse{"s", kPrepared, {}}), "P(s:)");
  EXPECT_EQ(d.reply(BackendMessage{ParseComplete{}}), "1");
  const std::string ran = d.send({Bind{"", "s", {}, {std::string("{1}")}, {}}, Execute{"", 0}, Sync{}});
  EXPECT_NE(ran.find("P(__blueshift_step__:CREATE TEMP TABLE"), std::string::npos) << ran;
  EXPECT_EQ(d.send({Bind{"", "s", {}, {std::string("{1,2,3,4,5}")}, {}}, Execute{"", 0}, Sync{}}),
            "B(:__blueshift_refused__:0) S");
}

// ------------------------------------------------------------------ findings recorded once

// The demo policies warn analysts of SELECT * on the lake (rule no-select-star-on-lake).
constexpr const char* kLakeRows = " SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = 1";
constexpr const char* kUpsertLake =
    "insert into loads.t select * from spectrum_schema.sales where year = 2024 and month = 1 on conflict (k) do nothing";

// plan_deleting's, whose staging table is loaded from `source`.
rewrite::PlanPtr plan_loading(const std::string& source) {
  auto plan = std::make_shared<rewrite::Plan>(*plan_deleting("loads.t"));
  plan->steps[0].sql = "CREATE TEMP TABLE " + std::string(kStage) + " AS" + source;
  plan->steps[0].checked = "CREATE TEMP TABLE pg_temp." + std::string(kStage) + " AS" + source;
  plan->steps[0].uses_params = source.find('$') != std::string::npos;
  return plan;
}

Conversation::Options planning_for(const std::shared_ptr<policies::Governor>& governor, const std::string& client,
                                   rewrite::PlanPtr plan) {
  Conversation::Options o;
  o.governor = governor.get();
  o.planner = [client, plan](std::string_view sql, const policies::SessionContext&) {
    return sql == client ? plan : nullptr;
  };
  return o;
}

// What the server answers the plan's script of a simple Query (its own transaction).
std::vector<BackendMessage> script_ran() {
  // Element by element: one braced list of these variants takes GCC 12 gigabytes to compile.
  std::vector<BackendMessage> m;
  for (const char* tag : {"BEGIN", "SELECT 5", "DELETE 2", "DROP TABLE", "COMMIT"}) m.push_back(CommandComplete{tag});
  m.push_back(ReadyForQuery{'I'});
  m.push_back(NoticeResponse{{{{'C', "25P01"}}}});
  m.push_back(CommandComplete{"ROLLBACK"});
  m.push_back(ReadyForQuery{'I'});
  return m;
}

// How often the select-star rule warned, by its tally and by the governor's counter.
std::pair<uint64_t, uint64_t> star_warnings(const policies::Governor& governor) {
  uint64_t tally = 0;
  for (const auto& t : governor.rule_tallies())
    if (t.rule.name == "no-select-star-on-lake") tally = t.counts[1];
  return {tally, governor.counters().warned};
}

TEST_F(PlanGoverned, AWarningOnlyAStepRaisesIsRecordedOnceAndShownBeforeTheResults) {
  Driver d{planning_for(governor, kUpsert, plan_loading(kLakeRows))};
  as_analyst(d);
  EXPECT_EQ(d.send(Query{kUpsert}).rfind("Q(BEGIN\n;\nCREATE TEMP TABLE", 0), 0u);
  EXPECT_EQ(d.reply(script_ran()), "N(01000) C(INSERT 0 2) Z(I)");
  EXPECT_EQ(star_warnings(*governor), std::make_pair(uint64_t{1}, uint64_t{1}));
  // The same in the extended protocol: the Parse's warning, as the client's own would be.
  EXPECT_EQ(d.send(Parse{"s", kUpsert, {}}), "P(s:)");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply(BackendMessage{ParseComplete{}}), "1");
  EXPECT_EQ(d.reply(BackendMessage{ReadyForQuery{'I'}}), "N(01000) Z(I)");  // where the client's own go
  EXPECT_EQ(star_warnings(*governor), std::make_pair(uint64_t{2}, uint64_t{2}));
}

TEST_F(PlanGoverned, AFindingOfTheStatementAndItsStepsIsRecordedOnce) {
  Driver d{planning_for(governor, kUpsertLake, plan_loading(kLakeRows))};
  as_analyst(d);
  (void)d.send(Query{kUpsertLake});
  EXPECT_EQ(d.reply(script_ran()), "N(01000) C(INSERT 0 2) Z(I)");
  EXPECT_EQ(star_warnings(*governor), std::make_pair(uint64_t{1}, uint64_t{1}));
}

// Decided at each Bind, the statement's and its steps' (which read the months of $1).
TEST_F(PlanGoverned, AFindingOfTheStatementAndItsStepsAtBindIsRecordedOnce) {
  constexpr const char* kPrepared = "insert into loads.t select * from spectrum_schema.sales where year = 2024 "
                                    "and month = any($1::int[]) on conflict (k) do nothing";
  const char* rows = " SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = ANY($1::int[])";
  Driver d{planning_for(governor, kPrepared, plan_loading(rows))};
  as_analyst(d);
  EXPECT_EQ(d.send(Parse{"s", kPrepared, {}}), "P(s:)");
  EXPECT_EQ(d.reply(BackendMessage{ParseComplete{}}), "1");
  const std::string ran = d.send({Bind{"", "s", {}, {std::string("{1}")}, {}}, Execute{"", 0}, Sync{}});
  EXPECT_NE(ran.find("P(__blueshift_step__:CREATE TEMP TABLE"), std::string::npos) << ran;
  EXPECT_EQ(star_warnings(*governor), std::make_pair(uint64_t{1}, uint64_t{1}));
}



// ------------------------------------------------------------------ budget sessions

// A budget session defers the client's check of every prepared lake scan to its Binds; a
// plan whose steps' check waits for the values too is decided there in one check, with
// every refusal kept: a step over the partition cap, and the statement over budget.
constexpr const char* kBudgetedUpsert =
    "insert into loads.t select sale_id from spectrum_schema.sales where year = 2024 and month = ANY($1::int[]) "
    "on conflict (k) do nothing";

// What the server answers a Bind of the refused statement, then Sync.
std::vector<BackendMessage> refused_upstream() {
  std::vector<BackendMessage> m;
  m.push_back(ErrorResponse{{{{'S', "ERROR"}, {'C', "26000"}}}});
  m.push_back(ReadyForQuery{'I'});
  return m;
}

struct PlanBudgeted : ::testing::Test {
  std::shared_ptr<policies::MemoryLedger> ledger = std::make_shared<policies::MemoryLedger>();
  std::unique_ptr<policies::Budgets> budgets = testing::memory_budgets(ledger);
  // The steps load the lake's sales of three years in the months of $1 (the client's: one).
  std::unique_ptr<Driver> driver(const std::shared_ptr<policies::Governor>& governor) {
    const std::string load =
        " AS SELECT sale_id FROM spectrum_schema.sales WHERE year IN (2022, 2023, 2024) AND month = ANY($1::int[])";
    auto plan = std::make_shared<rewrite::Plan>(*plan_deleting("loads.t"));
    plan->steps[0].sql = "CREATE TEMP TABLE " + std::string(kStage) + load;
    plan->steps[0].checked = "CREATE TEMP TABLE pg_temp." + std::string(kStage) + load;
    plan->steps[0].uses_params = true;
    Conversation::Options o = planning_for(governor, kBudgetedUpsert, plan);
    o.budgets = budgets.get();
    auto d = std::make_unique<Driver>(std::move(o));
    d->conversation.identity().user = "analyst";
    d->conversation.identity().database = "dev";
    EXPECT_EQ(d->send(Parse{"s", kBudgetedUpsert, {}}), "P(s:)");
    EXPECT_EQ(d->reply(BackendMessage{ParseComplete{}}), "1");
    return d;
  }
  // A Bind of `months` with its Execute and Sync, its lease taken when it waits for one.
  std::string bind(Driver& d, const std::string& months) {
    const Bind b{"", "s", {}, {months}, {}};
    std::string sent = d.send(b);
    if (sent == "WAIT") {
      budgets->acquire(*d.conversation.budget().waiting(), d.conversation.budget().waiting_user());
      d.conversation.budget().acquired();
      sent = d.send(b);
    }
    return sent + " " + d.send({Execute{"", 0}, Sync{}});
  }
};

TEST_F(PlanBudgeted, EachBindOfAPlannedStatementIsOneCheck) {
  const auto governor = testing::budget_governor(100.0);
  auto d = driver(governor);
  for (int i = 0; i < 3; ++i) {
    const uint64_t before = governor->counters().checked;
    const std::string ran = bind(*d, "{1}");
    EXPECT_NE(ran.find("P(__blueshift_step__:CREATE TEMP TABLE"), std::string::npos) << ran;
    EXPECT_EQ(governor->counters().checked - before, 1u) << i;
    d->reply({BindComplete{}, CommandComplete{"SELECT 3"}, ReadyForQuery{'I'}});
  }
}

TEST_F(PlanBudgeted, AStepOverThePartitionCapIsRefused) {
  const auto governor = testing::budget_governor(100.0);
  auto d = driver(governor);
  // The client's statement reads 5 partitions (the analysts' cap is 12), its steps 15.
  EXPECT_EQ(bind(*d, "{1,2,3,4,5}"), "B(:__blueshift_refused__:0) S");
  EXPECT_EQ(d->reply(refused_upstream()), "E(42501) Z(I)");
}

TEST_F(PlanBudgeted, AStatementOverBudgetIsRefused) {
  // A partition is priced at $0.00061: one is over this budget.
  const auto governor = testing::budget_governor(0.0001);
  auto d = driver(governor);
  EXPECT_EQ(bind(*d, "{1}"), "B(:__blueshift_refused__:0) S");
  EXPECT_EQ(d->reply(refused_upstream()), "E(53400) Z(I)");
}

}  // namespace
}  // namespace blueshift::proxy

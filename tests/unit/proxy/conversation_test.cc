// The session's logic without sockets: client messages in, what goes upstream out; server
// replies in, what the client gets out. Covers forwarding, the proxy's own answers
// (SET/SHOW blueshift.*), refusals, plans in both protocols, pipelined batches, errors at
// each step, discard-until-Sync, and state that changes only when the server confirms it.
#include "proxy/conversation.h"

#include <gtest/gtest.h>

#include <functional>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "policies/governor_options.h"
#include "rewrite/merge_plan.h"
#include "proxy/routing_settings.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;
using testing::demo_governor;

ErrorResponse error(const std::string& sqlstate) { return ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', sqlstate}, {'M', "boom"}}}}; }
ReadyForQuery ready(char status) { return ReadyForQuery{status}; }


struct Governed : ::testing::Test {
  std::shared_ptr<policies::Governor> governor = demo_governor();
  Driver d{Conversation::Options{governor.get(), {}}};
  void SetUp() override {
    d.conversation.identity().user = "analyst";
    d.conversation.identity().database = "dev";
  }
};

constexpr const char* kFullScan = "select count(*) from spectrum_schema.sales";
// Decided at Bind: (2024, 2024) reads 12 partitions, (2022, 2024) reads 36 (over the limit).
constexpr const char* kParamScan =
    "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12";
const std::vector<std::optional<std::string>> kWide = {"2022", "2024"};
const char* kRefusedUpstream = "Q(/* blueshift: statement refused by policy */ blueshift_refused)";

// ------------------------------------------------------------------ forward

TEST(Conversation, ForwardsUngovernedTrafficAsIs) {
  Driver d;
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
  EXPECT_TRUE(d.conversation.awaiting_reply());
  EXPECT_EQ(d.reply({RowDescription{}, DataRow{{"1"}}, CommandComplete{"SELECT 1"}, ready('I')}), "T() D(1) C(SELECT 1) Z(I)");
  EXPECT_FALSE(d.conversation.awaiting_reply());
}

TEST(Conversation, ReadyForQueryStatusIsTracked) {
  Driver d;
  (void)d.send(Query{"begin"});
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, ready('T')}), "C(BEGIN) Z(T)");
  EXPECT_EQ(d.conversation.transaction_status(), 'T');
  (void)d.send(Query{"select 1/0"});
  EXPECT_EQ(d.reply({error("22012"), ready('E')}), "E(22012) Z(E)");
  EXPECT_EQ(d.conversation.transaction_status(), 'E');
}

TEST(Conversation, ReservedNamesAreRefused) {
  Driver d;
  EXPECT_EQ(d.send(Parse{"__blueshift_refused__", "select 1", {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send(Bind{"", "__blueshift_refused__", {}, {}, {}}), "");  // discarded until Sync
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({error("26000"), ready('I')}), "E(42939) Z(I)");
}

// ------------------------------------------------------------------ answers

TEST(Conversation, ShowBlueshiftVersionIsAnsweredByTheProxy) {
  Driver d;
  EXPECT_EQ(d.send(Query{"SHOW blueshift.version"}), "Q()");
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ready('I')}),
            "T(blueshift.version) D(" BLUESHIFT_TEST_VERSION ") C(SHOW) Z(I)");
}

TEST(Conversation, ShowInAFailedBlockFailsAsPostgresWould) {
  Driver d;
  EXPECT_EQ(d.send(Query{"/* tool */ show BLUESHIFT.version"}), "Q()");
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ready('E')}), "E(25P02) Z(E)");
}

TEST(Conversation, UnknownAndReadOnlySettingsGetPostgresErrors) {
  Driver d;
  EXPECT_EQ(d.send(Query{"SHOW blueshift.nope"}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(42704) Z(I)");
  EXPECT_EQ(d.send(Query{"SET blueshift.version = '1'"}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(55P02) Z(I)");
  EXPECT_EQ(d.send(Query{"RESET blueshift.nope"}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(42704) Z(I)");
}

TEST(Conversation, ProxySettingsMixedWithOtherStatementsAreRefused) {
  Driver d;
  EXPECT_EQ(d.send(Query{"select 1; show blueshift.version"}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(0A000) Z(I)");
}

TEST(Conversation, TextsMerelyMentioningBlueshiftAreForwarded) {
  Driver d;
  EXPECT_EQ(d.send(Query{"select 'blueshift.version'"}), "Q(select 'blueshift.version')");
  EXPECT_EQ(d.send(Query{"show search_path"}), "Q(show search_path)");
}

TEST(Conversation, ExtendedShowIsAnsweredThroughAnEmptyStatement) {
  Driver d;
  EXPECT_EQ(d.send({Parse{"s1", "SHOW blueshift.version", {}}, Bind{"p", "s1", {}, {}, {}}, Describe{'P', "p"},
                    Execute{"p", 0}, Sync{}}),
            "P(s1:) B(p:s1:0) D(Pp) E(p) S");
  EXPECT_EQ(d.reply({ParseComplete{}, BindComplete{}, NoData{}, EmptyQueryResponse{}, ready('I')}),
            "1 2 T(blueshift.version) D(" BLUESHIFT_TEST_VERSION ") C(SHOW) Z(I)");
  // The statement stays answered by the proxy for later Binds.
  EXPECT_EQ(d.send({Bind{"", "s1", {}, {}, {}}, Execute{"", 0}, Sync{}}), "B(:s1:0) E() S");
  EXPECT_EQ(d.reply({BindComplete{}, EmptyQueryResponse{}, ready('I')}),
            "2 D(" BLUESHIFT_TEST_VERSION ") C(SHOW) Z(I)");
}

TEST(Conversation, ExtendedShowOfASkippedParseIsNotAnswered) {
  Driver d;
  // An earlier error makes the server skip the Parse: s1 never becomes the proxy's.
  EXPECT_EQ(d.send({Execute{"nope", 0}, Parse{"s1", "SHOW blueshift.version", {}}, Sync{}}), "E(nope) P(s1:) S");
  EXPECT_EQ(d.reply({error("34000"), ready('I')}), "E(34000) Z(I)");
  EXPECT_EQ(d.send({Bind{"", "s1", {}, {}, {}}, Execute{"", 0}, Sync{}}), "B(:s1:0) E() S");
  EXPECT_EQ(d.reply({error("26000"), ready('I')}), "E(26000) Z(I)");
}

// ------------------------------------------------------------------ policies

TEST_F(Governed, RefusesAFullScan) {
  EXPECT_EQ(d.send(Query{kFullScan}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
}

TEST_F(Governed, ARefusalAfterAnEarlierQueryReplacesOnlyItsOwnError) {
  EXPECT_EQ(d.send(Query{"select 1/0"}), "Q(select 1/0)");
  EXPECT_EQ(d.send(Query{kFullScan}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("22012"), ready('I'), error("42601"), ready('I')}), "E(22012) Z(I) E(42501) Z(I)");
}

TEST_F(Governed, FailedBlockDoesNotSkipChecks) {
  // ROLLBACK ends the failed block and the scan runs: it must be checked like any other.
  d.conversation.set_transaction_status('E');
  EXPECT_EQ(d.send(Query{std::string("ROLLBACK; ") + kFullScan}), kRefusedUpstream);
  EXPECT_EQ(d.send(Query{std::string("ABORT; ") + kFullScan}), kRefusedUpstream);
  EXPECT_EQ(d.send(Query{std::string("COMMIT; ") + kFullScan}), kRefusedUpstream);
  EXPECT_EQ(d.send(Query{std::string("ROLLBACK AND CHAIN; ") + kFullScan}), kRefusedUpstream);
}

TEST_F(Governed, FailedBlockExtendedBatchIsChecked) {
  d.conversation.set_transaction_status('E');
  EXPECT_EQ(d.send({Parse{"", "rollback", {}}, Bind{"", "", {}, {}, {}}, Execute{"", 0}}), "P(:rollback) B(::0) E()");
  EXPECT_EQ(d.send(Parse{"", kFullScan, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send({Bind{"", "", {}, {}, {}}, Execute{"", 0}}), "");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({ParseComplete{}, BindComplete{}, CommandComplete{"ROLLBACK"}, error("26000"), ready('I')}),
            "1 2 C(ROLLBACK) E(42501) Z(I)");
}

TEST_F(Governed, BindOfTheStatementASkippedParseWouldHaveReplacedIsStillChecked) {
  // The unnamed statement is a governed scan whose check waits for its values.
  EXPECT_EQ(d.send({Parse{"", kParamScan, {}}, Sync{}}), std::string("P(:") + kParamScan + ") S");
  EXPECT_EQ(d.reply({ParseComplete{}, ready('I')}), "1 Z(I)");
  // An earlier error makes the server skip this Parse: the governed statement stays.
  EXPECT_EQ(d.send({Execute{"nope", 0}, Parse{"", "select $1::int + $2::int", {}}, Sync{}}),
            "E(nope) P(:select $1::int + $2::int) S");
  EXPECT_EQ(d.reply({error("34000"), ready('I')}), "E(34000) Z(I)");
  // A Bind whose values the governed statement must not take is refused...
  EXPECT_EQ(d.send(Bind{"", "", {}, kWide, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({error("26000"), ready('I')}), "E(42501) Z(I)");
  // ...until a Parse the server confirmed replaces it.
  EXPECT_EQ(d.send({Parse{"", "select $1::int + $2::int", {}}, Sync{}}), "P(:select $1::int + $2::int) S");
  EXPECT_EQ(d.reply({ParseComplete{}, ready('I')}), "1 Z(I)");
  EXPECT_EQ(d.send(Bind{"", "", {}, kWide, {}}), "B(::2)");
}

TEST_F(Governed, ARefusedBindDoesNotFollowTheNextParseOfTheName) {
  // psycopg: each query is Parse/Bind/Execute/Sync on the unnamed statement. A refused Bind
  // must not make the next query's Bind be checked against the refused one's statement.
  EXPECT_EQ(d.send({Parse{"", kParamScan, {}}, Bind{"", "", {}, kWide, {}}}), std::string("P(:") + kParamScan + ") B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send({Execute{"", 0}, Sync{}}), "S");
  EXPECT_EQ(d.reply({ParseComplete{}, error("26000"), ready('I')}), "1 E(42501) Z(I)");
  EXPECT_EQ(d.send({Parse{"", "select $1::int + $2::int", {}}, Bind{"", "", {}, kWide, {}}}),
            "P(:select $1::int + $2::int) B(::2)");
  EXPECT_EQ(d.send({Execute{"", 0}, Sync{}}), "E() S");
  // The other way round: a governed Parse in the Bind's batch is what the Bind runs on.
  EXPECT_EQ(d.send({Parse{"", kParamScan, {}}, Bind{"", "", {}, kWide, {}}}), std::string("P(:") + kParamScan + ") B(:__blueshift_refused__:0)");
}

TEST_F(Governed, ACloseTheServerSkippedKeepsTheStatementsCheck) {
  EXPECT_EQ(d.send({Parse{"s", kParamScan, {}}, Sync{}}), std::string("P(s:") + kParamScan + ") S");
  EXPECT_EQ(d.reply({ParseComplete{}, ready('I')}), "1 Z(I)");
  EXPECT_EQ(d.send({Execute{"nope", 0}, Close{'S', "s"}, Sync{}}), "E(nope) C(Ss) S");
  EXPECT_EQ(d.reply({error("34000"), ready('I')}), "E(34000) Z(I)");
  EXPECT_EQ(d.send(Bind{"", "s", {}, kWide, {}}), "B(:__blueshift_refused__:0)");
}

TEST_F(Governed, AConfirmedCloseForgetsTheCheck) {
  EXPECT_EQ(d.send({Parse{"s", kParamScan, {}}, Close{'S', "s"}, Sync{}}), std::string("P(s:") + kParamScan + ") C(Ss) S");
  EXPECT_EQ(d.reply({ParseComplete{}, CloseComplete{}, ready('I')}), "1 3 Z(I)");
  EXPECT_EQ(d.send(Bind{"", "s", {}, kWide, {}}), "B(:s:2)");
}

TEST_F(Governed, BindWithGoodValuesPasses) {
  (void)d.send({Parse{"s", kParamScan, {}}, Sync{}});
  (void)d.reply({ParseComplete{}, ready('I')});
  EXPECT_EQ(d.send(Bind{"", "s", {}, {"2024", "2024"}, {}}), "B(:s:2)");
  EXPECT_EQ(d.send(Bind{"", "s", {}, kWide, {}}), "B(:__blueshift_refused__:0)");
}

TEST_F(Governed, FunctionCallIsRefusedForGovernedSessions) {
  EXPECT_EQ(d.send(FunctionCall{2925, {}, {}, 0}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
  d.conversation.identity().user = "etl";  // exempt from every rule
  EXPECT_EQ(d.send(FunctionCall{2925, {}, {}, 0}), "F");
}

TEST_F(Governed, WarnModeNoticeComesBeforeReadyForQuery) {
  EXPECT_EQ(d.send(Query{"select * from spectrum_schema.sales where year = 2024 and month = 1"}),
            "Q(select * from spectrum_schema.sales where year = 2024 and month = 1)");
  EXPECT_EQ(d.reply({RowDescription{}, CommandComplete{"SELECT 0"}, ready('I')}), "T() C(SELECT 0) N(01000) Z(I)");
}

TEST_F(Governed, ShowRulesListsTheRulesOfTheSession) {
  EXPECT_EQ(d.send(Query{"show blueshift.rules"}), "Q()");
  const std::string got = d.reply({EmptyQueryResponse{}, ready('I')});
  EXPECT_EQ(got.substr(0, std::string("T(name,type,mode,tables) D(analysts-must-filter-partitions,").size()),
            "T(name,type,mode,tables) D(analysts-must-filter-partitions,");
  EXPECT_NE(got.find("C(SHOW) Z(I)"), std::string::npos) << got;
}

TEST_F(Governed, SearchPathChangesOnlyWhenTheServerRanTheSet) {
  EXPECT_EQ(d.send(Query{"set search_path = spectrum_schema"}), "Q(set search_path = spectrum_schema)");
  EXPECT_TRUE(d.conversation.identity().search_path_uncertain);  // in flight
  EXPECT_EQ(d.reply({CommandComplete{"SET"}, ready('I')}), "C(SET) Z(I)");
  EXPECT_EQ(d.conversation.identity().search_path, std::vector<std::string>{"spectrum_schema"});
  EXPECT_FALSE(d.conversation.identity().search_path_uncertain);
  // A SET whose implicit transaction fails leaves the path as it was.
  (void)d.send(Query{"set search_path = public; select 1/0"});
  EXPECT_EQ(d.reply({CommandComplete{"SET"}, error("22012"), ready('I')}), "C(SET) E(22012) Z(I)");
  EXPECT_EQ(d.conversation.identity().search_path, std::vector<std::string>{"spectrum_schema"});
  EXPECT_FALSE(d.conversation.identity().search_path_uncertain);
  // Inside a block it may still roll back.
  (void)d.send(Query{"set search_path = public"});
  EXPECT_EQ(d.reply({CommandComplete{"SET"}, ready('T')}), "C(SET) Z(T)");
  EXPECT_TRUE(d.conversation.identity().search_path_uncertain);
}

// ------------------------------------------------------------------ plans

rewrite::PlanPtr upsert_plan() {
  auto plan = std::make_shared<rewrite::Plan>();
  plan->steps.resize(2);
  plan->steps[0].sql = "delete from t using s where t.k = s.k";
  plan->steps[1].sql = "insert into t select * from s";
  plan->steps[1].replies = rewrite::PlanStep::Replies::Count;
  plan->steps[1].uses_params = true;
  plan->tag = "INSERT 0 {rows}";
  return plan;
}

Driver planned(rewrite::PlanPtr plan = upsert_plan()) {
  Conversation::Options o;
  o.planner = [plan](std::string_view sql, const policies::SessionContext&) -> rewrite::PlanPtr {
    return sql.find("on conflict") != std::string_view::npos ? plan : nullptr;
  };
  return Driver(std::move(o));
}

constexpr const char* kUpsert = "insert into t values (1) on conflict (k) do nothing";

// The Query a plan's steps go upstream in (simple protocol): one text, its statements apart.
std::string script(std::initializer_list<std::string_view> statements) {
  std::string text;
  for (const std::string_view s : statements) text += (text.empty() ? "" : "\n;\n") + std::string(s);
  return "Q(" + text + ")";
}
const std::string kOwnScript = script({"BEGIN", "delete from t using s where t.k = s.k", "insert into t select * from s",
                                       "COMMIT"}) + " Q(ROLLBACK)";
const std::string kBlockScript = script({"delete from t using s where t.k = s.k", "insert into t select * from s"});

TEST(ConversationPlan, SimpleOutsideABlockRunsInItsOwnTransaction) {
  Driver d = planned();
  EXPECT_EQ(d.send(Query{kUpsert}), kOwnScript);
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, CommandComplete{"DELETE 2"}, CommandComplete{"INSERT 0 3"},
                     CommandComplete{"COMMIT"}, ready('I'), NoticeResponse{{{{'C', "25P01"}}}},
                     CommandComplete{"ROLLBACK"}, ready('I')}),
            "C(INSERT 0 3) Z(I)");
}

TEST(ConversationPlan, SimpleErrorOutsideABlockRollsBackAndReportsTheFirstError) {
  Driver d = planned();
  (void)d.send(Query{kUpsert});
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, error("42P01"), ready('E'), CommandComplete{"ROLLBACK"}, ready('I')}),
            "E(42P01) Z(I)");
}

TEST(ConversationPlan, AStepsErrorReachesTheClientAsTheStepSays) {
  auto plan = std::make_shared<rewrite::Plan>(*upsert_plan());
  plan->steps[0].error_as = rewrite::PlanStep::Error{"21000", "a row a second time", ""};
  Driver d = planned(plan);
  (void)d.send(Query{kUpsert});
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, error("22012"), ready('E'), CommandComplete{"ROLLBACK"}, ready('I')}),
            "E(21000) Z(I)");
}

TEST(ConversationPlan, SimpleErrorAtTheLastStepIsTheClientsError) {
  Driver d = planned();
  (void)d.send(Query{kUpsert});
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, CommandComplete{"DELETE 0"}, CommandComplete{"INSERT 0 1"},
                     error("40001"), ready('I'), NoticeResponse{{{{'C', "25P01"}}}}, CommandComplete{"ROLLBACK"},
                     ready('I')}),
            "E(40001) Z(I)");
}

TEST(ConversationPlan, SimpleInsideABlockFailsTheBlock) {
  Driver d = planned();
  d.conversation.set_transaction_status('T');
  EXPECT_EQ(d.send(Query{kUpsert}), kBlockScript);
  EXPECT_EQ(d.reply({error("23505"), ready('E')}), "E(23505) Z(E)");
}

TEST(ConversationPlan, SimpleInsideABlockSucceeds) {
  Driver d = planned();
  d.conversation.set_transaction_status('T');
  (void)d.send(Query{kUpsert});
  EXPECT_EQ(d.reply({CommandComplete{"DELETE 1"}, CommandComplete{"INSERT 0 2"}, ready('T')}), "C(INSERT 0 2) Z(T)");
}

// An error at each upstream step of the plan: the client gets that error once, and the
// ReadyForQuery status PostgreSQL would leave (outside a block: rolled back, 'I'; inside
// one: the block failed, 'E'), never a tag.
TEST(ConversationPlan, AnErrorAtEachStepIsReportedOnce) {
  for (const char status : {'I', 'T'}) {
    const size_t steps = status == 'I' ? 4 : 2;  // BEGIN, delete, insert, COMMIT / delete, insert
    for (size_t failing = 0; failing < steps; ++failing) {
      Driver d = planned();
      d.conversation.set_transaction_status(status);
      (void)d.send(Query{kUpsert});
      std::vector<BackendMessage> replies;
      // The script: each statement completes until one fails; the server skips the rest.
      for (size_t i = 0; i < failing; ++i) replies.push_back(CommandComplete{"INSERT 0 1"});
      const bool commit = status == 'I' && failing + 1 == steps;
      replies.push_back(error(commit ? "40001" : "XX000"));
      replies.push_back(ready(commit ? 'I' : 'E'));
      if (status == 'I') {  // the ROLLBACK after it
        replies.push_back(CommandComplete{"ROLLBACK"});
        replies.push_back(ready('I'));
      }
      const std::string want = std::string(status == 'I' && failing + 1 == steps ? "E(40001)" : "E(XX000)") + " Z(" +
                               (status == 'I' ? 'I' : 'E') + ")";
      EXPECT_EQ(d.reply(replies), want) << "status " << status << ", failing step " << failing;
    }
  }
}

// ------------------------------------------------------------------ routing

// The demo routing: spectrum_schema.sales partitioned by year and month of sale_date.
Router demo_router() {
  auto settings = std::make_shared<RoutingSettings>(parse_routing_settings(YAML::Load(R"(
external_tables:
  spectrum_schema.sales: {date_column: sale_date, partitions: {year: year, month: month}}
)")));
  return make_router(std::move(settings));
}

constexpr const char* kDateRange =
    "select count(*) from spectrum_schema.sales where sale_date >= DATE '2024-01-01' and sale_date < DATE '2024-03-01'";
constexpr const char* kDateRangeRouted =
    "select count(*) from (SELECT \"sale_date\" FROM spectrum_schema.sales WHERE (\"year\" = 2024 AND \"month\" BETWEEN 1 AND 2)) "
    "AS \"sales\" where sale_date >= DATE '2024-01-01' and sale_date < DATE '2024-03-01'";

// A BI tool's date range, refused as written (no partition filter), runs as routed.
TEST_F(Governed, ADateRangeRunsRoutedInBothProtocols) {
  Driver r{Conversation::Options{governor.get(), {}, demo_router()}};
  r.conversation.identity() = d.conversation.identity();
  EXPECT_EQ(d.send(Query{kDateRange}), kRefusedUpstream);  // without routing
  EXPECT_EQ(r.send(Query{kDateRange}), std::string("Q(") + kDateRangeRouted + ")");
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
  EXPECT_EQ(r.send(Parse{"s", kDateRange, {}}), std::string("P(s:") + kDateRangeRouted + ")");
  // What names no routed table goes on as it came.
  EXPECT_EQ(r.send(Query{"select 1"}), "Q(select 1)");
}

// The policies check what runs: a range over 24 months is refused after routing.
TEST_F(Governed, TheRoutedStatementIsWhatPoliciesCheck) {
  Driver r{Conversation::Options{governor.get(), {}, demo_router()}};
  r.conversation.identity() = d.conversation.identity();
  EXPECT_EQ(r.send(Query{"select 1 from spectrum_schema.sales where sale_date between '2022-01-01' and '2023-12-31'"}),
            kRefusedUpstream);
  EXPECT_EQ(r.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
  // A router can never be a way around them: whatever it makes of a text is checked.
  Driver widening{Conversation::Options{governor.get(), {}, [](std::string_view, const policies::SessionContext&, std::string_view,
                                                                   const std::vector<rewrite::ParamValue>*) {
                                          return std::optional<rewrite::RoutedText>(rewrite::RoutedText{kFullScan, {"x"}});
                                        }}};
  widening.conversation.identity() = d.conversation.identity();
  EXPECT_EQ(widening.send(Query{"select 1"}), kRefusedUpstream);
  EXPECT_EQ(widening.send(Parse{"", "select 1", {}}), "B(:__blueshift_refused__:0)");
}

// SET blueshift.explain_routing = on: a NOTICE with the routed text, only for routed ones.
TEST_F(Governed, ExplainRoutingSendsTheRoutedTextAsANotice) {
  Driver r{Conversation::Options{governor.get(), {}, demo_router()}};
  r.conversation.identity() = d.conversation.identity();
  EXPECT_EQ(r.send(Query{"show blueshift.explain_routing"}), "Q()");
  EXPECT_EQ(r.reply({EmptyQueryResponse{}, ready('I')}), "T(blueshift.explain_routing) D(off) C(SHOW) Z(I)");
  EXPECT_EQ(r.send(Query{"set blueshift.explain_routing = maybe"}), kRefusedUpstream);
  EXPECT_EQ(r.reply({error("42601"), ready('I')}), "E(22023) Z(I)");
  (void)r.send(Query{kDateRange});
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
  EXPECT_EQ(r.send(Query{"set blueshift.explain_routing = on"}), "Q()");
  EXPECT_EQ(r.reply({EmptyQueryResponse{}, ready('I')}), "C(SET) Z(I)");
  (void)r.send(Query{kDateRange});
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) N(00000) Z(I)");
  (void)r.send(Parse{"s", kDateRange, {}});
  (void)r.send(Sync{});
  EXPECT_EQ(r.reply({ParseComplete{}, ready('I')}), "1 N(00000) Z(I)");
  (void)r.send(Query{"select 1"});
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
}

// Tier routing: public.sales_fact holds every row from 2024-10-01 on, the lake all of them.
Router tier_router() {
  auto settings = std::make_shared<RoutingSettings>(parse_routing_settings(YAML::Load(R"(
tiers:
  - {local: public.sales_fact, external: spectrum_schema.sales, date_column: sale_date,
     columns: [sale_id, sale_date], local_from: {date: 2024-10-01}}
)")));
  return make_router(std::move(settings));
}

// SET blueshift.tier is the proxy's: answered, never sent, and it chooses the tier of the
// session's next scans (a comment in one statement still overrides it).
TEST(Conversation, SetBlueshiftTierChoosesTheTier) {
  Driver r{Conversation::Options{nullptr, {}, tier_router()}};
  const std::string recent = "select count(*) from public.sales_fact where sale_date = '2024-11-02'";
  const std::string external = "select count(*) from (SELECT \"sale_id\", \"sale_date\" FROM "
                               "\"spectrum_schema\".\"sales\") AS \"sales_fact\" where sale_date = '2024-11-02'";
  EXPECT_EQ(r.send(Query{recent}), "Q(" + recent + ")");  // all local: as written
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
  EXPECT_EQ(r.send(Query{"show blueshift.tier"}), "Q()");
  EXPECT_EQ(r.reply({EmptyQueryResponse{}, ready('I')}), "T(blueshift.tier) D(auto) C(SHOW) Z(I)");
  EXPECT_EQ(r.send(Query{"set blueshift.tier = sideways"}), "Q(/* blueshift: statement refused by policy */ blueshift_refused)");
  EXPECT_EQ(r.reply({error("42601"), ready('I')}), "E(22023) Z(I)");
  EXPECT_EQ(r.send(Query{"set blueshift.tier = 'External'"}), "Q()");
  EXPECT_EQ(r.reply({EmptyQueryResponse{}, ready('I')}), "C(SET) Z(I)");
  EXPECT_EQ(r.send(Query{recent}), "Q(" + external + ")");
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
  // SHOW reads the setting and leaves it as it is.
  EXPECT_EQ(r.send(Query{"show blueshift.tier"}), "Q()");
  EXPECT_EQ(r.reply({EmptyQueryResponse{}, ready('I')}), "T(blueshift.tier) D(External) C(SHOW) Z(I)");
  EXPECT_EQ(r.send(Query{recent}), "Q(" + external + ")");
  EXPECT_EQ(r.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
  EXPECT_EQ(r.send(Parse{"s", recent, {}}), "P(s:" + external + ")");
  EXPECT_EQ(r.send(Query{"/* blueshift:tier=local */ " + recent}), "Q(/* blueshift:tier=local */ " + recent + ")");
  EXPECT_EQ(r.send(Query{"reset blueshift.tier"}), "Q()");
}

// A plan is another way for a statement to reach the upstream: a statement policies refuse
// is never planned, in either protocol, whatever the planner would do with it.
TEST_F(Governed, AStatementPoliciesRefuseIsNeverPlanned) {
  // Plans everything, its steps writing a table the analyst may write (they pass too).
  auto plan = std::make_shared<rewrite::Plan>(*upsert_plan());
  plan->steps[0].sql = "delete from loads.t using s where t.k = s.k";
  Conversation::Options o{governor.get(), [plan](std::string_view, const policies::SessionContext&) {
                            return plan;
                          }};
  Driver p(std::move(o));
  p.conversation.identity() = d.conversation.identity();
  const std::string hidden =
      "insert into public.t select * from spectrum_schema.sales on conflict (k) do nothing";
  EXPECT_EQ(p.send(Query{hidden}), kRefusedUpstream);
  EXPECT_EQ(p.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
  EXPECT_EQ(p.send(Parse{"s", hidden, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(p.send({Bind{"", "s", {}, {}, {}}, Execute{"", 0}}), "");
  EXPECT_EQ(p.send(Sync{}), "S");
  EXPECT_EQ(p.reply({error("26000"), ready('I')}), "E(42501) Z(I)");
  // A Bind-time check still applies to a planned statement's values.
  EXPECT_EQ(p.send({Parse{"w", kParamScan, {}}, Sync{}}), "P(w:) S");
  EXPECT_EQ(p.reply({ParseComplete{}, ready('I')}), "1 Z(I)");
  EXPECT_EQ(p.send(Bind{"", "w", {}, kWide, {}}), "B(:__blueshift_refused__:0)");
}

TEST_F(Governed, AStagedMergeReadingAnUnfilteredLakeScanIsRefusedNotStaged) {
  // The real MERGE planner stages the source as CREATE TEMP TABLE ... AS SELECT: a way to
  // run the full scan if the policies saw only the steps, or not the source at all.
  Conversation::Options o{governor.get(), [](std::string_view sql, const policies::SessionContext&) {
                            return rewrite::plan_merge(sql, rewrite::MergeMode::Staged);
                          }};
  Driver p(std::move(o));
  p.conversation.identity() = d.conversation.identity();
  const std::string full =
      "merge into public.t using (select sale_id from spectrum_schema.sales) s on t.k = s.sale_id "
      "when not matched then insert (k) values (s.sale_id)";
  ASSERT_NE(rewrite::plan_merge(full, rewrite::MergeMode::Staged), nullptr) << "the planner would stage it";
  EXPECT_EQ(p.send(Query{full}), kRefusedUpstream);
  EXPECT_EQ(p.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
  EXPECT_EQ(p.send(Parse{"m", full, {}}), "B(:__blueshift_refused__:0)");
  // The same MERGE over one month's partitions is staged: BEGIN goes first, not the text.
  const std::string bounded =
      "merge into public.t using (select sale_id from spectrum_schema.sales where year = 2024 and month = 1) s "
      "on t.k = s.sale_id when not matched then insert (k) values (s.sale_id)";
  (void)p.send(Sync{});
  (void)p.reply({error("26000"), ready('I')});
  const std::string staged = p.send(Query{bounded});
  EXPECT_EQ(staged.rfind("Q(BEGIN\n;\n", 0), 0u) << staged;
  EXPECT_NE(staged.find("spectrum_schema.sales where year = 2024"), std::string::npos) << staged;
}

TEST(ConversationPlan, WaitsForEarlierRepliesToKnowTheTransactionState) {
  Driver d = planned();
  EXPECT_EQ(d.send(Query{"begin"}), "Q(begin)");
  EXPECT_EQ(d.send(Query{kUpsert}), "WAIT");
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, ready('T')}), "C(BEGIN) Z(T)");
  EXPECT_EQ(d.send(Query{kUpsert}), kBlockScript);
}

TEST(ConversationPlan, ExtendedRunsTheStepsAtExecute) {
  Driver d = planned();
  EXPECT_EQ(d.send({Parse{"s", kUpsert, {}}, Bind{"p", "s", {}, {"1"}, {}}, Describe{'P', "p"}}),
            "P(s:) B(p:s:0) D(Pp)");
  EXPECT_EQ(d.send(Execute{"p", 0}),
            "C(S__blueshift_step__) P(__blueshift_step__:delete from t using s where t.k = s.k) "
            "B(__blueshift_step__:__blueshift_step__:0) E(__blueshift_step__) C(P__blueshift_step__) "
            "C(S__blueshift_step__) C(S__blueshift_step__) P(__blueshift_step__:insert into t select * from s) "
            "B(__blueshift_step__:__blueshift_step__:1) "
            "E(__blueshift_step__) C(P__blueshift_step__) C(S__blueshift_step__)");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({ParseComplete{}, BindComplete{}, NoData{},                                   // the client's
                     CloseComplete{}, ParseComplete{}, BindComplete{}, CommandComplete{"DELETE 1"}, CloseComplete{},
                     CloseComplete{}, CloseComplete{}, ParseComplete{}, BindComplete{}, CommandComplete{"INSERT 0 4"},
                     CloseComplete{}, CloseComplete{}, ready('I')}),
            "1 2 n C(INSERT 0 4) Z(I)");
}

// A pipelined batch (executemany, a JDBC batch): every Execute folds into its own tag, at
// its own place among the client's own replies.
TEST(ConversationPlan, ExtendedBatchOfExecutesFoldsEachInItsPlace) {
  Driver d = planned();
  (void)d.send(Parse{"s", kUpsert, {}});
  for (int i = 0; i < 3; ++i) (void)d.send({Bind{"p", "s", {}, {"1"}, {}}, Execute{"p", 0}});
  (void)d.send(Sync{});
  std::vector<BackendMessage> replies{ParseComplete{}};
  for (int i = 1; i <= 3; ++i) {
    replies.push_back(BindComplete{});
    for (const char* tag : {"DELETE 1", "INSERT 0 1"}) {
      for (BackendMessage m : std::vector<BackendMessage>{CloseComplete{}, ParseComplete{}, BindComplete{},
                                                           CommandComplete{std::string(tag) + std::to_string(i)},
                                                           CloseComplete{}, CloseComplete{}})
        replies.push_back(std::move(m));
    }
  }
  replies.push_back(ready('I'));
  EXPECT_EQ(d.reply(replies), "1 2 C(INSERT 0 11) 2 C(INSERT 0 12) 2 C(INSERT 0 13) Z(I)");
}

TEST(ConversationPlan, ExtendedErrorInAStepIsTheClientsErrorAndTheRestIsSkipped) {
  Driver d = planned();
  (void)d.send({Parse{"s", kUpsert, {}}, Bind{"p", "s", {}, {"1"}, {}}, Execute{"p", 0}, Sync{}});
  EXPECT_EQ(d.reply({ParseComplete{}, BindComplete{}, CloseComplete{}, ParseComplete{}, BindComplete{},
                     CommandComplete{"DELETE 1"}, CloseComplete{}, CloseComplete{}, CloseComplete{}, ParseComplete{},
                     error("23505"), ready('I')}),
            "1 2 E(23505) Z(I)");
  // The next batch folds normally.
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
  EXPECT_EQ(d.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
}

Driver locking() {
  Conversation::Options o;
  o.planner = [](std::string_view, const policies::SessionContext&) -> rewrite::PlanPtr {
    auto plan = std::make_shared<rewrite::Plan>();
    plan->steps = {{"lock t", rewrite::PlanStep::Replies::Swallow}, {"insert into t select 1", rewrite::PlanStep::Replies::Count}};
    plan->steps[0].block_only = true;
    plan->tag = "INSERT 0 {rows}";
    return plan;
  };
  return Driver(std::move(o));
}

TEST(ConversationPlan, ABlockOnlyStepRunsOnlyInsideABlockInTheExtendedProtocol) {
  Driver d = locking();
  (void)d.send({Parse{"", kUpsert, {}}, Bind{"", "", {}, {}, {}}});
  EXPECT_EQ(d.send(Execute{"", 0}),
            "C(S__blueshift_step__) P(__blueshift_step__:insert into t select 1) "
            "B(__blueshift_step__:__blueshift_step__:0) E(__blueshift_step__) C(P__blueshift_step__) "
            "C(S__blueshift_step__)");
  Driver in_block = locking();
  in_block.conversation.set_transaction_status('T');
  (void)in_block.send({Parse{"", kUpsert, {}}, Bind{"", "", {}, {}, {}}});
  EXPECT_EQ(in_block.send(Execute{"", 0}).substr(0, 51), "C(S__blueshift_step__) P(__blueshift_step__:lock t)");
  // The simple protocol runs it in its own block.
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(locking().send(Query{kUpsert}), script({"BEGIN", "lock t", "insert into t select 1", "COMMIT"}) + " Q(ROLLBACK)");
}

TEST(ConversationPlan, AnImplicitOnlyStepRunsOnlyWhereBlockOnlyStepsDoNot) {
  Conversation::Options o;
  o.planner = [](std::string_view, const policies::SessionContext&) -> rewrite::PlanPtr {
    auto plan = std::make_shared<rewrite::Plan>();
    plan->steps = {{"lock t", rewrite::PlanStep::Replies::Swallow}, {"advisory", rewrite::PlanStep::Replies::Swallow},
                   {"insert into t select 1", rewrite::PlanStep::Replies::Count}};
    plan->steps[0].block_only = true;
    plan->steps[1].implicit_only = true;
    plan->tag = "INSERT 0 {rows}";
    return plan;
  };
  Driver outside(o), in_block(o), simple(o);
  (void)outside.send({Parse{"", kUpsert, {}}, Bind{"", "", {}, {}, {}}});
  const std::string implicit = outside.send(Execute{"", 0});
  EXPECT_NE(implicit.find("P(__blueshift_step__:advisory)"), std::string::npos) << implicit;
  EXPECT_EQ(implicit.find("lock t"), std::string::npos) << implicit;
  in_block.conversation.set_transaction_status('T');
  (void)in_block.send({Parse{"", kUpsert, {}}, Bind{"", "", {}, {}, {}}});
  const std::string block = in_block.send(Execute{"", 0});
  EXPECT_NE(block.find("P(__blueshift_step__:lock t)"), std::string::npos) << block;
  EXPECT_EQ(block.find("advisory"), std::string::npos) << block;
  EXPECT_EQ(simple.send(Query{kUpsert}), script({"BEGIN", "lock t", "insert into t select 1", "COMMIT"}) + " Q(ROLLBACK)");
}

Driver tuning() {
  Conversation::Options o;
  o.planner = [](std::string_view, const policies::SessionContext&) -> rewrite::PlanPtr {
    auto plan = std::make_shared<rewrite::Plan>();
    plan->steps = {{"set local x", rewrite::PlanStep::Replies::Swallow}, {"insert into t select 1", rewrite::PlanStep::Replies::Count}};
    plan->steps[0].own_transaction_only = true;
    plan->tag = "INSERT 0 {rows}";
    return plan;
  };
  return Driver(std::move(o));
}

// A setting that lasts to the end of the transaction runs only in the proxy's own one.
TEST(ConversationPlan, AnOwnTransactionStepRunsOnlyInTheProxysOwnTransaction) {
  EXPECT_EQ(tuning().send(Query{kUpsert}),
            script({"BEGIN", "set local x", "insert into t select 1", "COMMIT"}) + " Q(ROLLBACK)");
  Driver in_block = tuning();
  in_block.conversation.set_transaction_status('T');
  EXPECT_EQ(in_block.send(Query{kUpsert}), script({"insert into t select 1"}));
  Driver extended = tuning();
  (void)extended.send({Parse{"", kUpsert, {}}, Bind{"", "", {}, {}, {}}});
  EXPECT_EQ(extended.send(Execute{"", 0}).find("set local"), std::string::npos);
}

// The position the client gets for an error the server reports at `position`.
std::string client_position(Driver& d, int position) {
  std::string raw, out;
  protocol::encode(ErrorResponse{{{{'S', "ERROR"}, {'C', "42804"}, {'M', "type"}, {'P', std::to_string(position)}}}},
                   raw);
  protocol::Frame f;
  std::string err;
  if (protocol::decode_frame({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, 1 << 20, &f, &err) !=
          protocol::DecodeStatus::ReadyForNext ||
      d.conversation.on_server(f, &out) != Conversation::Verdict::Replace ||
      protocol::decode_frame({reinterpret_cast<const uint8_t*>(out.data()), out.size()}, 1 << 20, &f, &err) !=
          protocol::DecodeStatus::ReadyForNext)
    return "not replaced";
  const auto decoded = protocol::decode_backend(f.code, f.body);
  if (!decoded.ok()) return "bad bytes";
  const auto& error = std::get<ErrorResponse>(*decoded);
  return *error.find('C') + " at " + *error.find('P');
}

Driver positioned(std::vector<rewrite::PlanStep> steps) {
  Conversation::Options o;
  o.planner = [steps](std::string_view, const policies::SessionContext&) -> rewrite::PlanPtr {
    auto plan = std::make_shared<rewrite::Plan>();
    plan->steps = steps;
    plan->tag = "INSERT 0 {rows}";
    return plan;
  };
  return Driver(std::move(o));
}

TEST(ConversationPlan, AStepsErrorPositionIsMovedToTheClientsText) {
  rewrite::PlanStep load{"insert into stage values (1)", rewrite::PlanStep::Replies::Count};
  load.position_shift = 5;
  Driver d = positioned({load});
  d.conversation.set_transaction_status('T');
  (void)d.send(Query{kUpsert});
  EXPECT_EQ(client_position(d, 20), "42804 at 25");
  // A later statement of the script: its place in the text sent is taken off first.
  Driver later = positioned({{"select 1"}, load});
  later.conversation.set_transaction_status('T');
  EXPECT_EQ(later.send(Query{kUpsert}), script({"select 1", "insert into stage values (1)"}));
  EXPECT_EQ(later.reply(std::vector<BackendMessage>{CommandComplete{"SELECT 1"}}), "");
  EXPECT_EQ(client_position(later, 11 + 20), "42804 at 25");
}

Driver refusing() {
  Conversation::Options o;
  o.planner = [](std::string_view sql, const policies::SessionContext&) -> rewrite::PlanPtr {
    if (sql.find("returning") == std::string_view::npos) return nullptr;
    auto plan = std::make_shared<rewrite::Plan>();
    plan->refusal = rewrite::PlanStep::Error{"0A000", "no RETURNING", ""};
    return plan;
  };
  return Driver(std::move(o));
}

TEST(ConversationPlan, ARefusingPlanRunsNothingInEitherProtocol) {
  Driver d = refusing();
  EXPECT_EQ(d.send(Query{"insert into t values (1) on conflict (k) do nothing returning k"}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(0A000) Z(I)");
  EXPECT_EQ(d.send({Parse{"s", "insert into t values ($1) on conflict (k) do nothing returning k", {}},
                    Bind{"p", "s", {}, {"1"}, {}}, Execute{"p", 0}, Sync{}}),
            "B(:__blueshift_refused__:0) S");
  EXPECT_EQ(d.reply({error("26000"), ready('I')}), "E(0A000) Z(I)");
}

// PostgreSQL looks at no statement in a failed block: 25P02, whatever the plan says.
TEST(ConversationPlan, ARefusingPlanInAFailedBlockGetsTheBlocksError) {
  Driver d = refusing();
  d.conversation.set_transaction_status('E');
  EXPECT_EQ(d.send(Query{"insert into t values (1) on conflict (k) do nothing returning k"}), kRefusedUpstream);
  EXPECT_EQ(d.reply({error("42601"), ready('E')}), "E(25P02) Z(E)");
  EXPECT_EQ(d.send({Parse{"s", "insert into t values ($1) on conflict (k) do nothing returning k", {}}, Sync{}}),
            "B(:__blueshift_refused__:0) S");
  EXPECT_EQ(d.reply({error("25P02"), ready('E')}), "E(25P02) Z(E)");
}

TEST(ConversationPlan, ExtendedDescribeOfAPlannedStatementReportsItsParameters) {
  Driver d = planned();
  EXPECT_EQ(d.send({Parse{"s", kUpsert, {23}}, Describe{'S', "s"}, Sync{}}), "P(s:) D(Ss) S");
  EXPECT_EQ(d.reply({ParseComplete{}, ParameterDescription{}, NoData{}, ready('I')}), "1 t(1) n Z(I)");
}

// ------------------------------------------------------------------ server state

TEST(Conversation, AFatalErrorFromTheServerIsNoted) {
  Driver d;
  (void)d.reply(ErrorResponse{{{{'S', "FATAL"}, {'V', "FATAL"}, {'C', "57P01"}, {'M', "bye"}}}});
  EXPECT_TRUE(d.conversation.upstream_sent_fatal());
}

TEST(Conversation, ParameterStatusSearchPathIsAuthoritative) {
  Driver d;
  d.conversation.identity().search_path_uncertain = true;
  (void)d.reply(ParameterStatus{"search_path", "\"$user\", public, \"My Schema\""});
  EXPECT_EQ(d.conversation.identity().search_path, (std::vector<std::string>{"$user", "public", "My Schema"}));
  EXPECT_FALSE(d.conversation.identity().search_path_uncertain);
}

// A message's bytes with its body changed by edit (the length follows the new body).
std::string reframed(const FrontendMessage& m, const std::function<void(std::string&)>& edit) {
  std::string raw;
  encode(m, raw);
  std::string body = raw.substr(5);
  edit(body);
  const uint32_t length = static_cast<uint32_t>(body.size() + 4);
  const char header[] = {raw[0], static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                         static_cast<char>(length >> 8), static_cast<char>(length)};
  return std::string(header, 5) + body;
}

// PostgreSQL answers a Bind or Parse it cannot read with ERROR 08P01 and keeps the session,
// skipping to Sync: so does the proxy, and nothing of the message reaches the server, so a
// malformed Bind can never run a governed statement with values nobody checked.
TEST_F(Governed, AMalformedBindIsAnErrorAndRunsNothing) {
  EXPECT_EQ(d.send({Parse{"s", kParamScan, {}}, Sync{}}), std::string("P(s:") + kParamScan + ") S");
  EXPECT_EQ(d.reply({ParseComplete{}, ready('I')}), "1 Z(I)");
  const struct {
    std::function<void(std::string&)> edit;
    const char* words;
  } cases[] = {
      {[](std::string& b) { b.resize(b.size() - 3); }, "insufficient data left in message"},  // truncated
      {[](std::string& b) { b += "xy"; }, "invalid message format"},                         // over-long
  };
  for (const auto& c : cases) {
    EXPECT_EQ(d.send_raw(reframed(Bind{"", "s", {}, kWide, {}}, c.edit)), "B(:__blueshift_refused__:0)");
    EXPECT_EQ(d.send({Execute{"", 0}, Sync{}}), "S") << "the rest up to Sync is skipped";
    std::string bytes;
    EXPECT_EQ(d.reply(error("26000"), &bytes), "E(08P01)");
    EXPECT_NE(bytes.find(std::string("blueshift: ") + c.words), std::string::npos) << c.words;
    EXPECT_EQ(d.reply(ready('I')), "Z(I)");
  }
  // The session goes on, its statement still checked.
  EXPECT_EQ(d.send(Bind{"", "s", {}, {"2024", "2024"}, {}}), "B(:s:2)");
  EXPECT_EQ(d.send(Bind{"", "s", {}, kWide, {}}), "B(:__blueshift_refused__:0)");
}

TEST_F(Governed, AMalformedParseOrQueryIsAnError) {
  // Parameter types cut short: the governed text never reaches the server.
  EXPECT_EQ(d.send_raw(reframed(Parse{"s", kFullScan, {23}}, [](std::string& b) { b.resize(b.size() - 2); })),
            "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({error("26000"), ready('I')}), "E(08P01) Z(I)");
  // A Query without its terminator, in the simple protocol: an error, then ReadyForQuery.
  EXPECT_EQ(d.send_raw(reframed(Query{kFullScan}, [](std::string& b) { b.pop_back(); })), kRefusedUpstream);
  std::string bytes;
  EXPECT_EQ(d.reply(error("42601"), &bytes), "E(08P01)");
  EXPECT_NE(bytes.find("blueshift: invalid string in message"), std::string::npos);
  EXPECT_EQ(d.reply(ready('I')), "Z(I)");
}

// Idle sessions come in thousands: what only a statement under way needs stays boxed
// (proxy/in_progress.h). 360 bytes when this was written; the bound leaves room for a few
// plain members, not for another string, function or pointer pair per session.
TEST(Conversation, AnIdleConversationStaysSmall) { EXPECT_LE(sizeof(Conversation), 400u); }

}  // namespace
}  // namespace blueshift::proxy


// Dry runs through the Conversation: with SET blueshift.dry_run = on, a query's upstream
// message is an empty statement (nothing runs) and the client gets one row per external
// table it would scan; transaction control and SET/SHOW still run; in the extended
// protocol Describe answers the dry-run columns and the estimate takes the Bind values.
#include <gtest/gtest.h>

#include <cstdio>

#include "policies/governor.h"
#include "policies/governor_options.h"
#include "policies/scan_estimate.h"
#include "conversation_driver.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

constexpr const char* kColumns =
    "T(table_name,partitions_matched,partitions_total,estimated_bytes,estimated_cost_usd,decision)";
constexpr const char* kYears =
    "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12";

// The estimate of n sales partitions of unknown size (no sizes are loaded), as the rows say it.
std::string estimate(int n) {
  const policies::CostSettings cost;
  const int64_t bytes = n * cost.default_partition_bytes;
  char usd[32];
  std::snprintf(usd, sizeof usd, "%.6f", policies::cost_usd(policies::billed_bytes(bytes, n > 0, cost), cost));
  return std::to_string(n) + ",36," + std::to_string(bytes) + "," + usd;
}

struct DryRun : ::testing::Test {
  std::shared_ptr<policies::Governor> governor = [] {
    policies::GovernorOptions options;
    options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
    return policies::Governor::create(YAML::Load(policies::testing::kDemoPolicies), options);
  }();
  Driver d{Conversation::Options{governor.get(), {}}};
  void SetUp() override {
    d.conversation.identity().user = "analyst";
    d.conversation.identity().database = "dev";
    EXPECT_EQ(d.send(Query{"SET blueshift.dry_run = on"}), "Q()");
    EXPECT_EQ(d.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}), "C(SET) Z(I)");
  }
};

TEST_F(DryRun, AQueryAnswersItsEstimateAndRunsNothing) {
  EXPECT_EQ(d.send(Query{"select count(*) from spectrum_schema.sales where year = 2024"}), "Q()");
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}),
            std::string(kColumns) + " D(spectrum_schema.sales," + estimate(12) +
                ",refuse (analysts-must-filter-partitions)) C(SELECT 1) Z(I)");
  // No external table: zero rows, and still nothing runs.
  EXPECT_EQ(d.send(Query{"delete from public.customers"}), "Q()");
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}), std::string(kColumns) + " C(SELECT 0) Z(I)");
}

TEST_F(DryRun, TransactionControlAndSettingsStillRun) {
  EXPECT_EQ(d.send(Query{"begin"}), "Q(begin)");
  EXPECT_EQ(d.reply({CommandComplete{"BEGIN"}, ReadyForQuery{'T'}}), "C(BEGIN) Z(T)");
  EXPECT_EQ(d.send(Query{"set statement_timeout = 0; show search_path"}),
            "Q(set statement_timeout = 0; show search_path)");
  // A text mixing both is answered whole: its BEGIN does not run either.
  EXPECT_EQ(d.send(Query{"begin; select * from spectrum_schema.clicks"}), "Q()");
}

TEST_F(DryRun, InAFailedBlockTheAnswerIsThatOfTheBlock) {
  EXPECT_EQ(d.send(Query{"select 1"}), "Q()");
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ReadyForQuery{'E'}}), "E(25P02) Z(E)");
}

TEST_F(DryRun, OffRunsQueriesAgain) {
  EXPECT_EQ(d.send(Query{"RESET blueshift.dry_run"}), "Q()");
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}), "C(RESET) Z(I)");
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
  EXPECT_EQ(d.send(Query{"SHOW blueshift.dry_run"}), "Q()");
}

TEST_F(DryRun, ExtendedDescribeAndBindValues) {
  EXPECT_EQ(d.send(Parse{"s1", kYears, {}}), "P(s1:)");
  EXPECT_EQ(d.send(Describe{'S', "s1"}), "D(Ss1)");
  EXPECT_EQ(d.send(Bind{"p1", "s1", {}, {"2024", "2024"}, {}}), "B(p1:s1:0)");
  EXPECT_EQ(d.send(Describe{'P', "p1"}), "D(Pp1)");
  EXPECT_EQ(d.send(Execute{"p1", 0}), "E(p1)");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({ParseComplete{}, ParameterDescription{}, NoData{}, BindComplete{}, NoData{},
                     EmptyQueryResponse{}, ReadyForQuery{'I'}}),
            std::string("1 t(2) ") + kColumns + " 2 " + kColumns + " D(spectrum_schema.sales," + estimate(12) +
                ",allow) C(SELECT 1) Z(I)");
  // The same statement with other values: the estimate follows them.
  EXPECT_EQ(d.send(Bind{"", "s1", {}, {"2022", "2024"}, {}}), "B(:s1:0)");
  EXPECT_EQ(d.send(Execute{"", 0}), "E()");
  EXPECT_EQ(d.send(Sync{}), "S");
  EXPECT_EQ(d.reply({BindComplete{}, EmptyQueryResponse{}, ReadyForQuery{'I'}}),
            "2 D(spectrum_schema.sales," + estimate(36) + ",refuse (analysts-max-12-partitions)) C(SELECT 1) Z(I)");
}

TEST_F(DryRun, AStatementPreparedBeforeTheDryRunIsRefusedAtBind) {
  Driver plain{Conversation::Options{governor.get(), {}}};
  plain.conversation.identity().user = "analyst";
  EXPECT_EQ(plain.send(Parse{"old", "select 1", {}}), "P(old:select 1)");
  EXPECT_EQ(plain.send(Sync{}), "S");
  EXPECT_EQ(plain.reply({ParseComplete{}, ReadyForQuery{'I'}}), "1 Z(I)");
  EXPECT_EQ(plain.send(Query{"SET blueshift.dry_run = on"}), "Q()");
  EXPECT_EQ(plain.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}), "C(SET) Z(I)");
  EXPECT_EQ(plain.send(Bind{"", "old", {}, {}, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(plain.send(Execute{"", 0}), "");
  EXPECT_EQ(plain.send(Sync{}), "S");
  EXPECT_EQ(plain.reply({ErrorResponse{{{{'S', "ERROR"}, {'C', "26000"}}}}, ReadyForQuery{'I'}}), "E(55000) Z(I)");
  // Prepared during the dry run, a statement that runs (BEGIN) binds as usual.
  EXPECT_EQ(plain.send(Parse{"b", "begin", {}}), "P(b:begin)");
  EXPECT_EQ(plain.send(Bind{"", "b", {}, {}, {}}), "B(:b:0)");
}

TEST_F(DryRun, WithoutAGovernorNothingIsPricedAndNothingRuns) {
  Driver plain;
  EXPECT_EQ(plain.send(Query{"SET blueshift.dry_run = on"}), "Q()");
  EXPECT_EQ(plain.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}), "C(SET) Z(I)");
  EXPECT_EQ(plain.send(Query{"select * from spectrum_schema.sales"}), "Q()");
  EXPECT_EQ(plain.reply({EmptyQueryResponse{}, ReadyForQuery{'I'}}), std::string(kColumns) + " C(SELECT 0) Z(I)");
  EXPECT_EQ(plain.send(Query{"commit"}), "Q(commit)");
}

}  // namespace
}  // namespace blueshift::proxy

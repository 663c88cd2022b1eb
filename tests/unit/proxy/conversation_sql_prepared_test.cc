// SQL-level PREPARE/EXECUTE: a PREPARE whose policy needs its $n values passes, and each
// EXECUTE is decided with its arguments, against what the name is on the server (as the
// server's replies confirm it), in both protocols; unknown names fail closed.
#include <gtest/gtest.h>

#include <string>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "proxy/conversation.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

ErrorResponse error(const std::string& sqlstate) {
  return ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', sqlstate}, {'M', "boom"}}}};
}
ReadyForQuery ready(char status) { return ReadyForQuery{status}; }

const char* kRefused = "Q(/* blueshift: statement refused by policy */ blueshift_refused)";
// Over analysts-max-12-partitions for (2022, 2024); 12 partitions for (2024, 2024).
const std::string kRange =
    "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12";
const std::string kPoint = "select count(*) from spectrum_schema.sales where year = $1 and month = $2";

struct SqlPrepared : ::testing::Test {
  std::shared_ptr<policies::Governor> governor = testing::demo_governor();
  Driver d{Conversation::Options{governor.get(), {}}};
  void SetUp() override {
    d.conversation.identity().user = "analyst";
    d.conversation.identity().database = "dev";
  }
  // Sends a Query that must go upstream as is, and the server's answer to it.
  void run(const std::string& sql, std::vector<BackendMessage> replies) {
    ASSERT_EQ(d.send(Query{sql}), "Q(" + sql + ")");
    replies.push_back(ready('I'));
    (void)d.reply(replies);
  }
  std::string execute(const std::string& sql) {
    const std::string upstream = d.send(Query{sql});
    (void)d.reply({upstream == kRefused ? BackendMessage{error("42601")} : BackendMessage{CommandComplete{"SELECT 1"}},
                   ready('I')});
    return upstream;
  }
};

TEST_F(SqlPrepared, APrepareNeedingItsValuesPassesAndEachExecuteIsDecidedWithThem) {
  run("prepare p(int, int) as " + kRange, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("execute p(2024, 2024)"), "Q(execute p(2024, 2024))");
  EXPECT_EQ(execute("execute p(2022, 2024)"), kRefused);
  EXPECT_EQ(execute("execute p(2024, null)"), "Q(execute p(2024, null))") << "a NULL bound reads nothing";
  EXPECT_EQ(execute("EXPLAIN ANALYZE EXECUTE p(2022, 2024)"), kRefused);
  EXPECT_EQ(execute("create temp table t as execute p(2022, 2024)"), kRefused);
  EXPECT_EQ(execute("execute p(2023 + 1, 2024)"), kRefused) << "an expression may be anything";
}

TEST_F(SqlPrepared, ARefusedExecuteGetsThePolicysError) {
  run("prepare p(int, int) as " + kRange, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(d.send(Query{"execute p(2022, 2024)"}), kRefused);
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
}

TEST_F(SqlPrepared, AnUnknownNameFailsClosed) {
  EXPECT_EQ(execute("execute nope(2024, 1)"), kRefused);
  d.conversation.identity().user = "etl";  // exempt from every rule
  EXPECT_EQ(execute("execute nope(2024, 1)"), "Q(execute nope(2024, 1))");
}

TEST_F(SqlPrepared, AFailedPrepareLeavesTheNameUnknown) {
  run("prepare p(int, int) as " + kPoint, {error("25P02")});
  EXPECT_EQ(execute("execute p(2024, 1)"), kRefused);
}

TEST_F(SqlPrepared, ARePrepareUnderANewDefinitionIsWhatExecuteRuns) {
  run("prepare p(int, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("execute p(2022, 2024)"), "Q(execute p(2022, 2024))") << "year 2022, month 2024: nothing";
  run("deallocate p", {CommandComplete{"DEALLOCATE"}});
  run("prepare p(int, int) as " + kRange, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("execute p(2022, 2024)"), kRefused);
  // A DEALLOCATE the server refused changes nothing.
  run("deallocate p", {error("25P02")});
  EXPECT_EQ(execute("execute p(2022, 2024)"), kRefused);
}

TEST_F(SqlPrepared, DeallocateAllAndDiscardAllForgetEveryName) {
  run("prepare p(int, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("execute p(2024, 1)"), "Q(execute p(2024, 1))");
  run("deallocate all", {CommandComplete{"DEALLOCATE ALL"}});
  EXPECT_EQ(execute("execute p(2024, 1)"), kRefused);
  run("prepare p(int, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  run("discard all", {CommandComplete{"DISCARD ALL"}});
  EXPECT_EQ(execute("execute p(2024, 1)"), kRefused);
}

TEST_F(SqlPrepared, StepsOfOneTextApplyInOrder) {
  run("prepare p(int, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  // The server runs the DEALLOCATE first: the EXECUTE after it finds no statement.
  EXPECT_EQ(execute("deallocate p; execute p(2022, 2024)"), "Q(deallocate p; execute p(2022, 2024))");
  run("prepare q(int, int) as " + kRange, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("select 1; execute q(2022, 2024)"), kRefused);
}

TEST_F(SqlPrepared, ANumericParameterNeverCountsAsABound) {
  run("prepare p(numeric, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("execute p(2024, 1)"), kRefused);
  run("prepare q(mytype, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(execute("execute q(2024, 1)"), kRefused) << "a type the proxy does not know may cast the column";
}

TEST_F(SqlPrepared, AnExtendedProtocolExecuteIsDecidedAtItsExecute) {
  run("prepare p(int, int) as " + kPoint, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(d.send({Parse{"e", "execute p(2022, 2024)", {}}, Sync{}}), "P(e:execute p(2022, 2024)) S");
  (void)d.reply({ParseComplete{}, ready('I')});
  EXPECT_EQ(d.send({Bind{"", "e", {}, {}, {}}, Execute{"", 0}, Sync{}}), "B(:e:0) E() S");
  (void)d.reply({BindComplete{}, CommandComplete{"SELECT 1"}, ready('I')});
  // p changes after the Parse: the Execute runs the new p, and is decided against it.
  run("deallocate p", {CommandComplete{"DEALLOCATE"}});
  run("prepare p(int, int) as " + kRange, {CommandComplete{"PREPARE"}});
  EXPECT_EQ(d.send(protocol::FrontendMessage{Bind{"", "e", {}, {}, {}}}), "B(:e:0)");
  EXPECT_EQ(d.send(Execute{"", 0}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send(Sync{}), "S");
}

TEST_F(SqlPrepared, AParameterOfTheEnclosingStatementTakesItsBindValue) {
  // (PostgreSQL rejects such a Bind; the proxy still never runs it unchecked.)
  run("prepare p(int, int) as " + kRange, {CommandComplete{"PREPARE"}});
  (void)d.send({Parse{"e", "execute p($1, $2)", {}}, Bind{"", "e", {}, {"2022", "2024"}, {}}});
  EXPECT_EQ(d.send(Execute{"", 0}), "B(:__blueshift_refused__:0)");
}

TEST_F(SqlPrepared, AnExtendedProtocolPrepareIsTrackedAtItsExecute) {
  const std::string prepare = "prepare p(int, int) as " + kRange;
  EXPECT_EQ(d.send({Parse{"", prepare, {}}, Bind{"", "", {}, {}, {}}, Execute{"", 0}, Sync{}}),
            "P(:" + prepare + ") B(::0) E() S");
  (void)d.reply({ParseComplete{}, BindComplete{}, CommandComplete{"PREPARE"}, ready('I')});
  EXPECT_EQ(execute("execute p(2024, 2024)"), "Q(execute p(2024, 2024))");
  EXPECT_EQ(execute("execute p(2022, 2024)"), kRefused);
  // A Bind of the SQL-prepared statement is checked as a Parse's would be.
  EXPECT_EQ(d.send(Bind{"", "p", {}, {"2022", "2024"}, {}}), "B(:__blueshift_refused__:0)");
}

}  // namespace
}  // namespace blueshift::proxy

// A staged transaction's retry on a serialization failure (proxy/plan_retry.h), in the
// session's logic without sockets: the failed attempt is swallowed whole, the same script
// goes up again when the session asks, and client messages wait meanwhile; other errors,
// the last attempt's error and failures inside the client's block reach the client.
#include "proxy/plan_retry.h"

#include <gtest/gtest.h>

#include "conversation_driver.h"
#include "proxy/conversation.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

ErrorResponse error(const std::string& sqlstate, const std::string& message = "boom") {
  return ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', sqlstate}, {'M', message}}}};
}
ReadyForQuery ready(char status) { return ReadyForQuery{status}; }

constexpr const char* kUpsert = "insert into t values (1) on conflict (k) do nothing";
constexpr const char* kScript = "Q(BEGIN\n;\nUPDATE t SET v = 1\n;\nINSERT INTO t VALUES (1)\n;\nCOMMIT) Q(ROLLBACK)";

Conversation::Options retried(uint32_t attempts) {
  auto plan = std::make_shared<rewrite::Plan>();
  plan->tag = "INSERT 0 {rows}";
  plan->steps.push_back({.sql = "UPDATE t SET v = 1", .replies = rewrite::PlanStep::Replies::Count});
  plan->steps.push_back({.sql = "INSERT INTO t VALUES (1)", .replies = rewrite::PlanStep::Replies::Count});
  plan->retry = {attempts, 10};
  Conversation::Options o;
  o.planner = [plan](std::string_view sql, const policies::SessionContext&) -> rewrite::PlanPtr {
    return sql == kUpsert ? plan : nullptr;
  };
  return o;
}

// The replies to an attempt that fails at its UPDATE with `e`, and its ROLLBACK's.
std::vector<BackendMessage> failed_attempt(ErrorResponse e) {
  return {CommandComplete{"BEGIN"}, std::move(e), ready('E'), CommandComplete{"ROLLBACK"}, ready('I')};
}
std::vector<BackendMessage> attempt_that_ran() {
  return {CommandComplete{"BEGIN"}, CommandComplete{"UPDATE 0"}, CommandComplete{"INSERT 0 1"},
          CommandComplete{"COMMIT"}, ready('I'), CommandComplete{"ROLLBACK"}, ready('I')};
}

std::string retry(Driver& d) {
  std::string out;
  d.conversation.retry(&out);
  return testing::describe<true>(out);
}

TEST(PlanRetry, ASerializationFailureIsRetriedUnseen) {
  Driver d{retried(2)};
  EXPECT_EQ(d.send(Query{kUpsert}), kScript);
  EXPECT_EQ(d.send(Query{"select 1"}), "WAIT");  // nothing goes up between attempts
  EXPECT_EQ(d.reply(failed_attempt(error("40001"))), "");
  EXPECT_TRUE(d.conversation.retry_due());
  EXPECT_TRUE(d.conversation.awaiting_reply());
  EXPECT_EQ(d.conversation.retry_wait(), std::chrono::milliseconds(10));
  EXPECT_EQ(retry(d), kScript);
  // Redshift's error 1023 comes as XX000.
  EXPECT_EQ(d.reply(failed_attempt(error("XX000", "1023: Serializable isolation violation on table - 100"))), "");
  EXPECT_EQ(d.conversation.retry_wait(), std::chrono::milliseconds(20));
  EXPECT_EQ(retry(d), kScript);
  EXPECT_EQ(d.reply(attempt_that_ran()), "C(INSERT 0 1) Z(I)");
  EXPECT_FALSE(d.conversation.retry_due());
  EXPECT_FALSE(d.conversation.awaiting_reply());
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

TEST(PlanRetry, TheLastAttemptsErrorReachesTheClient) {
  Driver d{retried(1)};
  EXPECT_EQ(d.send(Query{kUpsert}), kScript);
  EXPECT_EQ(d.reply(failed_attempt(error("40001"))), "");
  EXPECT_EQ(retry(d), kScript);
  EXPECT_EQ(d.reply(failed_attempt(error("40001"))), "E(40001) Z(I)");
  EXPECT_FALSE(d.conversation.awaiting_reply());
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

TEST(PlanRetry, OtherErrorsAreNotRetried) {
  Driver d{retried(3)};
  EXPECT_EQ(d.send(Query{kUpsert}), kScript);
  EXPECT_EQ(d.reply(failed_attempt(error("23505"))), "E(23505) Z(I)");
  EXPECT_FALSE(d.conversation.retry_due());
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

TEST(PlanRetry, InsideTheClientsBlockTheFailureIsTheClients) {
  Driver d{retried(3)};
  d.conversation.set_transaction_status('T');
  EXPECT_EQ(d.send(Query{kUpsert}), "Q(UPDATE t SET v = 1\n;\nINSERT INTO t VALUES (1))");
  EXPECT_EQ(d.reply({error("40001"), ready('E')}), "E(40001) Z(E)");
  EXPECT_FALSE(d.conversation.retry_due());
}

TEST(PlanRetry, WithoutRetriesConfiguredNothingWaits) {
  Driver d{retried(0)};
  EXPECT_EQ(d.send(Query{kUpsert}), kScript);
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

// ---- extended protocol: the plan's steps, a Close/Parse/Bind/Execute/Close/Close each.
constexpr const char* kSteps =
    "C(S__blueshift_step__) P(__blueshift_step__:UPDATE t SET v = 1) B(__blueshift_step__:__blueshift_step__:0) "
    "E(__blueshift_step__) C(P__blueshift_step__) C(S__blueshift_step__) "
    "C(S__blueshift_step__) P(__blueshift_step__:INSERT INTO t VALUES (1)) B(__blueshift_step__:__blueshift_step__:0) "
    "E(__blueshift_step__) C(P__blueshift_step__) C(S__blueshift_step__)";

// The client's Parse/Bind/Execute of the upsert (its Execute's steps held: "").
std::string extended_upsert(Driver& d) {
  return d.send({Parse{"s", kUpsert, {}}, Bind{"", "s", {}, {}, {}}, Execute{"", 0}});
}
// Replies to the client's Parse and Bind, then the steps' up to the first step's Execute.
std::vector<BackendMessage> failing_first_execute(ErrorResponse e) {
  return {ParseComplete{}, BindComplete{}, CloseComplete{}, ParseComplete{}, BindComplete{}, std::move(e), ready('I')};
}
std::vector<BackendMessage> steps_that_ran() {
  std::vector<BackendMessage> out;
  for (const char* tag : {"UPDATE 0", "INSERT 0 1"}) {
    for (BackendMessage m : std::vector<BackendMessage>{CloseComplete{}, ParseComplete{}, BindComplete{},
                                                        CommandComplete{tag}, CloseComplete{}, CloseComplete{}})
      out.push_back(std::move(m));
  }
  return out;
}
std::vector<BackendMessage> with(std::vector<BackendMessage> a, std::vector<BackendMessage> b) {
  for (auto& m : b) a.push_back(std::move(m));
  return a;
}

TEST(PlanRetry, ExtendedAFailureIsRetriedUnseenWhenTheSyncFollowsTheExecute) {
  Driver d{retried(2)};
  EXPECT_EQ(extended_upsert(d), "P(s:) B(:s:0)");  // the steps wait for the next message
  EXPECT_EQ(d.send(Sync{}), std::string(kSteps) + " S");
  EXPECT_EQ(d.send(Query{"select 1"}), "WAIT");
  EXPECT_EQ(d.reply(failing_first_execute(error("40001"))), "1 2");  // the Parse's and Bind's own
  EXPECT_TRUE(d.conversation.retry_due());
  EXPECT_EQ(retry(d), std::string(kSteps) + " S");
  EXPECT_EQ(d.reply(with(steps_that_ran(), {ready('I')})), "C(INSERT 0 1) Z(I)");
  EXPECT_FALSE(d.conversation.awaiting_reply());
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

// Redshift reports 1023 at the commit, after every step ran: the tag waits for it.
TEST(PlanRetry, ExtendedAFailureAtTheCommitIsRetried) {
  Driver d{retried(2)};
  (void)extended_upsert(d);
  (void)d.send(Sync{});
  EXPECT_EQ(d.reply(with(with({ParseComplete{}, BindComplete{}}, steps_that_ran()),
                         {error("XX000", "1023: Serializable isolation violation on table"), ready('I')})),
            "1 2");
  EXPECT_EQ(retry(d), std::string(kSteps) + " S");
  EXPECT_EQ(d.reply(with(steps_that_ran(), {ready('I')})), "C(INSERT 0 1) Z(I)");
}

TEST(PlanRetry, ExtendedTheLastAttemptsErrorReachesTheClient) {
  Driver d{retried(1)};
  (void)extended_upsert(d);
  (void)d.send(Sync{});
  EXPECT_EQ(d.reply(failing_first_execute(error("40001"))), "1 2");
  (void)retry(d);
  EXPECT_EQ(d.reply({CloseComplete{}, ParseComplete{}, BindComplete{}, error("40001"), ready('I')}), "E(40001) Z(I)");
  EXPECT_FALSE(d.conversation.awaiting_reply());
}

// Something else ran in the implicit transaction: a retry would not run it again.
TEST(PlanRetry, ExtendedNotRetriedAfterAnotherStatementOfTheBatch) {
  Driver d{retried(2)};
  EXPECT_EQ(d.send({Parse{"", "insert into u values (1)", {}}, Bind{"", "", {}, {}, {}}, Execute{"", 0}}),
            "P(:insert into u values (1)) B(::0) E()");
  EXPECT_EQ(extended_upsert(d), "P(s:) B(:s:0) " + std::string(kSteps));  // not held
  (void)d.send(Sync{});
  EXPECT_EQ(d.reply({ParseComplete{}, BindComplete{}, CommandComplete{"INSERT 0 1"}}), "1 2 C(INSERT 0 1)");
  EXPECT_EQ(d.reply(failing_first_execute(error("40001"))), "1 2 E(40001) Z(I)");
  EXPECT_FALSE(d.conversation.retry_due());
}

// A message between the Execute and the Sync (here a Flush) would be lost to a retry.
TEST(PlanRetry, ExtendedNotRetriedWhenTheSyncDoesNotFollowAtOnce) {
  Driver d{retried(2)};
  (void)extended_upsert(d);
  EXPECT_EQ(d.send(Flush{}), std::string(kSteps) + " H");
  (void)d.send(Sync{});
  EXPECT_EQ(d.reply(failing_first_execute(error("40001"))), "1 2 E(40001) Z(I)");
  EXPECT_FALSE(d.conversation.retry_due());
}

TEST(PlanRetry, ExtendedInsideTheClientsBlockTheFailureIsTheClients) {
  Driver d{retried(2)};
  d.conversation.set_transaction_status('T');
  EXPECT_EQ(extended_upsert(d), "P(s:) B(:s:0) " + std::string(kSteps));  // not held
  (void)d.send(Sync{});
  EXPECT_EQ(d.reply({ParseComplete{}, BindComplete{}, CloseComplete{}, ParseComplete{}, BindComplete{}, error("40001"),
                     ready('E')}),
            "1 2 E(40001) Z(E)");
  EXPECT_FALSE(d.conversation.retry_due());
}

TEST(PlanRetry, BackoffDoublesUpToItsCap) {
  EXPECT_EQ(retry_delay(50, 1), std::chrono::milliseconds(50));
  EXPECT_EQ(retry_delay(50, 3), std::chrono::milliseconds(200));
  EXPECT_EQ(retry_delay(5000, 30), kMaxRetryDelay);
  EXPECT_TRUE(serialization_failure("40001", ""));
  EXPECT_FALSE(serialization_failure("40P01", "deadlock detected"));
}

}  // namespace
}  // namespace blueshift::proxy

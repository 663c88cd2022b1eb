// Folded upsert runs (proxy/upsert_batch.h): a run of Bind/Execute of one foldable planned
// upsert runs as one staged transaction, its load step bound once per row, and each held
// message still gets its own reply, in its place.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "proxy/upsert_batch.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

constexpr const char* kUpsert = "insert into t (k, v) values ($1, $2) on conflict (k) do update set v = excluded.v";
constexpr const char* kLoad = "insert into s values ($1, $2)";
constexpr const char* kFlags = "select flags";

rewrite::PlanStep step(const char* sql, rewrite::PlanStep::Replies replies = rewrite::PlanStep::Replies::Swallow) {
  rewrite::PlanStep s;
  s.sql = sql;
  s.replies = replies;
  s.uses_params = sql == std::string_view(kLoad);
  return s;
}

rewrite::PlanPtr folding_plan(bool flags, uint32_t retries = 0, bool savepoints = true) {
  auto plan = std::make_shared<rewrite::Plan>();
  plan->steps.push_back(step("create s"));
  plan->steps.push_back(step(kLoad));
  if (flags) plan->steps.push_back(step(kFlags, rewrite::PlanStep::Replies::Flags));
  plan->steps.push_back(step("update t", rewrite::PlanStep::Replies::Count));
  plan->steps.push_back(step("insert into t", rewrite::PlanStep::Replies::Count));
  plan->steps.push_back(step("drop s"));
  plan->tag = "INSERT 0 {rows}";
  plan->fold = rewrite::Plan::Fold{{0}, flags, savepoints};
  plan->retry = {retries, 10};
  return plan;
}

Driver folding(bool flags = false, uint32_t retries = 0, bool savepoints = true) {
  Conversation::Options o;
  o.planner = [plan = folding_plan(flags, retries, savepoints)](std::string_view sql, const policies::SessionContext&) {
    return sql.find("on conflict") != std::string_view::npos ? plan : nullptr;
  };
  return Driver(std::move(o));
}

// Options under the demo policies (`governor`): every text planned as a folding upsert, or
// only those that say "on conflict". as_analyst: the session is an analyst's.
Conversation::Options governed(policies::Governor* governor, bool only_upserts) {
  Conversation::Options o;
  o.governor = governor;
  o.planner = [plan = folding_plan(false), only_upserts](std::string_view sql, const policies::SessionContext&) {
    return !only_upserts || sql.find("on conflict") != std::string_view::npos ? plan : nullptr;
  };
  return o;
}

void as_analyst(Driver& d) {
  d.conversation.identity().user = "analyst";
  d.conversation.identity().database = "dev";
}

Bind row(const char* key) { return Bind{"", "s", {}, {std::string(key), std::string("v")}, {}}; }

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The server's replies to what went upstream (described): each load Execute succeeds but
// the `fail_load`th (from 1), after which the rest up to Sync is skipped; the flags step
// returns `flags`, a row each; the counting steps count 1.
// `status`: what each ReadyForQuery says; `sqlstate`: the failing load's error.
std::vector<BackendMessage> serve(const std::string& upstream, int fail_load = 0, std::vector<std::string> flags = {},
                                  char status = 'I', const char* sqlstate = "22001") {
  std::vector<BackendMessage> out;
  std::string parsed;
  int loads = 0;
  bool skipping = false;
  for (size_t at = 0; at < upstream.size();) {
    size_t end = at;  // a token ends at a space outside its parentheses
    for (int depth = 0; end < upstream.size() && (depth > 0 || upstream[end] != ' '); ++end)
      depth += upstream[end] == '(' ? 1 : upstream[end] == ')' ? -1 : 0;
    const std::string token = upstream.substr(at, end - at);
    at = end + 1;
    if (token == "S") {
      out.push_back(ReadyForQuery{status});
      skipping = false;
      continue;
    }
    if (skipping) continue;
    if (token.rfind("P(", 0) == 0) {
      parsed = token;
      out.push_back(ParseComplete{});
    } else if (token.rfind("B(", 0) == 0) {
      out.push_back(BindComplete{});
    } else if (token.rfind("C(", 0) == 0) {
      out.push_back(CloseComplete{});
    } else if (token.rfind("D(", 0) == 0) {
      out.push_back(NoData{});
    } else if (token.rfind("E(", 0) == 0 && parsed.find(kLoad) != std::string::npos && ++loads == fail_load) {
      out.push_back(ErrorResponse{{{{'S', "ERROR"}, {'C', sqlstate}, {'M', "value too long"}}}});
      skipping = true;
    } else if (token.rfind("E(", 0) == 0) {
      if (parsed.find(kFlags) != std::string::npos) {
        for (const auto& f : flags) out.push_back(DataRow{{f}});
        out.push_back(CommandComplete{"SELECT " + std::to_string(flags.size())});
        continue;
      }
      out.push_back(CommandComplete{parsed.find("insert into t") != std::string::npos ? "INSERT 0 1" : "UPDATE 0"});
    }
  }
  return out;
}

std::string sent(Driver& d, const std::vector<FrontendMessage>& ms) { return d.send(ms); }

// The replay of a failed run the session sends (Conversation::retry), described.
std::string replayed(Driver& d) {
  EXPECT_TRUE(d.conversation.retry_due());
  EXPECT_EQ(d.conversation.retry_wait().count(), 0);
  std::string bytes;
  d.conversation.retry(&bytes);
  return testing::describe<true>(bytes);
}

const std::vector<FrontendMessage> kThreeRows = {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"),
                                                 Execute{"", 0}, row("3"), Execute{"", 0}, Sync{}};

TEST(UpsertBatch, ExecutesOfDistinctKeysRunAsOneStagedTransactionEachWithItsTag) {
  Driver d = folding();
  std::string up = sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"), Describe{'P', ""},
                            Execute{"", 0}, row("3"), Execute{"", 0}, Sync{}});
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;
  // The load, a row each, into the unnamed portal (which the client rebinds anyway).
  EXPECT_EQ(count(up, "B(:__blueshift_step__:2)"), 3u) << up;
  // The first row's Bind went on as usual; the rest were held and answered in their place.
  EXPECT_EQ(d.reply(serve(up)), "1 2 C(INSERT 0 1) 2 n C(INSERT 0 1) 2 C(INSERT 0 1) Z(I)");
}

const std::vector<FrontendMessage> kTwoRows = {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"),
                                               Execute{"", 0}};

// A key met again under DO UPDATE cuts the run before its Sync. Alone in its implicit
// transaction the rows before it still fold: the run goes up with a Flush, and the Bind that
// cut it waits for the run's outcome, then goes up before the next message.
TEST(UpsertBatch, AKeyMetAgainUnderDoUpdateCutsARunThatWaitsForItsOutcome) {
  Driver d = folding();
  const std::string up = sent(d, kTwoRows);
  EXPECT_EQ(up, "P(s:) B(:s:0)");
  const std::string run = d.send(row("1"));
  EXPECT_EQ(count(run, "P(__blueshift_step__:create s)"), 1u) << run;
  EXPECT_EQ(run.substr(run.size() - 2), " H") << run;  // the repeated key's Bind is not sent
  EXPECT_EQ(d.send(Execute{"", 0}), "WAIT");
  EXPECT_EQ(d.reply(serve(up + " " + run)), "1 2 C(INSERT 0 1) 2 C(INSERT 0 1)");
  EXPECT_FALSE(d.conversation.retry_due());
  EXPECT_EQ(d.send(Execute{"", 0}), "B(:s:0)");  // the held Bind; its Execute starts a run
  const std::string last = d.send(Sync{});
  EXPECT_EQ(count(last, "P(__blueshift_step__:create s)"), 1u) << last;
  EXPECT_EQ(d.reply(serve("B(:s:0) " + last)), "2 C(INSERT 0 1) Z(I)");
}

// After a run its repeated key cut, the rest of the batch cannot be undone (the first run is
// other work of its implicit transaction) and still stays folded: one by one, a batch that
// repeats a key ran at 1 % of native's speed.
TEST(UpsertBatch, TheRunAfterARepeatedKeysCutStaysFolded) {
  Driver d = folding();
  const std::string up = sent(d, kTwoRows);
  const std::string run = d.send(row("1"));
  EXPECT_EQ(d.send(Execute{"", 0}), "WAIT");
  EXPECT_EQ(d.reply(serve(up + " " + run)), "1 2 C(INSERT 0 1) 2 C(INSERT 0 1)");
  EXPECT_EQ(d.send(Execute{"", 0}), "B(:s:0)");
  const std::string rest = sent(d, {row("3"), Execute{"", 0}, Sync{}});
  EXPECT_EQ(count(rest, "P(__blueshift_step__:create s)"), 1u) << rest;
  EXPECT_EQ(d.reply(serve("B(:s:0) " + rest)), "2 C(INSERT 0 1) 2 C(INSERT 0 1) Z(I)");
}

// A run its Sync ends that cannot be undone alone stays folded: after other work of its
// implicit transaction (psycopg's pipeline: an INSERT, then executemany, one Sync), or after
// an earlier batch not answered yet (its status unknown). One by one, 0.01 of native speed.
// A load's failure lands on its row and is not replayed: the server rolls back all of the
// implicit transaction, as natively.
TEST(UpsertBatch, ARunThatCannotBeUndoneAloneStaysFoldedUpToItsSync) {
  for (const bool earlier_batch : {false, true}) {
    for (const int fail : {0, 2}) {
      Driver d = folding();
      std::vector<FrontendMessage> other = {Parse{"q", "select 1", {}}, Bind{"", "q", {}, {}, {}}, Execute{"", 0}};
      if (earlier_batch) other.push_back(Sync{});
      std::string up = sent(d, other);
      up += " " + sent(d, kThreeRows);
      EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;
      const std::string before = earlier_batch ? "1 2 C(UPDATE 0) Z(I) 1 2 " : "1 2 C(UPDATE 0) 1 2 ";
      const std::string run = fail == 0 ? "C(INSERT 0 1) 2 C(INSERT 0 1) 2 C(INSERT 0 1)" : "C(INSERT 0 1) 2 E(22001)";
      EXPECT_EQ(d.reply(serve(up, fail)), before + run + " Z(I)") << earlier_batch << fail;
      EXPECT_FALSE(d.conversation.retry_due());
    }
  }
}

// A cut run that fails: the server skips everything up to a Sync, so the proxy sends its own
// (its ReadyForQuery swallowed), then the rows one by one without one: the error lands on the
// Execute that fails natively, and the client's batch goes on in the same transaction.
TEST(UpsertBatch, ACutRunThatFailsIsReplayedAfterTheProxysSyncAndTheBatchGoesOn) {
  for (const char status : {'I', 'T'}) {
    Driver d = folding();
    d.conversation.set_transaction_status(status);
    std::string up = sent(d, kTwoRows);
    up += " " + sent(d, {row("3"), Execute{"", 0}});
    const std::string run = d.send(Parse{"q", "select 1", {}});  // another statement cuts it
    EXPECT_EQ(run.find("select 1"), std::string::npos) << run;
    EXPECT_EQ(run.find("SAVEPOINT") != std::string::npos, status == 'T') << run;
    EXPECT_EQ(d.send(Bind{"", "q", {}, {}, {}}), "WAIT");
    const char failed = status == 'I' ? 'I' : 'E';
    EXPECT_EQ(d.reply(serve(up + " " + run, 2, {}, failed)), "1 2") << status;
    EXPECT_EQ(replayed(d), "S");
    EXPECT_EQ(d.reply(ReadyForQuery{failed}), "");  // the proxy's Sync's
    const std::string replay = replayed(d);
    EXPECT_EQ(replay.find("ROLLBACK TO SAVEPOINT blueshift_fold") != std::string::npos, status == 'T') << replay;
    EXPECT_EQ(count(replay, "P(__blueshift_step__:create s)"), 3u) << replay;
    EXPECT_EQ(replay.substr(replay.size() - 2), " H") << replay;
    EXPECT_EQ(d.reply(serve(replay, 2)), "C(INSERT 0 1) 2 E(22001)") << status;
    EXPECT_FALSE(d.conversation.retry_due());
    // The statement that cut the run, then the message that waited; the client's Sync ends
    // the batch with the server's word on it.
    EXPECT_EQ(d.send(Bind{"", "q", {}, {}, {}}), "P(q:select 1) B(:q:0)");
    EXPECT_EQ(d.send(Sync{}), "S");
    EXPECT_EQ(d.reply(ReadyForQuery{failed}), "Z(" + std::string(1, failed) + ")");
  }
}

TEST(UpsertBatch, DoNothingKeepsOneRunAndCountsEachRowByItsFlag) {
  Driver d = folding(true);
  std::string up = sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("1"), Execute{"", 0}, row("2"),
                            Execute{"", 0}, Sync{}});
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;
  EXPECT_EQ(d.reply(serve(up, 0, {"t", "f", "t"})), "1 2 C(INSERT 0 1) 2 C(INSERT 0 0) 2 C(INSERT 0 1) Z(I)");
}

TEST(UpsertBatch, ALoneExecuteOfAFoldablePlanCountsOnlyItsCountingSteps) {
  Driver d = folding(true);
  std::string up = sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, Sync{}});
  EXPECT_EQ(d.reply(serve(up, 0, {"f"})), "1 2 C(INSERT 0 1) Z(I)");  // not the flags' SELECT 1
}

TEST(UpsertBatch, ARowThatFailsToLoadGetsTheErrorAfterTheRowsBeforeIt) {
  Driver d = folding();
  // After another statement of its implicit transaction and ended by a Flush: a run that
  // cannot be undone, kept folded (not replayed), whose load error still lands on its row.
  std::string up = sent(d, {Parse{"q", "select 1", {}}, Bind{"", "q", {}, {}, {}}, Execute{"", 0}});
  up += " " + sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"), Execute{"", 0}, row("3"),
                       Execute{"", 0}, Flush{}});
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;
  EXPECT_EQ(d.reply(serve(up, 2)), "1 2 C(UPDATE 0) 1 2 C(INSERT 0 1) 2 E(22001)");
  EXPECT_FALSE(d.conversation.retry_due());
}

// A Flush that cuts a run alone in its implicit transaction goes up after it (the client
// waits for the replies): a failure is replayed as after any cut, the replay's Flush bringing
// its replies.
TEST(UpsertBatch, ARunCutByAFlushIsReplayedOnFailure) {
  Driver d = folding();
  const std::string up = sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"), Execute{"", 0},
                                  row("3"), Execute{"", 0}, Flush{}});
  EXPECT_EQ(up.substr(up.size() - 2), " H") << up;
  EXPECT_EQ(d.send(Sync{}), "WAIT");
  EXPECT_EQ(d.reply(serve(up, 2)), "1 2");
  EXPECT_EQ(replayed(d), "S");
  EXPECT_EQ(d.reply(ReadyForQuery{'I'}), "");
  EXPECT_EQ(d.reply(serve(replayed(d), 2)), "C(INSERT 0 1) 2 E(22001)");
  EXPECT_EQ(d.send(Sync{}), "S");
}

TEST(UpsertBatch, ABindWhoseExecuteDoesNotFollowGoesOnAfterTheRun) {
  Driver d = folding();
  std::string up = sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"), Execute{"", 0}, row("3"),
                            Flush{}});
  EXPECT_EQ(up.substr(up.size() - 9), "B(:s:0) H") << up;  // the held Bind, then the Flush
  EXPECT_EQ(d.reply(serve(up)), "1 2 C(INSERT 0 1) 2 C(INSERT 0 1) 2");
}

TEST(UpsertBatch, AnotherStatementEndsTheRunBeforeItGoesUp) {
  Driver d = folding();
  std::string up = sent(d, {Parse{"q", "select 1", {}}, Bind{"", "q", {}, {}, {}}, Execute{"", 0}});
  up += " " + sent(d, kTwoRows);
  EXPECT_EQ(up.substr(up.size() - 13), "P(s:) B(:s:0)");  // nothing of the held Executes yet
  up += " " + d.send(Parse{"q2", "select 2", {}});  // not undoable (after the select): no wait
  EXPECT_EQ(up.substr(up.size() - 14), "P(q2:select 2)") << up;
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;
}

// An earlier Execute of the batch fails while a later cut run waits for its outcome: the
// server skips the run and everything up to the client's Sync, which must not wait behind it
// (it did: the session hung).
TEST(UpsertBatch, ACutRunAfterAFailureInItsBatchDoesNotHoldTheClientsSync) {
  Driver d = folding();
  d.conversation.set_transaction_status('T');
  // Row 1 runs alone (the Parse of q ends it) and fails at its load.
  std::string up = sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, Parse{"q", "select 1", {}}});
  up += " " + sent(d, {row("2"), Execute{"", 0}, row("3"), Execute{"", 0}});
  up += " " + d.send(Parse{"q2", "select 2", {}});  // cuts rows 2-3: under a savepoint, it waits
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 2u) << up;
  EXPECT_EQ(up.find("q2"), std::string::npos) << up;
  EXPECT_EQ(d.send(Sync{}), "WAIT");
  d.reply(serve(up, 1, {}, 'E'));
  EXPECT_FALSE(d.conversation.awaiting_reply());
  const std::string rest = d.send(Sync{});
  EXPECT_NE(rest.find("P(q2:select 2)"), std::string::npos) << rest;
  EXPECT_EQ(rest.substr(rest.size() - 1), "S") << rest;
}

// The row cap cuts a run of the client's block: it goes up under the proxy's savepoint, the
// next row's Bind waits for its outcome, and a success lets the batch go on.
TEST(UpsertBatch, ARunCutByTheRowCapWaitsForItsOutcome) {
  Driver d = folding();
  d.conversation.set_transaction_status('T');
  std::vector<FrontendMessage> rows = {Parse{"s", kUpsert, {}}};
  std::vector<std::string> keys;
  for (size_t k = 0; k <= kMaxFoldRows; ++k) keys.push_back(std::to_string(k));
  for (size_t k = 0; k < kMaxFoldRows; ++k) {
    rows.push_back(row(keys[k].c_str()));
    rows.push_back(Execute{"", 0});
  }
  const std::string up = sent(d, rows);
  const std::string run = d.send(row(keys.back().c_str()));
  EXPECT_NE(run.find("SAVEPOINT blueshift_fold"), std::string::npos);
  EXPECT_EQ(run.substr(run.size() - 2), " H");
  EXPECT_EQ(d.send(Execute{"", 0}), "WAIT");
  const std::string replies = d.reply(serve(up + " " + run, 0, {}, 'T'));
  EXPECT_EQ(count(replies, "C(INSERT 0 1)"), kMaxFoldRows);
  EXPECT_FALSE(d.conversation.retry_due());
  EXPECT_EQ(d.send(Execute{"", 0}), "B(:s:0)");
}

// A failed run alone in its implicit transaction is rolled back (the Sync ends it) and run
// again a row at a time: the error lands on the Execute that fails one by one, after the
// replies of the rows before it. The client's next messages wait until then.
TEST(UpsertBatch, AFailedRunAloneInItsImplicitTransactionIsReplayedRowByRow) {
  Driver d = folding(true);  // DO NOTHING: the rows' counts come from the flags step
  const std::string up = sent(d, kThreeRows);
  EXPECT_EQ(d.send(Query{"select 1"}), "WAIT");
  EXPECT_EQ(d.reply(serve(up, 3)), "1 2");  // the error and its ReadyForQuery are swallowed
  const std::string replay = replayed(d);
  EXPECT_EQ(count(replay, "P(__blueshift_step__:create s)"), 3u) << replay;
  EXPECT_EQ(replay.substr(replay.size() - 1), "S") << replay;
  EXPECT_EQ(d.reply(serve(replay, 3, {"t"})), "C(INSERT 0 1) 2 C(INSERT 0 1) 2 E(22001) Z(I)");
  EXPECT_FALSE(d.conversation.retry_due());
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

// In the client's block the run goes under a savepoint of the proxy's, rolled back to
// before the replay; a run that succeeds just releases it.
TEST(UpsertBatch, AFailedRunInTheClientsBlockIsRolledBackToItsSavepointAndReplayed) {
  Driver d = folding();
  d.conversation.set_transaction_status('T');
  const std::string up = sent(d, kThreeRows);
  const size_t savepoint = up.find("SAVEPOINT blueshift_fold"), release = up.find("RELEASE SAVEPOINT blueshift_fold");
  ASSERT_NE(savepoint, std::string::npos) << up;
  EXPECT_LT(savepoint, up.find("create s")) << up;
  EXPECT_GT(release, up.find("drop s")) << up;
  EXPECT_EQ(d.reply(serve(up, 2, {}, 'E')), "1 2");
  const std::string replay = replayed(d);
  EXPECT_LT(replay.find("ROLLBACK TO SAVEPOINT blueshift_fold"), replay.find("create s")) << replay;
  EXPECT_EQ(d.reply(serve(replay, 2, {}, 'E')), "C(INSERT 0 1) 2 E(22001) Z(E)");

  Driver ok = folding();
  ok.conversation.set_transaction_status('T');
  EXPECT_EQ(ok.reply(serve(sent(ok, kThreeRows), 0, {}, 'T')),
            "1 2 C(INSERT 0 1) 2 C(INSERT 0 1) 2 C(INSERT 0 1) Z(T)");
  EXPECT_FALSE(ok.conversation.retry_due());
  EXPECT_EQ(ok.send(Query{"select 1"}), "Q(select 1)");
}

// Redshift has no SAVEPOINT: in the client's block the run stays folded, with no savepoint
// of the proxy's (which would fail the client's block), and its failure fails the block.
TEST(UpsertBatch, InTheClientsBlockOnAWarehouseWithoutSavepointsTheRunStaysFolded) {
  Driver d = folding(false, 0, false);
  d.conversation.set_transaction_status('T');
  const std::string up = sent(d, kThreeRows);
  EXPECT_EQ(up.find("SAVEPOINT"), std::string::npos) << up;
  EXPECT_EQ(count(up, "create s"), 1u) << up;
  const std::string failed = d.reply(serve(up, 2, {}, 'E'));
  EXPECT_NE(failed.find("E(22001)"), std::string::npos) << failed;
  EXPECT_EQ(failed.substr(failed.size() - 4), "Z(E)") << failed;
  EXPECT_FALSE(d.conversation.retry_due());

  Driver ok = folding(false, 0, false);
  ok.conversation.set_transaction_status('T');
  EXPECT_EQ(ok.reply(serve(sent(ok, kThreeRows), 0, {}, 'T')),
            "1 2 C(INSERT 0 1) 2 C(INSERT 0 1) 2 C(INSERT 0 1) Z(T)");
}

// pgjdbc without autocommit (and psycopg outside autocommit) send their BEGIN in the batch
// itself: the run after it is in a block although no ReadyForQuery said so yet, and goes
// under the proxy's savepoint, so that a failure is rolled back to it and replayed.
TEST(UpsertBatch, ARunAfterTheClientsBeginInTheSameBatchIsReplayedUnderASavepoint) {
  Driver d = folding();
  std::vector<FrontendMessage> batch = {Parse{"", "BEGIN", {}}, Bind{"", "", {}, {}, {}}, Execute{"", 0}};
  batch.insert(batch.end(), kThreeRows.begin(), kThreeRows.end());
  const std::string up = sent(d, batch);
  ASSERT_NE(up.find("SAVEPOINT blueshift_fold"), std::string::npos) << up;
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;
  EXPECT_EQ(d.reply(serve(up, 2, {}, 'E')), "1 2 C(UPDATE 0) 1 2");
  const std::string replay = replayed(d);
  EXPECT_LT(replay.find("ROLLBACK TO SAVEPOINT blueshift_fold"), replay.find("create s")) << replay;
  EXPECT_EQ(d.reply(serve(replay, 2, {}, 'E')), "C(INSERT 0 1) 2 E(22001) Z(E)");
  // The next batch starts outside that knowledge: its ReadyForQuery said 'E'.
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

// The replay's own Sync ends its batch: the retry state it leaves is a fresh batch's, so a
// lone upsert after it that meets a serialization failure is retried, as without the replay.
TEST(UpsertBatch, AfterAReplayALoneRunIsRetriedAsWithoutIt) {
  const std::vector<FrontendMessage> lone = {row("4"), Execute{"", 0}, Sync{}};
  Driver fresh = folding(false, 2);
  (void)sent(fresh, {Parse{"s", kUpsert, {}}, Sync{}});
  (void)fresh.reply({ParseComplete{}, ReadyForQuery{'I'}});
  const std::string first = sent(fresh, lone);
  EXPECT_EQ(fresh.reply(serve(first, 1, {}, 'I', "40001")), "2");
  EXPECT_TRUE(fresh.conversation.retry_due());

  Driver d = folding(false, 2);
  const std::string up = sent(d, kThreeRows);
  EXPECT_EQ(d.reply(serve(up, 3)), "1 2");
  const std::string replay = replayed(d);
  EXPECT_EQ(d.reply(serve(replay)), "C(INSERT 0 1) 2 C(INSERT 0 1) 2 C(INSERT 0 1) Z(I)");
  const std::string next = sent(d, lone);
  EXPECT_EQ(d.reply(serve(next, 1, {}, 'I', "40001")), "2");  // the error swallowed: retried
  EXPECT_TRUE(d.conversation.retry_due());
  EXPECT_EQ(d.conversation.retry_wait().count(), 10);  // a retry's backoff, not a replay
}

// The message that cut a run waits for the run's outcome and then goes through the policies
// like any other: a scan they refuse never reaches the upstream as written.
TEST(UpsertBatch, TheMessageThatCutARunIsCheckedWhenItGoesOn) {
  std::shared_ptr<policies::Governor> governor = testing::demo_governor();
  Driver d(governed(governor.get(), true));
  as_analyst(d);
  d.conversation.set_transaction_status('T');
  const std::string up = sent(d, kTwoRows);
  const std::string run = d.send(Parse{"q", "select count(*) from spectrum_schema.sales", {}});
  EXPECT_EQ(count(run, "P(__blueshift_step__:create s)"), 1u) << run;
  EXPECT_EQ(run.find("spectrum_schema"), std::string::npos) << run;  // held until the outcome
  EXPECT_EQ(d.reply(serve(up + " " + run, 0, {}, 'T')), "1 2 C(INSERT 0 1) 2 C(INSERT 0 1)");
  const std::string rest = d.send(Sync{});
  EXPECT_EQ(rest.find("spectrum_schema"), std::string::npos) << rest;
  EXPECT_EQ(rest.substr(rest.size() - 1), "S") << rest;
}

// A run after other work of its implicit transaction goes up folded at once (it cannot be
// undone, so nothing waits for it); the message that cut it still goes through the policies:
// an unfiltered lake scan sent right after the rows is refused, nothing of it upstream.
TEST(UpsertBatch, AfterOtherWorkTheMessageThatCutsAFoldedRunIsStillChecked) {
  std::shared_ptr<policies::Governor> governor = testing::demo_governor();
  Driver d(governed(governor.get(), true));
  as_analyst(d);
  std::string up = sent(d, {Parse{"q", "select 1", {}}, Bind{"", "q", {}, {}, {}}, Execute{"", 0}});
  up += " " + sent(d, {Parse{"s", kUpsert, {}}, row("1"), Execute{"", 0}, row("2"), Execute{"", 0}});
  up += " " + d.send(Parse{"w", "select count(*) from spectrum_schema.sales", {}});
  EXPECT_EQ(count(up, "P(__blueshift_step__:create s)"), 1u) << up;  // folded, not row by row
  EXPECT_EQ(up.find("spectrum_schema"), std::string::npos) << up;
  EXPECT_NE(up.find("__blueshift_refused__"), std::string::npos) << up;
}

// A Bind the policies decide by its values is never held: each is checked as it comes, and
// one refused ends the run (which goes up first, as the rows before it ran natively) and
// runs nothing of its own: the server gets the refusal's substitute, not the row.
TEST(UpsertBatch, ABindCheckedByItsValuesIsNotHeldAndItsRefusalRunsNothing) {
  std::shared_ptr<policies::Governor> governor = testing::demo_governor();
  Driver d(governed(governor.get(), false));
  as_analyst(d);
  // Decided at Bind: (2024, 2024) reads 12 lake partitions, (2022, 2024) 36, over the limit.
  const char* scan =
      "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12";
  EXPECT_EQ(d.send({Parse{"w", scan, {}}, Sync{}}), "P(w:) S");
  (void)d.reply({ParseComplete{}, ReadyForQuery{'I'}});
  const Bind good{"", "w", {}, {std::string("2024"), std::string("2024")}, {}};
  EXPECT_EQ(d.send({good, Execute{"", 0}}), "B(:w:0)");  // the Execute held
  const std::string second = d.send(good);  // checked, not held: the first row's run goes first
  EXPECT_EQ(count(second, "P(__blueshift_step__:create s)"), 1u) << second;
  EXPECT_EQ(second.substr(second.size() - 7), "B(:w:0)") << second;
  EXPECT_EQ(d.send(Execute{"", 0}), "");
  const std::string wide = d.send(Bind{"", "w", {}, {std::string("2022"), std::string("2024")}, {}});
  EXPECT_EQ(count(wide, "P(__blueshift_step__:create s)"), 1u) << wide;  // the second row's run
  EXPECT_EQ(wide.substr(wide.size() - 27), "B(:__blueshift_refused__:0)") << wide;
  EXPECT_EQ(d.send({Execute{"", 0}, Sync{}}), "S");  // discarded up to Sync, as a server would
}

}  // namespace
}  // namespace blueshift::proxy

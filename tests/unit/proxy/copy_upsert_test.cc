// Upsert COPY FROM STDIN in the session's logic (proxy/copy_upsert.cc), without sockets:
// the load goes up at once, the client's rows stream to it, and the merge steps go up only
// after the client's CopyDone, in the proxy's transaction or the client's block; a load
// that failed sends none. Also the audit line each rewritten statement leaves
// (proxy/rewrite_audit.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "conversation_driver.h"
#include "policies/governor_options.h"
#include "proxy/conversation.h"
#include "rewrite/copy_upsert.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

ErrorResponse error(const std::string& sqlstate) {
  return ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', sqlstate}, {'M', "boom"}}}};
}
ReadyForQuery ready(char status) { return ReadyForQuery{status}; }

Conversation::Options copy_options(policies::Governor* governor = nullptr) {
  Conversation::Options o;
  o.governor = governor;
  o.copy_planner = [](std::string_view sql, const policies::SessionContext&, std::string_view key) {
    return rewrite::plan_copy_upsert(sql, {}, key);
  };
  return o;
}

// The staging table's name differs per plan: read as S.
std::string staged(const std::string& described) {
  return std::regex_replace(described, std::regex("\"blueshift_copy_[0-9]+\""), "S");
}

constexpr const char* kCopy = "COPY t FROM STDIN /* blueshift:upsert key=(k) */";
constexpr const char* kLoad = "Q(CREATE TEMP TABLE S (LIKE t INCLUDING DEFAULTS); COPY S FROM STDIN)";
constexpr const char* kMerge =
    "Q(SELECT count(*) / 0 FROM (SELECT 1 AS blueshift_one FROM S WHERE \"k\" IS NOT NULL GROUP BY \"k\" HAVING "
    "count(*) > 1) AS blueshift_twice HAVING count(*) > 0) Q(LOCK t) "
    // The DELETE probes t's index (PostgreSQL): hash and merge joins off around it.
    "Q(SELECT set_config('blueshift_staged.enable_hashjoin', current_setting('enable_hashjoin'), true), "
    "set_config('blueshift_staged.enable_mergejoin', current_setting('enable_mergejoin'), true), "
    "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)) "
    "Q(DELETE FROM t USING S WHERE t.\"k\" = S.\"k\") "
    "Q(SELECT set_config('enable_hashjoin', current_setting('blueshift_staged.enable_hashjoin'), true), "
    "set_config('enable_mergejoin', current_setting('blueshift_staged.enable_mergejoin'), true)) "
    "Q(INSERT INTO t SELECT * FROM S)";
constexpr const char* kDrop = "Q(DROP TABLE IF EXISTS S)";

// The load's replies up to the server asking for the rows.
std::string start(Driver& d) {
  const std::string up = staged(d.send(Query{kCopy}));
  EXPECT_EQ(up, kLoad);
  return d.reply({CommandComplete{"CREATE TABLE"}, CopyInResponse{}});
}

TEST(CopyUpsertSession, OutsideABlockTheMergeRunsInItsOwnTransactionAfterTheRows) {
  Driver d{copy_options()};
  EXPECT_EQ(start(d), "G");  // the client is asked for its rows
  EXPECT_EQ(d.send(CopyDataF{"1\tx\n"}), "d");
  EXPECT_EQ(d.send(CopyDataF{"2\ty\n"}), "d");
  EXPECT_EQ(staged(d.send(CopyDoneF{})), std::string("c Q(BEGIN) ") + kMerge + " Q(COMMIT) " + kDrop);
  EXPECT_EQ(d.reply({CommandComplete{"COPY 2"}, ready('I'),                              // the load
                     CommandComplete{"BEGIN"}, ready('T'), CommandComplete{"SELECT 0"}, ready('T'),
                     CommandComplete{"LOCK TABLE"}, ready('T'), CommandComplete{"SELECT 1"}, ready('T'), CommandComplete{"DELETE 1"}, ready('T'), CommandComplete{"SELECT 1"}, ready('T'),
                     CommandComplete{"INSERT 0 2"}, ready('T'), CommandComplete{"COMMIT"}, ready('I'),
                     CommandComplete{"DROP TABLE"}, ready('I')}),
            "C(COPY 2) Z(I)");
  EXPECT_FALSE(d.conversation.awaiting_reply());
}

TEST(CopyUpsertSession, InsideTheClientsBlockNoTransactionIsAdded) {
  Driver d{copy_options()};
  d.conversation.set_transaction_status('T');
  EXPECT_EQ(start(d), "G");
  EXPECT_EQ(staged(d.send(CopyDoneF{})), std::string("c ") + kMerge + " " + kDrop);
  EXPECT_EQ(d.reply({CommandComplete{"COPY 1"}, ready('T'), CommandComplete{"SELECT 0"}, ready('T'),
                     CommandComplete{"LOCK TABLE"}, ready('T'), CommandComplete{"SELECT 1"}, ready('T'), CommandComplete{"DELETE 0"}, ready('T'), CommandComplete{"SELECT 1"}, ready('T'),
                     CommandComplete{"INSERT 0 1"}, ready('T'), CommandComplete{"DROP TABLE"}, ready('T')}),
            "C(COPY 1) Z(T)");
}

TEST(CopyUpsertSession, ADuplicateKeyFailsTheMergeAsOnConflictWouldAndTheStagingTableGoes) {
  Driver d{copy_options()};
  (void)start(d);
  (void)d.send(CopyDoneF{});
  EXPECT_EQ(d.reply({CommandComplete{"COPY 2"}, ready('I'), CommandComplete{"BEGIN"}, ready('T'), error("22012"),
                     ready('E'), error("25P02"), ready('E'), error("25P02"), ready('E'), error("25P02"), ready('E'),
                     error("25P02"), ready('E'), error("25P02"), ready('E'),
                     CommandComplete{"ROLLBACK"}, ready('I'), CommandComplete{"DROP TABLE"}, ready('I')}),
            "E(21000) Z(I)");
}

TEST(CopyUpsertSession, ALoadThatFailedBeforeTheCopyDoneSendsNoMerge) {
  Driver d{copy_options()};
  (void)start(d);
  EXPECT_EQ(d.send(CopyDataF{"oops\n"}), "d");
  // A bad row: the server ends the load (its implicit transaction, staging table and all).
  EXPECT_EQ(d.reply({error("22P02"), ready('I')}), "E(22P02) Z(I)");
  EXPECT_EQ(d.send(CopyDataF{"3\tz\n"}), "d");  // the server drops what is still coming
  EXPECT_EQ(d.send(CopyDoneF{}), "c");
  EXPECT_FALSE(d.conversation.awaiting_reply());
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
  EXPECT_EQ(d.reply({CommandComplete{"SELECT 1"}, ready('I')}), "C(SELECT 1) Z(I)");
}

TEST(CopyUpsertSession, ALoadThatFailsAfterTheCopyDoneReportsOnlyItsOwnError) {
  Driver d{copy_options()};
  (void)start(d);
  (void)d.send(CopyDoneF{});
  EXPECT_EQ(d.reply({error("22P02"), ready('I'), CommandComplete{"BEGIN"}, ready('T'), error("42P01"), ready('E'),
                     error("25P02"), ready('E'), error("25P02"), ready('E'), error("25P02"), ready('E'),
                     error("25P02"), ready('E'), error("25P02"), ready('E'),
                     CommandComplete{"ROLLBACK"}, ready('I'), CommandComplete{"DROP TABLE"}, ready('I')}),
            "E(22P02) Z(I)");
}

TEST(CopyUpsertSession, ACopyFailGoesUpAloneAndTheServersErrorEndsTheCopy) {
  Driver d{copy_options()};
  (void)start(d);
  EXPECT_EQ(d.send(CopyFail{"client gave up"}), "f");
  EXPECT_EQ(d.reply({error("57014"), ready('I')}), "E(57014) Z(I)");
  EXPECT_FALSE(d.conversation.awaiting_reply());
}

TEST(CopyUpsertSession, ACreateThatFailsEndsTheCopyBeforeItStarts) {
  Driver d{copy_options()};
  EXPECT_EQ(staged(d.send(Query{kCopy})), kLoad);
  EXPECT_EQ(d.reply({error("42P01"), ready('I')}), "E(42P01) Z(I)");
  EXPECT_EQ(d.send(Query{"select 1"}), "Q(select 1)");
}

TEST(CopyUpsertSession, TheSessionKeyMarksACopyAndRunsOnlyAsASimpleQuery) {
  Driver d{copy_options()};
  EXPECT_EQ(d.send(Query{"COPY t FROM STDIN"}), "Q(COPY t FROM STDIN)");  // no key yet: a plain COPY
  EXPECT_EQ(d.reply(CopyInResponse{}), "G");
  EXPECT_EQ(d.send(CopyDoneF{}), "c");
  EXPECT_EQ(d.reply({CommandComplete{"COPY 0"}, ready('I')}), "C(COPY 0) Z(I)");
  (void)d.send(Query{"SET blueshift.copy_upsert_key = 'k'"});
  EXPECT_EQ(d.reply({EmptyQueryResponse{}, ready('I')}), "C(SET) Z(I)");
  EXPECT_EQ(staged(d.send(Query{"COPY t FROM STDIN"})), kLoad);
  EXPECT_EQ(d.reply({error("42P01"), ready('I')}), "E(42P01) Z(I)");
  // The extended protocol cannot stream the rows between the steps: refused, saying so.
  EXPECT_EQ(d.send({Parse{"s", "COPY t FROM STDIN", {}}, Sync{}}), "B(:__blueshift_refused__:0) S");
  EXPECT_EQ(d.reply({error("26000"), ready('I')}), "E(0A000) Z(I)");
}

// A real governor whose audit lines a test reads.
struct Audited {
  std::vector<std::string> lines;
  std::shared_ptr<policies::AuditLog> log = policies::AuditLog::to_sink(
      "test", [this](std::string_view l) { lines.emplace_back(l); },
      [] { return std::chrono::system_clock::time_point{}; });
  std::shared_ptr<policies::Governor> governor = [this] {
    policies::GovernorOptions options;
    options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
    options.audit_log = log;
    return policies::Governor::create(YAML::Load(policies::testing::kDemoPolicies), options);
  }();
  std::string all() {
    log->flush();
    std::string out;
    for (const auto& l : lines) out += l;
    return out;
  }
};

// The client's COPY only writes; the merge behind it deletes from public.t, which the demo
// policies deny a user not known to be exempt: refused before anything runs.
TEST(CopyUpsertSession, TheStepsPassThePolicies) {
  Audited audit;
  Driver d{copy_options(audit.governor.get())};
  d.conversation.identity().user = "loader";
  EXPECT_EQ(d.send(Query{kCopy}), "Q(/* blueshift: statement refused by policy */ blueshift_refused)");
  EXPECT_EQ(d.reply({error("42601"), ready('I')}), "E(42501) Z(I)");
}

TEST(CopyUpsertSession, EachRewrittenStatementLeavesOneAuditLine) {
  Audited audit;
  {
    Driver d{copy_options(audit.governor.get())};
    d.conversation.identity().user = "etl";  // exempt from the rule the merge's DELETE meets
    (void)start(d);
    (void)d.send(CopyDoneF{});
    (void)d.reply({CommandComplete{"COPY 2"}, ready('I'), CommandComplete{"BEGIN"}, ready('T'),
                   CommandComplete{"SELECT 0"}, ready('T'), CommandComplete{"LOCK TABLE"}, ready('T'), CommandComplete{"SELECT 1"}, ready('T'),
                   CommandComplete{"DELETE 1"}, ready('T'), CommandComplete{"SELECT 1"}, ready('T'), CommandComplete{"INSERT 0 2"}, ready('T'),
                   CommandComplete{"COMMIT"}, ready('I'), CommandComplete{"DROP TABLE"}, ready('I')});
    (void)d.send(Query{kCopy});
    (void)d.reply({error("42P01"), ready('I')});
  }
  const std::string lines = audit.all();
  EXPECT_NE(lines.find(R"("user":"etl")"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"("event":"rewrite","form":"copy","outcome":"ok","retries":0,"rows":2,"table":"t")"),
            std::string::npos)
      << lines;
  EXPECT_NE(lines.find(R"("form":"copy","outcome":"error","retries":0,"rows":0,"sqlstate":"42P01","table":"t")"),
            std::string::npos)
      << lines;
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;
}

}  // namespace
}  // namespace blueshift::proxy

// Which texts are addressed to the proxy itself (SET/RESET/SHOW blueshift.*), read with
// the real parser; everything else is left to the upstream.
#include "rewrite/proxy_statement.h"

#include <gtest/gtest.h>

namespace blueshift::rewrite {
namespace {

using Kind = ProxyStatementScan::Kind;
using Action = ProxyStatement::Action;

struct Row {
  const char* sql;
  Kind kind;
  Action action = Action::Show;
  const char* name = "";
  const char* value = "";
};

class ProxyStatementTest : public ::testing::TestWithParam<Row> {};

TEST_P(ProxyStatementTest, Reads) {
  const Row& r = GetParam();
  const ProxyStatementScan s = scan_proxy_statement(r.sql);
  ASSERT_EQ(s.kind, r.kind) << r.sql;
  if (r.kind != Kind::Single) return;
  EXPECT_EQ(s.statement.action, r.action) << r.sql;
  EXPECT_EQ(s.statement.name, r.name) << r.sql;
  EXPECT_EQ(s.statement.value, r.value) << r.sql;
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ProxyStatementTest,
    ::testing::Values(
        Row{"SHOW blueshift.version", Kind::Single, Action::Show, "blueshift.version"},
        Row{"/* Tableau */ show BlueShift.Rules;", Kind::Single, Action::Show, "blueshift.rules"},
        Row{"SET blueshift.dry_run = on", Kind::Single, Action::Set, "blueshift.dry_run", "on"},
        Row{"set blueshift.dry_run to 'yes'", Kind::Single, Action::Set, "blueshift.dry_run", "yes"},
        Row{"SET SESSION blueshift.budget = 12.5", Kind::Single, Action::Set, "blueshift.budget", "12.5"},
        Row{"SET LOCAL blueshift.x = 3", Kind::Single, Action::Set, "blueshift.x", "3"},
        Row{"RESET blueshift.dry_run", Kind::Single, Action::Reset, "blueshift.dry_run"},
        Row{"SET blueshift.x TO DEFAULT", Kind::Single, Action::Set, "blueshift.x", ""},
        Row{"SET blueshift .x = 1", Kind::Single, Action::Set, "blueshift.x", "1"},
        Row{"SHOW \"blueshift.version\"", Kind::Single, Action::Show, "blueshift.version"},
        Row{"SET blueshift.x FROM CURRENT", Kind::Mixed},
        Row{"SHOW blueshift.version; SELECT 1", Kind::Mixed},
        Row{"select 1; set blueshift.x = 1", Kind::Mixed},
        Row{"select 'blueshift.version'", Kind::None},
        Row{"SHOW search_path", Kind::None},
        Row{"SET search_path = blueshift", Kind::None},
        Row{"select * from blueshift.t", Kind::None},
        Row{"SHOW blueshift", Kind::None},
        Row{"SHOW blueshift.version garbage (", Kind::None},  // the upstream reports the syntax error
        Row{"RESET ALL", Kind::None}));

}  // namespace
}  // namespace blueshift::rewrite

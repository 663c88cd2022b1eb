"""Budgets end to end (policies.budgets, issue 13): private proxies in front of the dev
warehouse, each with a budget for analyst and a ledger table of its own in `public`
(written by the service role etl, dropped afterwards).

  enforce    the query that would exceed the budget is refused (53400, DETAIL with spent,
             estimate, limit and period, a HINT) and never reaches the warehouse; the
             80 % NOTICE comes once; SHOW blueshift.spend; the ledger holds what ran
  warn       past the limit the query runs with a WARNING
  shared     two proxies, four sessions each, one budget: the sum of the estimates they
             allowed stays within it, and the ledger agrees
  notices    two proxies, one budget: the 80 % NOTICE comes once in all, from the proxy the
             user crossed it on, not again from the other; the ledger records it; a new
             period (the account's rows moved to yesterday) tells it again
  sql_execute  SQL EXECUTE of a PREPAREd scan is charged like the scan, in a Query and as a
             Parse'd statement at its Execute: past the budget it is refused and does not run
  closed     the ledger cannot be written (a schema etl may not create in): 55000, retryable
  open       the same with on_ledger_error: fail_open: the query runs, the log says so

Ports (127.0.0.1): 6800-6809.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import harness as h
from harness import check, check_eq

# One query of one partition: the dev lake's files are small, so each is billed the
# 10 MB minimum: 10 * 2^20 bytes at $5 per 2^40 bytes = $0.000047684 (rounded up).
QUERY = "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = 1"
COST = 47684  # nanodollars
LISTEN_CHANNEL = "budget_e2e_ran"
# Runs only if the proxy lets it through: a direct session listening on the channel hears it.
MARKED = f"SELECT pg_notify('{LISTEN_CHANNEL}', 'ran') FROM spectrum_schema.sales WHERE year = 2024 AND month = 2 LIMIT 1"


def budgets_yaml(table, usd, mode="enforce", extra=""):
    return (f"  catalog_tables: true\n"
            f"  budgets:\n"
            f"    ledger: {{schema: {table[0]}, table: {table[1]}}}\n"
            f"    thresholds: [0.8]\n"
            f"{extra}"
            f"    limits:\n"
            f"      - {{name: analyst-day, user: analyst, period: day, usd: {usd}, mode: {mode}}}\n")


def proxy(port, table, usd, mode="enforce", extra=""):
    return h.Proxy(port, {"  catalog_tables: true\n": budgets_yaml(table, usd, mode, extra)})


def ledger_table(test):
    return ("public", f"budget_e2e_{test}_{os.getpid()}")


def drop_ledger(table):
    with h.Conn(h.dev_port(), "etl") as c:
        c.query(f'DROP TABLE IF EXISTS "{table[0]}"."{table[1]}"')


def ledger_spent(table):
    """The spent row of analyst's budget today, in nanodollars, and the number of leases
    (not counting the rows of threshold notices told)."""
    with h.Conn(h.dev_port(), "etl") as c:
        r = c.query(f"SELECT coalesce(sum(CASE WHEN holder = '' THEN usd END) * 1000000000, 0)::bigint, "
                    f"count(*) FILTER (WHERE holder <> '' AND scope <> 'notice') FROM \"{table[0]}\".\"{table[1]}\" "
                    f"WHERE budget = 'analyst-day' AND member = 'analyst' AND period_start = (now() AT TIME ZONE 'UTC')::date")
        check(not r.errors, f"reading the ledger: {r.errors}")
        return int(r.rows[0][0]), int(r.rows[0][1])


class Listener:
    """A direct session LISTENing on the marker channel."""

    def __init__(self):
        self.conn = h.Conn(h.dev_port(), "analyst")
        check(not self.conn.query(f"LISTEN {LISTEN_CHANNEL}").errors, "LISTEN failed")

    def heard(self, seconds=1.0):
        """Whether a notification arrived within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.conn.nothing_pending(0.1):
                continue
            code, _ = self.conn.read_msg()
            if code == "A":
                return True
        return False

    def close(self):
        self.conn.close()


def test_enforce():
    table = ledger_table("enforce")
    listener = Listener()
    try:
        # 10 queries fit in $0.0005 (476840), the 11th does not.
        with proxy(6800, table, 0.0005) as p, h.Conn(p.port) as c:
            notices = []
            for i in range(10):
                r = c.query(QUERY)
                check(not r.errors, f"query {i + 1} within the budget: {r.errors}")
                notices += [n for n in r.notices if "80%" in n.get("M", "")]
            check_eq(len(notices), 1, "80 % NOTICEs over the period")
            check_eq(notices[0].get("S"), "NOTICE", "threshold notice severity")
            r = c.query(MARKED)
            check_eq(r.codes, "EZ", "the query past the budget: messages")
            e = r.error
            check_eq(e.get("C"), "53400", "SQLSTATE of the budget refusal")
            check('"analyst-day"' in e["M"], f"message names the budget: {e}")
            for words in ("spent $0.000476840 of $0.000500000", "the day ", "estimated at $0.000047684",
                          "$0.000023160 is left"):
                check(words in e.get("D", ""), f"DETAIL says {words!r}: {e.get('D')!r}")
            check("SHOW blueshift.spend" in e.get("H", ""), f"HINT: {e.get('H')!r}")
            check(not listener.heard(), "the refused query ran on the warehouse")
            # The session goes on; SHOW blueshift.spend answers from the proxy.
            r = c.query("SHOW blueshift.spend")
            check(not r.errors, f"SHOW blueshift.spend: {r.errors}")
            check_eq(len(r.rows), 1, "budgets of analyst")
            row = r.rows[0]
            check_eq((row[0], row[1], row[2], row[3]), ("analyst-day", "user", "analyst", "day"), "SHOW row")
            check_eq((row[5], row[6], row[7], row[8]), ("0.000500000", "0.000476840", "0.000023160", "enforce"),
                     "limit, spent, left, mode")
        # The proxy stopped: its lease went back, the ledger holds what ran.
        check_eq(ledger_spent(table), (10 * COST, 0), "ledger: spent and leases after the proxy stopped")
        # A control: the marked query does run where no budget stands in the way.
        with h.Conn(h.dev_port(), "analyst") as d:
            check(not d.query(MARKED).errors, "marked query directly")
        check(listener.heard(3), "the listener hears a marked query that runs")
    finally:
        listener.close()
        drop_ledger(table)


def test_warn():
    table = ledger_table("warn")
    try:
        with proxy(6801, table, 0.0001, mode="warn") as p, h.Conn(p.port) as c:
            for i in range(2):
                r = c.query(QUERY)
                check(not r.errors and not [n for n in r.notices if n.get("S") == "WARNING"],
                      f"query {i + 1}: {r}")
            r = c.query(QUERY)
            check(not r.errors, f"warn mode runs the query: {r.errors}")
            warnings = [n for n in r.notices if n.get("S") == "WARNING"]
            check_eq(len(warnings), 1, "WARNINGs past the limit")
            check_eq(warnings[0].get("C"), "01000", "warning SQLSTATE")
            check("estimated at $0.000047684" in warnings[0].get("D", ""), f"warning DETAIL: {warnings[0]}")
        check_eq(ledger_spent(table), (3 * COST, 0), "warn mode records all it ran")
    finally:
        drop_ledger(table)


def test_shared():
    table = ledger_table("shared")
    usd = 0.001  # 20 queries of COST fit (953680 <= 1000000)
    allowed, refused, other = [], [], []
    lock = threading.Lock()
    try:
        # Large lease shares: each proxy alone would lease most of what is left.
        share = "    lease: {share: 0.9}\n"
        with proxy(6802, table, usd, extra=share) as a, proxy(6803, table, usd, extra=share) as b:
            def session(port):
                with h.Conn(port) as c:
                    for _ in range(12):
                        r = c.query(QUERY)
                        with lock:
                            if not r.errors:
                                allowed.append(port)
                            elif r.error.get("C") == "53400":
                                refused.append(port)
                            else:
                                other.append(r.error)
            threads = [threading.Thread(target=session, args=(port,)) for port in (6802, 6803) * 4]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        check(not other, f"errors other than budget refusals: {other[:3]}")
        check(refused, "96 queries of a 20-query budget: some must be refused")
        total = len(allowed) * COST
        check(total <= round(usd * 1e9), f"allowed {len(allowed)} queries, ${total / 1e9:.9f} over the ${usd} budget")
        check_eq(ledger_spent(table), (total, 0), "ledger: spent equals what the two proxies allowed")
        print(f"  allowed {len(allowed)} (by proxy: {allowed.count(6802)} / {allowed.count(6803)}), "
              f"refused {len(refused)}, ${total / 1e9:.9f} of ${usd}")
    finally:
        drop_ledger(table)


def threshold_notices(conn, queries):
    """Runs QUERY `queries` times; the 80 % NOTICEs they got."""
    notices = []
    for i in range(queries):
        r = conn.query(QUERY)
        check(not r.errors, f"query {i + 1} within the budget: {r.errors}")
        notices += [n for n in r.notices if "80%" in n.get("M", "")]
    return notices


def notice_rows(table):
    """(period_start, holder) of the ledger's notice rows."""
    with h.Conn(h.dev_port(), "etl") as c:
        r = c.query(f"SELECT period_start::text, holder FROM \"{table[0]}\".\"{table[1]}\" "
                    f"WHERE scope = 'notice' ORDER BY 1")
        check(not r.errors, f"reading the ledger's notices: {r.errors}")
        return [tuple(row) for row in r.rows]


def wait_for_spent(table, nanodollars):
    """Until the ledger's spent row holds `nanodollars` (a proxy settles within a second or two)."""
    deadline = time.monotonic() + 15
    while ledger_spent(table)[0] < nanodollars and time.monotonic() < deadline:
        time.sleep(0.2)
    check(ledger_spent(table)[0] >= nanodollars, f"the ledger's spent row never reached {nanodollars}")


def test_notices():
    table = ledger_table("notices")
    usd = 0.002  # the 80 % mark (1600000) is reached by the 34th query (1621256)
    try:
        with proxy(6807, table, usd) as a, proxy(6808, table, usd) as b:
            with h.Conn(a.port) as c:
                told = threshold_notices(c, 34)
                check_eq(len(told), 1, "80 % NOTICEs on the proxy the user crossed it on")
                check_eq(told[0].get("S"), "NOTICE", "threshold notice severity")
            # b reads the spend from the ledger once a has settled it: b knows 80 % is reached.
            wait_for_spent(table, 34 * COST)
            with h.Conn(b.port) as c:
                check_eq(threshold_notices(c, 2), [], "80 % NOTICEs on the other proxy, told already")
                r = c.query("SHOW blueshift.spend")
                check(not r.errors and float(r.rows[0][6].split()[0]) >= 0.8 * usd,
                      f"the other proxy knows 80 % is spent: {r.rows}")
            with h.Conn(a.port) as c:
                check_eq(threshold_notices(c, 1), [], "80 % NOTICEs on the first proxy again")
        check_eq([holder for _, holder in notice_rows(table)], ["notice 80% analyst"], "the ledger's notice rows")
        # A new period: today's rows become yesterday's, as they are when the day turns.
        with h.Conn(h.dev_port(), "etl") as c:
            check(not c.query(f'UPDATE "{table[0]}"."{table[1]}" SET period_start = period_start - 1').errors,
                  "moving the ledger to yesterday")
        with proxy(6807, table, usd) as a, h.Conn(a.port) as c:
            check_eq(len(threshold_notices(c, 34)), 1, "80 % NOTICEs in the next period")
        check_eq(len(notice_rows(table)), 2, "notice rows: yesterday's and today's")
    finally:
        drop_ledger(table)


def extended(conn, name, sql):
    """Parse/Bind/Execute/Sync of sql; the messages up to ReadyForQuery."""
    conn.send(h.parse_msg(name, sql) + h.bind_msg("", name, ()) + h.execute_msg() + h.sync_msg())
    return conn.read_until_ready()


def test_sql_execute():
    table = ledger_table("sql_execute")
    listener = Listener()
    try:
        # Four queries fit in $0.0002 (190736); a fifth does not.
        with proxy(6809, table, 0.0002) as p, h.Conn(p.port) as c:
            for name, sql in (("q", QUERY), ("m", MARKED)):
                check(not c.query(f"PREPARE {name} AS {sql}").errors, f"PREPARE {name}")
            for i in range(3):
                r = c.query("EXECUTE q")
                check(not r.errors, f"EXECUTE {i + 1} within the budget: {r.errors}")
            # The extended protocol: a Parse'd "EXECUTE q" is charged at its Execute.
            r = extended(c, "e", "EXECUTE q")
            check(not r.errors, f"the 4th EXECUTE (extended) within the budget: {r.errors}")
            r = extended(c, "x", "EXECUTE m")
            check_eq([e.get("C") for e in r.errors], ["53400"], "the extended EXECUTE past the budget")
            check(not listener.heard(), "the refused extended EXECUTE ran on the warehouse")
            r = c.query("EXECUTE m")
            check_eq(r.codes, "EZ", "the EXECUTE past the budget: messages")
            check_eq(r.error.get("C"), "53400", "SQLSTATE of the EXECUTE's budget refusal")
            check(not listener.heard(), "the refused EXECUTE ran on the warehouse")
            check_eq(c.query("EXECUTE q; EXECUTE q").error.get("C"), "53400", "two EXECUTEs in one text")
        check_eq(ledger_spent(table), (4 * COST, 0), "ledger: the four EXECUTEs that ran")
    finally:
        listener.close()
        drop_ledger(table)


# etl may read spectrum_schema but not create in it: the ledger cannot be made there.
UNWRITABLE = ("spectrum_schema", "budget_ledger")


def test_closed():
    listener = Listener()
    try:
        with proxy(6804, UNWRITABLE, 1) as p, h.Conn(p.port) as c:
            for _ in range(2):  # the second is decided without waiting again
                r = c.query(MARKED)
                check_eq(r.codes, "EZ", "fail closed: messages")
                check_eq(r.error.get("C"), "55000", "fail closed SQLSTATE")
                check("ledger cannot be reached" in r.error["M"], f"message: {r.error}")
                check("Retry" in r.error.get("H", ""), f"hint: {r.error}")
            check(not listener.heard(), "a query refused for the ledger ran on the warehouse")
            check(not c.query("SELECT 1").errors, "ungoverned statements still run")
    finally:
        listener.close()


def test_open():
    with proxy(6805, UNWRITABLE, 1, extra="    on_ledger_error: fail_open\n") as p, h.Conn(p.port) as c:
        r = c.query(QUERY)
        check(not r.errors, f"fail open runs the query: {r.errors}")
        check_eq(len(r.rows), 1, "rows")
        deadline = time.monotonic() + 5
        while "fail open" not in p.log_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        check("fail open" in p.log_text(), "the log says the query ran without a lease")


TESTS = {"enforce": test_enforce, "warn": test_warn, "shared": test_shared, "notices": test_notices,
         "sql_execute": test_sql_execute, "closed": test_closed, "open": test_open}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

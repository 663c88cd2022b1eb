#!/usr/bin/env python3
"""Policy end-to-end tests with a raw v3 client: the exact bytes the proxy answers with.

Each test starts its own blueshift (harness.Proxy, policies.test.yaml) on a port of its
own, talks to it as analyst or etl, and compares every row it gets with the same query run
directly on the dev warehouse. Usage: raw_tests.py [test ...] (default: all).

  simple        refusal fields (42501, message, DETAIL, HINT); session usable afterwards
  transaction   refusal inside BEGIN: 25P02 afterwards, ReadyForQuery 'T' -> 'E' -> 'I'
  extended      Parse/Bind/Execute/Sync refusals, discard until Sync, pipelines, $n at Bind
  binary_params Bind values in binary with declared parameter types (JDBC's setInt)
  exempt_warn   etl exempt; SELECT * warning; DELETE/DDL on public refused for analyst only
  audit         one JSON audit line per non-pass decision, with the documented fields
  reload        SIGHUP re-reads the policies (enforce -> warn -> invalid -> enforce; an
                exempt session brought into scope)
  fail_closed   unparsable text naming a governed table is refused, not forwarded
  session       the proxy's own settings (SET/SHOW blueshift.*) in both protocols; a failed
                block is no way around the checks (ROLLBACK; <scan> in one Query, or in one
                extended batch); FunctionCall refused; the proxy's protocol names reserved
  group_lookup  a brand-new user's group lookup (libpq, slowed down by a relay) runs off the
                I/O thread: another session on the same thread is not stalled (measured)
  evasion       search_path changes the proxy cannot see; statements bound with values the
                proxy never checked (SQL PREPARE/EXECUTE, a named statement replaced
                only in the proxy's view)
  malformed     a truncated or over-long Bind/Parse of a governed statement gets the ERROR
                08P01 the warehouse gives for it, runs nothing, and the session goes on
"""

from __future__ import annotations

import struct
import sys
import time

import harness as h
from harness import check, check_eq

SALES = "spectrum_schema.sales"
FILTERED = "select count(*), sum(amount) from spectrum_schema.sales where year = 2024 and month = 3"
UNFILTERED = "select count(*) from spectrum_schema.sales"

PORTS = {
    "simple": 6701, "transaction": 6702, "extended": 6703, "binary_params": 6704, "exempt_warn": 6707,
    "audit": 6708, "reload": 6709, "fail_closed": 6710, "evasion": 6711,
    "session": 6712, "group_lookup": 6713, "malformed": 6739,
}


def direct(user, sql):
    with h.Conn(h.dev_port(), user) as c:
        return c.query(sql)


def same_as_direct(conn, sql, what=None, notices=0):
    """Runs sql through the proxy on conn and directly as the same user: same rows, same
    tags, no error. Returns the proxied Result."""
    what = what or sql
    want = direct(conn.user, sql)
    check(not want.errors, f"{what}: fails directly too: {want.errors}")
    got = conn.query(sql)
    check(not got.errors, f"{what}: refused or failed through the proxy: {got.errors}")
    check_eq(got.rows, want.rows, f"{what}: rows through the proxy vs direct")
    check_eq(got.tags, want.tags, f"{what}: command tags")
    check_eq(len(got.notices) - len(want.notices), notices, f"{what}: extra notices through the proxy")
    return got


def refusal_of(result, rule, what, table=SALES):
    """A refused simple Query: exactly ErrorResponse + ReadyForQuery, nothing else."""
    check_eq(result.codes, "EZ", f"{what}: messages of a refused query")
    return h.check_refusal(result.error, rule, table, what)


# ------------------------------------------------------------------ simple

def test_simple():
    with h.Proxy(PORTS["simple"]) as p, h.Conn(p.port, "analyst") as c:
        # Year bounded, month not: the README's own example, field by field.
        r = c.query("select count(*) from spectrum_schema.sales where year = 2024")
        f = refusal_of(r, h.RULE_FILTER, "year only")
        check_eq(f["M"], f'blueshift: query on spectrum_schema.sales refused by rule "{h.RULE_FILTER}" '
                         "(require_partition_filter)", "message")
        check_eq(f["D"], "year is bounded (year = 2024), month is not; 12 partitions match", "DETAIL")
        check("year = ... AND month = ..." in f.get("H", "") and "year, month" in f.get("H", ""),
              f"HINT does not say how to fix: {f.get('H')!r}")
        check_eq(r.status, "I", "ReadyForQuery after a refusal outside a transaction")
        # The session is usable, and the next query returns what it returns directly.
        same_as_direct(c, FILTERED)

        # Nothing bounded: both enforce rules broke; the second is an "also:" line.
        r = c.query(UNFILTERED)
        f = refusal_of(r, h.RULE_FILTER, "unfiltered")
        check(f["D"].startswith("year is not bounded, month is not; 36 partitions match"), f"DETAIL {f['D']!r}")
        check(f'also: blueshift: query on spectrum_schema.sales refused by rule "{h.RULE_MAX}"' in f["D"],
              f"DETAIL lacks the also: line of {h.RULE_MAX}: {f['D']!r}")
        check("36 partitions match, the limit is 12" in f["D"], f"DETAIL {f['D']!r}")

        # Bounded, but too many partitions: only max_partitions.
        r = c.query("select count(*) from spectrum_schema.sales where year in (2023, 2024) and month between 1 and 7")
        f = refusal_of(r, h.RULE_MAX, "14 partitions")
        check("14 partitions match, the limit is 12" in f["D"], f"DETAIL {f['D']!r}")
        check(h.RULE_FILTER not in f["M"] + f["D"], f"{h.RULE_FILTER} must not fire on a bounded scan: {f}")

        # Exactly at the limit passes and matches direct.
        same_as_direct(c, "select count(*), sum(amount) from spectrum_schema.sales where year = 2023 "
                          "and month between 1 and 12")
        # A Query that arrives a byte at a time is decided on the whole message.
        for b in h.query_msg(UNFILTERED):
            c.send(bytes([b]))
            time.sleep(0.001)
        refusal_of(c.read_until_ready(), h.RULE_FILTER, "query sent byte by byte")
        # Texts larger than the proxy's streaming threshold (64 KiB) are inspected whole too.
        pad = " /*" + "x" * 100_000 + "*/"
        refusal_of(c.query(UNFILTERED + pad), h.RULE_FILTER, "100 KB unfiltered query")
        same_as_direct(c, FILTERED + pad, "100 KB filtered query")
        # Many refusals in a row leave nothing behind on the wire.
        for i in range(20):
            refusal_of(c.query(f"select count(*) + {i} from spectrum_schema.sales"), h.RULE_FILTER, f"loop {i}")
        check(c.nothing_pending(), "stray bytes after the refusals")
        same_as_direct(c, "select count(*) from spectrum_schema.sales where year = 2022 and month = 12")


# ------------------------------------------------------------------ transaction

def status_trace(conn, statements):
    out = []
    for sql in statements:
        r = conn.query(sql)
        out.append((r.error["C"] if r.error else r.tags[-1] if r.tags else "", r.status))
    return out


def test_transaction():
    with h.Proxy(PORTS["transaction"]) as p, h.Conn(p.port, "analyst") as c:
        check_eq(c.query("begin").status, "T", "ReadyForQuery after BEGIN")
        r = same_as_direct(c, FILTERED)
        check_eq(r.status, "T", "ReadyForQuery after a compliant query in a block")
        r = c.query(UNFILTERED)
        refusal_of(r, h.RULE_FILTER, "refusal inside BEGIN")
        check_eq(r.messages[-1], ("Z", b"E"), "ReadyForQuery bytes after a refusal in a block")
        r = c.query("select 1")
        check_eq(r.error and r.error["C"], "25P02", "next statement in the failed block")
        check("current transaction is aborted" in r.error["M"], f"25P02 message: {r.error['M']!r}")
        check_eq(r.messages[-1], ("Z", b"E"), "ReadyForQuery after 25P02")
        r = c.query("rollback")
        check_eq((r.tags, r.messages[-1]), (["ROLLBACK"], ("Z", b"I")), "ROLLBACK of the failed block")
        same_as_direct(c, FILTERED, "compliant query after ROLLBACK")

        # Differential: the same statuses as PostgreSQL gives for a statement that fails
        # there (division by zero instead of the refused scan), COMMIT turning into ROLLBACK.
        seq = ["begin", FILTERED, "@", "select 1", "commit", "select 1"]
        with h.Conn(h.dev_port(), "analyst") as d:
            want = status_trace(d, [s.replace("@", "select 1/0") for s in seq])
        got = status_trace(c, [s.replace("@", UNFILTERED) for s in seq])
        want[2] = ("42501", want[2][1])  # the only difference: which error
        check_eq(got, want, "SQLSTATE/ReadyForQuery trace vs direct")
        check_eq(got[4], ("ROLLBACK", "I"), "COMMIT of a failed block")

        # Savepoints: ROLLBACK TO recovers from a refusal as from any error.
        got = status_trace(c, ["begin", "savepoint a", UNFILTERED, "rollback to savepoint a", FILTERED, "commit"])
        check_eq([s for _, s in got], ["T", "T", "E", "T", "T", "I"], f"savepoint trace {got}")

        # Extended protocol inside a block: the refusal fails the block too.
        c.query("begin")
        c.send(h.parse_msg("", UNFILTERED) + h.bind_msg("", "") + h.execute_msg() + h.sync_msg())
        r = c.read_until_ready()
        check_eq(r.codes, "EZ", "extended refusal in a block")
        check_eq(r.status, "E", "ReadyForQuery after an extended refusal in a block")
        c.send(h.parse_msg("", "select 1") + h.bind_msg("", "") + h.execute_msg() + h.sync_msg())
        r = c.read_until_ready()
        check_eq((r.error and r.error["C"], r.status), ("25P02", "E"), "extended statement in the failed block")
        check_eq(c.query("rollback").status, "I", "ROLLBACK")

        # A multi-statement text is one implicit transaction: a refusal runs none of it.
        c.query("create temp table side (n int)")
        refusal_of(c.query("insert into side values (1); " + UNFILTERED), h.RULE_FILTER, "insert; refused")
        refusal_of(c.query(UNFILTERED + "; insert into side values (2)"), h.RULE_FILTER, "refused; insert")
        check_eq(c.query("select count(*) from side").rows, [("0",)], "rows the refused texts inserted")
        check(c.nothing_pending(), "stray bytes")


# ------------------------------------------------------------------ extended

def run_batch(conn, *messages, quiet=0.1):
    """Sends the messages in one write; the reply up to ReadyForQuery, checking that
    nothing else arrives within `quiet` seconds."""
    conn.send(b"".join(messages))
    r = conn.read_until_ready()
    check(conn.nothing_pending(quiet), f"bytes after ReadyForQuery: {conn.buf[:60]!r}")
    return r


def pbde(sql, params=(), name="", formats=(), types=()):
    return [h.parse_msg(name, sql, types), h.bind_msg("", name, params, formats), h.describe_msg("P", ""),
            h.execute_msg()]


def direct_rows(user, sql, params=()):
    with h.Conn(h.dev_port(), user) as d:
        r = run_batch(d, *pbde(sql, params), h.sync_msg(), quiet=0.02)
    check(not r.errors, f"direct run of {sql} {params} failed: {r.errors}")
    return r.rows


def test_extended():
    with h.Proxy(PORTS["extended"]) as p, h.Conn(p.port, "analyst") as c:
        # A refused Parse: ErrorResponse and ReadyForQuery, nothing for Bind/Describe/Execute.
        r = run_batch(c, *pbde(UNFILTERED), h.sync_msg())
        check_eq(r.codes, "EZ", "refused Parse/Bind/Describe/Execute/Sync")
        h.check_refusal(r.error, h.RULE_FILTER, SALES, "refused Parse")
        check_eq(r.status, "I", "ReadyForQuery")

        # Everything after the refusal up to Sync is discarded, compliant or not.
        r = run_batch(c, *pbde(UNFILTERED), *pbde(FILTERED), h.describe_msg("S", ""), h.sync_msg())
        check_eq(r.codes, "EZ", "messages after a refusal in the same batch")

        # Compliant, then refused, in one batch: the first one's results, then the refusal.
        want = direct_rows("analyst", FILTERED)
        r = run_batch(c, *pbde(FILTERED), *pbde(UNFILTERED), *pbde(FILTERED), h.sync_msg())
        check_eq(r.codes, "12TDCEZ", "compliant then refused")
        check_eq(r.rows, want, "rows of the compliant statement")
        h.check_refusal(r.error, h.RULE_FILTER, SALES, "second statement")

        # A real error first: the server skips the rest, the client sees only that error.
        # The reply is what the server gives directly with a compliant second statement.
        r = run_batch(c, *pbde("select 1/0"), *pbde(UNFILTERED), h.sync_msg())
        with h.Conn(h.dev_port(), "analyst") as d:
            plain = run_batch(d, *pbde("select 1/0"), *pbde(FILTERED), h.sync_msg(), quiet=0.02)
        check_eq(r.codes, plain.codes, "failing then refused, vs failing then compliant direct")
        check_eq(r.error["C"], "22012", "the server's own error comes through")
        check_eq(len(r.errors), 1, "errors in the batch")
        check("E" in r.codes and r.codes.endswith("EZ"), f"codes {r.codes}")

        # Several Syncs in one write: each batch answered on its own, in order.
        c.send(b"".join([*pbde(UNFILTERED), h.sync_msg(), *pbde(FILTERED), h.sync_msg(), *pbde(UNFILTERED),
                         h.sync_msg()]))
        a, b, d = c.read_until_ready(), c.read_until_ready(), c.read_until_ready()
        check_eq((a.codes, b.codes, d.codes), ("EZ", "12TDCZ", "EZ"), "three pipelined batches")
        check_eq(b.rows, want, "rows of the middle batch")

        # A warn-mode rule in the extended protocol: the rows, then the WARNING before
        # ReadyForQuery; with a refused statement after it, the refusal as well.
        star = "select * from spectrum_schema.sales where year = 2024 and month = 3 order by sale_id limit 3"
        r = run_batch(c, *pbde(star), h.sync_msg())
        check_eq(r.codes, "12TDDDCNZ", "SELECT * in the extended protocol")
        h.check_warning(r.notices[0], h.RULE_STAR, "extended SELECT *")
        check_eq(r.rows, direct_rows("analyst", star), "SELECT * rows vs direct")
        r = run_batch(c, *pbde(star), *pbde(UNFILTERED), h.sync_msg())
        check_eq(r.codes, "12TDDDCENZ", "SELECT * then refused")
        h.check_refusal(r.error, h.RULE_FILTER, SALES, "refused after SELECT *")

        # Flush instead of Sync: the refusal arrives without waiting for Sync.
        c.send(b"".join([*pbde(UNFILTERED), h.flush_msg()]))
        code, body = c.read_msg()
        check_eq(code, "E", "reply to a refused Parse + Flush")
        h.check_refusal(h.error_fields(body), h.RULE_FILTER, SALES, "refusal on Flush")
        check(c.nothing_pending(0.3), "bytes before the Sync")
        r = run_batch(c, *pbde(FILTERED), h.sync_msg())
        check_eq(r.codes, "Z", "messages after the refusal, before Sync, are discarded")

        # A refused named statement never existed upstream: binding it later is the
        # server's 26000, as after a Parse that failed there.
        r = run_batch(c, h.parse_msg("refused", UNFILTERED), h.sync_msg())
        check_eq(r.codes, "EZ", "refused named Parse")
        r = run_batch(c, h.bind_msg("", "refused"), h.execute_msg(), h.sync_msg())
        check_eq((r.codes, r.error["C"]), ("EZ", "26000"), "Bind of the refused statement")
        check("blueshift" not in r.error["M"], f"the server's own error, not a refusal: {r.error}")

        # $n placeholders: decided at Bind, with the values.
        both = "select count(*), sum(amount) from spectrum_schema.sales where year = $1 and month = $2"
        r = run_batch(c, h.parse_msg("both", both), h.describe_msg("S", "both"), h.sync_msg())
        check_eq(r.codes, "1tTZ", "Parse/Describe of a statement with $1, $2")
        for params in (("2024", "3"), ("2023", "11"), ("2022", "1")):
            r = run_batch(c, h.bind_msg("", "both", params), h.execute_msg(), h.sync_msg())
            check_eq(r.codes, "2DCZ", f"Bind {params}")
            check_eq(r.rows, direct_rows("analyst", both, params), f"rows for {params} vs direct")

        year_only = "select count(*) from spectrum_schema.sales where year = $1"
        # No value can bound month: refused at Parse already (no ParseComplete).
        r = run_batch(c, *pbde(year_only, ("2024",), name="year_only"), h.sync_msg())
        check_eq(r.codes, "EZ", "year = $1 only")
        f = h.check_refusal(r.error, h.RULE_FILTER, SALES, "year = $1")
        check("month is not" in f["D"], f"DETAIL {f['D']!r}")
        check("year is bounded (year = $1)" in f["D"], f"DETAIL {f['D']!r}")

        # max_partitions at Bind: the same text passes or not depending on the values.
        wide = "select count(*), sum(amount) from spectrum_schema.sales where year between $1 and $2"
        r = run_batch(c, h.parse_msg("wide", wide + " and month = 1"), h.sync_msg())
        check_eq(r.codes, "1Z", "Parse of year between $1 and $2 and month = 1")
        r = run_batch(c, h.bind_msg("", "wide", ("2022", "2024")), h.execute_msg(), h.sync_msg())
        check_eq(r.codes, "2DCZ", "3 partitions")
        check_eq(r.rows, direct_rows("analyst", wide + " and month = 1", ("2022", "2024")), "rows vs direct")
        allmonths = wide + " and month between 1 and 12"
        r = run_batch(c, h.parse_msg("all", allmonths), h.sync_msg())
        check_eq(r.codes, "1Z", "Parse of year between $1 and $2 and month between 1 and 12")
        r = run_batch(c, h.bind_msg("", "all", ("2023", "2024")), h.execute_msg(), h.sync_msg())
        check_eq(r.codes, "EZ", "24 partitions")
        f = h.check_refusal(r.error, h.RULE_MAX, SALES, "24 partitions at Bind")
        check("24 partitions match, the limit is 12" in f["D"], f"DETAIL {f['D']!r}")
        r = run_batch(c, h.bind_msg("", "all", ("2024", "2024")), h.execute_msg(), h.sync_msg())
        check_eq(r.codes, "2DCZ", "12 partitions")
        check_eq(r.rows, direct_rows("analyst", allmonths, ("2024", "2024")), "rows vs direct")

        # A NULL value bounds nothing real (year = NULL matches no partition): not refused.
        r = run_batch(c, h.bind_msg("", "both", (None, "3")), h.execute_msg(), h.sync_msg())
        check_eq((r.codes, r.rows), ("2DCZ", [("0", None)]), "year = NULL")

        # Close of a deferred statement, then a Parse of the same name with a plain text.
        r = run_batch(c, h.close_msg("S", "year_only"), h.parse_msg("year_only", "select 1"),
                      h.bind_msg("", "year_only"), h.execute_msg(), h.sync_msg())
        check_eq((r.codes, r.rows), ("312DCZ", [("1",)]), "re-Parse after Close")
        check(c.nothing_pending(), "stray bytes")


def test_binary_params():
    """JDBC's setInt and psycopg's binary dumpers send int4 in binary, with the type in
    Parse. The proxy must read them: otherwise max_partitions counts every partition."""
    with h.Proxy(PORTS["binary_params"]) as p, h.Conn(p.port, "analyst") as c:
        both = "select count(*), sum(amount) from spectrum_schema.sales where year = $1 and month = $2"
        i4 = lambda v: struct.pack("!i", v)  # noqa: E731
        r = run_batch(c, h.parse_msg("b", both, (23, 23)), h.bind_msg("", "b", (i4(2024), i4(3)), (1,)),
                      h.execute_msg(), h.sync_msg())
        check(not r.errors, f"year = $1 and month = $2 with binary int4 2024, 3 refused: {r.errors}")
        check_eq(r.rows, direct_rows("analyst", both, ("2024", "3")), "rows vs direct")
        # int2 (psycopg's choice for small Python ints), int8, and text in binary.
        i2 = lambda v: struct.pack("!h", v)  # noqa: E731
        i8 = lambda v: struct.pack("!q", v)  # noqa: E731
        for name, types, values in (("b2", (21, 21), (i2(2022), i2(5))), ("b8", (20, 20), (i8(2023), i8(7))),
                                    ("bt", (25, 25), (b"2024", b"11"))):
            sql = both if name != "bt" else both.replace("$1", "$1::int").replace("$2", "$2::int")
            r = run_batch(c, h.parse_msg(name, sql, types), h.bind_msg("", name, values, (1,)), h.execute_msg(),
                          h.sync_msg())
            check(not r.errors, f"binary parameters of types {types} refused: {r.errors}")
            check_eq(r.rows, direct_rows("analyst", sql, tuple(str(struct.unpack("!h" if len(v) == 2 else "!q", v)[0])
                                                           if name != "bt" else v.decode() for v in values)),
                     f"rows for binary {types} vs direct")
        # And a binary value that breaks the limit is still refused.
        rng = "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12"
        r = run_batch(c, h.parse_msg("r", rng, (23, 23)), h.bind_msg("", "r", (i4(2022), i4(2024)), (1,)),
                      h.execute_msg(), h.sync_msg())
        check_eq(r.codes, "1EZ", "binary 2022..2024 x 12 months")
        h.check_refusal(r.error, h.RULE_MAX, SALES, "36 partitions in binary")


# ------------------------------------------------------------------ exempt, warn, deny

def test_exempt_warn():
    with h.Proxy(PORTS["exempt_warn"]) as p:
        with h.Conn(p.port, "etl") as c:
            r = same_as_direct(c, "select count(*), sum(amount), min(sale_date), max(sale_date) from spectrum_schema.sales")
            check_eq(r.rows, direct("analyst", "select count(*), sum(amount), min(sale_date), max(sale_date) "
                                    "from spectrum_schema.sales").rows, "etl's scan vs analyst's direct")
            same_as_direct(c, "select * from spectrum_schema.sales where year = 2024 and month = 3 order by sale_id")
            # etl may delete (inside a transaction that is rolled back, so the data stays).
            before = direct("etl", "select count(*) from public.sales_fact").rows
            c.query("begin")
            r = c.query("delete from public.sales_fact")
            check(not r.errors, f"etl DELETE refused: {r.errors}")
            check_eq(r.tags, [f"DELETE {before[0][0]}"], "etl DELETE tag")
            check_eq(c.query("rollback").status, "I", "ROLLBACK")
            check_eq(direct("etl", "select count(*) from public.sales_fact").rows, before, "rows after ROLLBACK")
            check(len(p.audit_lines()) == 0, f"etl's work was audited: {p.audit_lines()}")

        with h.Conn(p.port, "analyst") as c:
            # SELECT * over the lake: a WARNING (01000) before ReadyForQuery, and the rows.
            star = "select * from spectrum_schema.sales where year = 2024 and month = 3 order by sale_id"
            r = same_as_direct(c, star, notices=1)
            check_eq(len(r.rows), int(direct("analyst", FILTERED).rows[0][0]), "rows of SELECT *")
            h.check_warning(r.notices[0], h.RULE_STAR, "SELECT *")
            check("SELECT *" in r.notices[0].get("D", ""), f"warning DETAIL {r.notices[0]}")
            check(r.codes.endswith("NZ") or r.codes.startswith("N"), f"notice placement {r.codes}")
            r = same_as_direct(c, "select s.* from spectrum_schema.sales s where s.year = 2023 and s.month = 1 "
                                  "order by 1", notices=1)
            h.check_warning(r.notices[0], h.RULE_STAR, "alias.*")
            same_as_direct(c, "select * from public.customers order by 1 limit 5")  # not governed: no notice

            # DELETE on public: the proxy refuses (not the server's permission error).
            before = direct("etl", "select count(*) from public.sales_fact").rows
            c.query("begin")
            r = c.query("delete from public.sales_fact")
            f = refusal_of(r, h.RULE_DENY, "analyst DELETE", table="public.sales_fact")
            check(f["M"].startswith("blueshift: DELETE on public.sales_fact"), f"message {f['M']!r}")
            check_eq(r.status, "E", "ReadyForQuery in the block")
            c.query("rollback")
            for sql in ("drop table public.sales_fact", "truncate public.sales_fact",
                        "alter table public.sales_fact add column x int", "create table public.t (a int)",
                        "grant select on public.sales_fact to legacy",
                        "delete from sales_fact where sale_id < 0"):
                refusal_of(c.query(sql), h.RULE_DENY, sql, table="")
            check_eq(direct("etl", "select count(*) from public.sales_fact").rows, before, "sales_fact untouched")
            # Kinds the rule does not list reach the server, which has its own say.
            r = c.query("insert into public.customers (customer_id, name) values (-1, 'x')")
            check_eq(r.error and r.error["C"], "42501", "INSERT as analyst (server permission)")
            check("blueshift" not in r.error["M"] and "permission denied" in r.error["M"],
                  f"the server's error, not a refusal: {r.error}")
            # DDL outside public (a temp table) is not the rule's business.
            r = c.query("create temp table t1 as select sale_id, amount from spectrum_schema.sales "
                        "where year = 2024 and month = 3")
            check(not r.errors, f"CREATE TEMP TABLE AS refused: {r.errors}")
            check_eq(c.query("select count(*), sum(amount) from t1").rows, direct("analyst", FILTERED).rows,
                     "temp table contents vs direct")


# ------------------------------------------------------------------ audit

def wait_audit(proxy, n):
    """The audit lines of decisions (not the "passed" lines of allowed scans, which
    dry_run_tests.py checks), once there are n."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in proxy.audit_lines() if line["outcome"] != "passed"]
        if len(lines) >= n or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_audit():
    with h.Proxy(PORTS["audit"]) as p:
        with h.Conn(p.port, "analyst", application_name="audit-e2e") as c:
            expected = []  # (outcome, rule, mode, tables)
            c.query(FILTERED)  # pass: a "passed" line with the estimate only
            refusal_of(c.query("select count(*) from spectrum_schema.sales where year = 2024"), h.RULE_FILTER, "r1")
            expected.append(("refused", h.RULE_FILTER, "enforce", [SALES]))
            r = c.query("select * from spectrum_schema.sales where year = 2024 and month = 1")
            check_eq(len(r.notices), 1, "SELECT * notice")
            expected.append(("warned", h.RULE_STAR, "warn", [SALES]))
            r = c.query("select count(*) from spectrum_schema.sales where year = 2024 and month between 1 and 6")
            check(not r.errors and not r.notices, f"6 partitions is only audited: {r}")
            expected.append(("audited", h.RULE_AUDIT, "audit", [SALES]))
            refusal_of(c.query("delete from public.sales_fact"), h.RULE_DENY, "delete", table="public.sales_fact")
            expected.append(("refused", h.RULE_DENY, "enforce", ["public.sales_fact"]))
            c.send(b"".join(pbde("select count(*) from spectrum_schema.sales where year = $1", ("2023",))) +
                   h.sync_msg())
            check_eq(c.read_until_ready().codes, "EZ", "Parse refusal")
            expected.append(("refused", h.RULE_FILTER, "enforce", [SALES]))
            c.send(b"".join(pbde("select count(*) from spectrum_schema.sales where year between $1 and $2 "
                                 "and month between 1 and 12", ("2022", "2024"))) + h.sync_msg())
            check_eq(c.read_until_ready().codes, "1EZ", "Bind refusal")
            expected.append(("refused", h.RULE_MAX, "enforce", [SALES]))
            c.query("select 1")  # no governed table: no line
        with h.Conn(p.port, "etl") as c:
            c.query(UNFILTERED)  # exempt: no line

        lines = wait_audit(p, len(expected))
        check_eq(len(lines), len(expected), f"audit lines ({lines})")
        for n, (line, (outcome, rule, mode, tables)) in enumerate(zip(lines, expected)):
            what = f"audit line {n + 1}"
            for key in ("time", "user", "application_name", "client_address", "database", "fingerprint", "tables",
                        "rule", "rule_type", "mode", "message", "detail", "outcome", "findings"):
                check(key in line, f"{what}: no {key!r}: {line}")
            check_eq((line["user"], line["database"], line["application_name"], line["client_address"]),
                     ("analyst", "dev", "audit-e2e", "127.0.0.1"), f"{what}: session fields")
            check_eq((line["outcome"], line["rule"], line["mode"], line["tables"]), (outcome, rule, mode, tables),
                     f"{what}: decision fields")
            check(line["time"].endswith("Z") and line["time"][:2] == "20", f"{what}: time {line['time']!r}")
            check(isinstance(line["findings"], list) and line["findings"], f"{what}: findings {line['findings']}")
            check(any(fd.get("rule") == rule and fd.get("mode") == mode for fd in line["findings"]),
                  f"{what}: no finding for {rule}: {line['findings']}")
            for fd in line["findings"]:
                for key in ("rule", "rule_type", "mode", "table", "statement", "detail"):
                    check(key in fd, f"{what}: finding without {key!r}: {fd}")
        # The first line's decision: the README's example fields, values included.
        first = lines[0]
        check_eq(first["rule_type"], "require_partition_filter", "rule_type")
        check_eq(first["detail"], "year is bounded (year = 2024), month is not; 12 partitions match", "detail")
        check(first["message"].startswith("blueshift: query on spectrum_schema.sales refused by rule"),
              f"message {first['message']!r}")
        check(len(first["fingerprint"]) == 16 and all(ch in "0123456789abcdef" for ch in first["fingerprint"]),
              f"fingerprint {first['fingerprint']!r}")
        # The audit rule is also recorded as a finding beside the refusal (12 > 3).
        check(any(fd["rule"] == h.RULE_AUDIT for fd in first["findings"]), f"findings {first['findings']}")
        # The fingerprint is the shape, not the text: other constants, same fingerprint.
        with h.Conn(p.port, "analyst") as c:
            c.query("select count(*) from spectrum_schema.sales where year = 2022")
        lines = wait_audit(p, len(expected) + 1)
        check_eq(lines[-1]["fingerprint"], first["fingerprint"], "fingerprint of the same shape")
        check(lines[-1]["fingerprint"] != lines[3]["fingerprint"], "different shapes, same fingerprint")


# ------------------------------------------------------------------ reload

def test_reload():
    year_only = "select count(*), sum(amount) from spectrum_schema.sales where year = 2024"
    enforce = f"mode: enforce  # {h.RULE_FILTER}"
    with h.Proxy(PORTS["reload"]) as p, h.Conn(p.port, "analyst") as early:
        refusal_of(early.query(year_only), h.RULE_FILTER, "before reload")

        p.write_config({enforce: f"mode: warn  # {h.RULE_FILTER}"})
        p.reload()
        with h.Conn(p.port, "analyst") as c:
            r = same_as_direct(c, year_only, "after the switch to warn", notices=1)
            h.check_warning(r.notices[0], h.RULE_FILTER, "warn after reload")
            check_eq(r.notices[0].get("D"), "year is bounded (year = 2024), month is not; 12 partitions match",
                     "warning DETAIL")
            check("year = ... AND month = ..." in r.notices[0].get("H", ""), f"warning HINT {r.notices[0]}")
            # max_partitions is still enforced: an unfiltered scan is still refused, by it.
            f = refusal_of(c.query(UNFILTERED), h.RULE_MAX, "unfiltered after the switch")
            check(h.RULE_FILTER not in f["M"], f"refused by the warn rule: {f}")
        # A session open before the reload follows the new policies too.
        r = same_as_direct(early, year_only, "session opened before the reload", notices=1)

        # Both partition rules in warn mode: the unfiltered scan runs, with one WARNING
        # naming the first rule and the other on an also: line.
        p.write_config({enforce: f"mode: warn  # {h.RULE_FILTER}",
                        f"mode: enforce  # {h.RULE_MAX}": f"mode: warn  # {h.RULE_MAX}"})
        p.reload()
        r = same_as_direct(early, UNFILTERED, "unfiltered with both rules in warn mode", notices=1)
        h.check_warning(r.notices[0], h.RULE_FILTER, "unfiltered, warn")
        check(f'"{h.RULE_MAX}"' in r.notices[0].get("D", ""), f"no also: line for {h.RULE_MAX}: {r.notices[0]}")

        # An invalid file is rejected whole: the previous (warn) policies stay.
        p.write_config({enforce: f"mode: enforec  # {h.RULE_FILTER}"})
        p.reload(expect_log="reload failed")
        check("enforec" in p.log_text(), "the reload error does not quote the bad value")
        same_as_direct(early, year_only, "after an invalid reload", notices=1)
        check(p.proc.poll() is None, "proxy exited on an invalid reload")

        # And back to enforce.
        p.write_config()
        p.reload()
        refusal_of(early.query(year_only), h.RULE_FILTER, "after the switch back to enforce")

        # A session no rule covers, whose texts pass unanalysed, is governed from its next
        # statement once a reload puts it in a rule's scope (the governor's per-session
        # note of what to look for is remade for the new policies).
        with h.Conn(p.port, "etl") as etl:
            same_as_direct(etl, UNFILTERED, "etl before the reload")
            tail = f"\n      mode: enforce  # {h.RULE_FILTER}"
            p.write_config({"scope: {groups: [analysts]}\n      exempt: {users: [etl]}" + tail: "scope: {users: [etl]}" + tail})
            p.reload()
            refusal_of(etl.query(UNFILTERED), h.RULE_FILTER, "etl after a reload that governs it")


# ------------------------------------------------------------------ fail closed

def test_fail_closed():
    bad = "select * from spectrum_schema.sales where year = 2024 and month = 1 qualify 1 ="
    with h.Proxy(PORTS["fail_closed"]) as p:
        with h.Conn(p.port, "analyst") as c:
            f = refusal_of(c.query(bad), h.RULE_FILTER, "unparsable")
            check("could not analyse" in f["M"], f"message does not say it could not be analysed: {f['M']!r}")
            check("syntax error" in f["D"], f"DETAIL does not give the parser's reason: {f['D']!r}")
            # Even when the rest of the text is fine, and in a multi-statement text.
            refusal_of(c.query("select 1; " + bad), h.RULE_FILTER, "unparsable second statement")
            refusal_of(c.query('select count(*) from "spectrum_schema".sales where year = 2024 and and month = 1'),
                       h.RULE_FILTER, "quoted name, unparsable")
            # A schema of the deny_statements rule, unparsable.
            f = refusal_of(c.query("delete from public.sales_fact where ("), h.RULE_DENY, "unparsable DELETE",
                           table="")
            check("could not analyse" in f["M"], f"message {f['M']!r}")
            # Naming the schema of a deny_statements rule is enough, whatever the statement.
            f = refusal_of(c.query("selec 1 from public.customers"), h.RULE_DENY, "unparsable on public", table="")
            check("could not analyse" in f["M"], f"message {f['M']!r}")
            # Extended protocol: the Parse is refused.
            r = run_batch(c, *pbde(bad), h.sync_msg())
            check_eq(r.codes, "EZ", "unparsable Parse")
            check("could not analyse" in r.error["M"], f"message {r.error['M']!r}")
            # Unparsable text naming nothing governed is the server's business: 42601.
            r = c.query("selec 1")
            check_eq((r.codes, r.error["C"]), ("EZ", "42601"), "unparsable, nothing governed")
            check("blueshift" not in r.error["M"], f"server error expected: {r.error}")
            same_as_direct(c, FILTERED, "session usable afterwards")
        with h.Conn(p.port, "etl") as c:
            # etl is exempt from every rule: the server's syntax error.
            r = c.query(bad)
            check_eq((r.codes, r.error["C"]), ("EZ", "42601"), "etl: unparsable")
            check("blueshift" not in r.error["M"], f"server error expected: {r.error}")


# ------------------------------------------------------------------ evasion

def test_evasion():
    """Ways to reach spectrum_schema.sales unfiltered that the proxy must not miss."""
    failures = []

    def expect_refused(conn, sql, what, rule=h.RULE_FILTER):
        r = conn.query(sql)
        if r.codes != "EZ" or not r.error or r.error.get("C") != "42501" or "blueshift" not in r.error.get("M", ""):
            failures.append(f"{what}: {sql!r} was not refused: codes {r.codes}, rows {r.rows}, errors {r.errors}")
        elif f'"{rule}"' not in r.error["M"]:
            failures.append(f"{what}: refused by another rule: {r.error['M']}")

    with h.Proxy(PORTS["evasion"]) as p:
        # The search_path the proxy tracks (SET search_path) must follow the server's.
        with h.Conn(p.port, "analyst") as c:
            c.query("set search_path to spectrum_schema")
            expect_refused(c, "select count(*) from sales", "SET search_path")
        with h.Conn(p.port, "analyst") as c:
            r = c.query("select set_config('search_path', 'spectrum_schema', false)")
            check(not r.errors, f"set_config: {r.errors}")
            expect_refused(c, "select count(*) from sales", "set_config('search_path')")
        with h.Conn(p.port, "analyst", options={"options": "-c search_path=spectrum_schema"}) as c:
            check_eq(c.query("show search_path").rows, [("spectrum_schema",)], "startup options")
            expect_refused(c, "select count(*) from sales", "startup options=-c search_path=")
        with h.Conn(p.port, "analyst", options={"search_path": "spectrum_schema"}) as c:
            expect_refused(c, "select count(*) from sales", "startup parameter search_path")
        with h.Conn(p.port, "analyst", options={"options": "-c SEARCH_PATH=spectrum_schema"}) as c:
            check_eq(c.query("show search_path").rows, [("spectrum_schema",)], "startup options, upper case")
            expect_refused(c, "select count(*) from sales", "startup options=-c SEARCH_PATH=")
        with h.Conn(p.port, "analyst") as c:
            c.query("set search_path to spectrum_schema")
            for sql in ("begin", "set search_path to public", "rollback"):
                c.query(sql)
            check_eq(c.query("show search_path").rows, [("spectrum_schema",)], "server's search_path after ROLLBACK")
            expect_refused(c, "select count(*) from sales", "SET inside a rolled-back block")
        with h.Conn(p.port, "analyst") as c:
            c.query("set search_path to spectrum_schema")
            for sql in ("begin", "set local search_path to public", "commit"):
                c.query(sql)
            check_eq(c.query("show search_path").rows, [("spectrum_schema",)], "server's search_path after COMMIT")
            expect_refused(c, "select count(*) from sales", "SET LOCAL ends with the block")
        # A named statement whose decision waits for Bind must stay checked as long as the
        # server keeps it, whatever the proxy saw afterwards.
        wide = ("select count(*) from spectrum_schema.sales where year between $1 and $2 "
                "and month between 1 and 12")
        values = (h.bind_msg("", "s", ("2022", "2024")), h.execute_msg(), h.sync_msg())
        with h.Conn(p.port, "analyst") as c:
            run_batch(c, h.parse_msg("s", wide), h.sync_msg())
            # A second Parse of the name fails upstream (42P05): the old statement stays.
            r = run_batch(c, h.parse_msg("s", "select 1"), h.sync_msg())
            check_eq(r.error and r.error["C"], "42P05", "Parse of an existing name")
            r = run_batch(c, *values)
            if not r.errors:
                failures.append(f"Bind after a failed re-Parse ran the 36-partition statement: {r.rows}")
        with h.Conn(p.port, "analyst") as c:
            run_batch(c, h.parse_msg("s", wide), h.sync_msg())
            # A re-Parse the server skips (an earlier error in the batch).
            r = run_batch(c, *pbde("select 1/0"), h.parse_msg("s", "select 2"), h.sync_msg())
            check_eq(r.error and r.error["C"], "22012", "batch with an error first")
            r = run_batch(c, *values)
            if not r.errors:
                failures.append(f"Bind after a skipped re-Parse ran the 36-partition statement: {r.rows}")
        with h.Conn(p.port, "analyst") as c:
            # SQL PREPARE names a statement that protocol Bind can use too.
            r = c.query("prepare s(int, int) as " + wide)
            if not r.errors:
                r = run_batch(c, *values)
                if not r.errors:
                    failures.append(f"protocol Bind of an SQL-PREPAREd statement ran 36 partitions: {r.rows}")
        # SQL-level PREPARE/EXECUTE: the values arrive in EXECUTE, not in a Bind.
        with h.Conn(p.port, "analyst") as c:
            r = c.query("prepare wide(int, int) as select count(*) from spectrum_schema.sales "
                        "where year between $1 and $2 and month between 1 and 12")
            if not r.errors:
                expect_refused(c, "execute wide(2022, 2024)", "EXECUTE of a 36-partition PREPARE", rule=h.RULE_MAX)
            r = c.query("prepare yr(int) as select count(*) from spectrum_schema.sales where year = $1 and month = 3")
            check(not r.errors, f"PREPARE with both columns bounded refused: {r.errors}")
            check_eq(c.query("execute yr(2024)").rows, [direct("analyst", FILTERED).rows[0][:1]], "EXECUTE yr(2024)")
    check(not failures, f"{len(failures)} policy bypass(es):\n  " + "\n  ".join(failures))


def reframed(message, edit):
    """message (code, length, body) with its body changed by edit and the length fixed."""
    body = edit(message[5:])
    return message[:1] + struct.pack("!i", len(body) + 4) + body


def test_malformed():
    """PostgreSQL answers a Bind or Parse it cannot read with ERROR 08P01 and skips to Sync;
    the session goes on. Through the proxy the same, in the same words, and nothing of the
    message reaches the warehouse: a malformed Bind with 36 partitions' worth of values never
    runs the governed statement."""
    sql = "select count(*) from spectrum_schema.sales where year between $1 and $2 and month between 1 and 12"
    cases = [
        ("truncated Bind", reframed(h.bind_msg("", "s", ("2022", "2024")), lambda b: b[:-3])),
        ("over-long Bind", reframed(h.bind_msg("", "s", ("2022", "2024")), lambda b: b + b"xy")),
        ("Parse with its parameter types cut", reframed(h.parse_msg("t", sql, (23, 23)), lambda b: b[:-2])),
    ]
    with h.Proxy(PORTS["malformed"]) as p, h.Conn(p.port, "analyst") as c, h.Conn(h.dev_port(), "analyst") as d:
        for conn in (c, d):
            r = run_batch(conn, h.parse_msg("s", sql), h.sync_msg(), quiet=0.02)
            check_eq(r.codes, "1Z", "Parse of the governed statement")
        for what, message in cases:
            want = run_batch(d, message, h.execute_msg(), h.sync_msg(), quiet=0.02)
            got = run_batch(c, message, h.execute_msg(), h.sync_msg())
            check_eq((got.codes, got.status), (want.codes, want.status), f"{what}: replies")
            check_eq(got.error["C"], "08P01", f"{what}: SQLSTATE")
            check_eq(got.error["S"], "ERROR", f"{what}: severity")
            check_eq(got.error["M"].removeprefix("blueshift: "), want.error["M"], f"{what}: message")
            print(f"{what}: {got.error['M']}")
        # The sessions go on, and the statement is still decided at Bind.
        r = run_batch(c, h.bind_msg("", "s", ("2024", "2024")), h.execute_msg(), h.sync_msg())
        check_eq(r.rows, direct_rows("analyst", sql, ("2024", "2024")), "a well-formed Bind afterwards")
        r = run_batch(c, h.bind_msg("", "s", ("2022", "2024")), h.execute_msg(), h.sync_msg())
        check_eq(r.error and r.error["C"], "42501", "the 36-partition Bind afterwards")


def fail_block(conn):
    check_eq(conn.query("begin").status, "T", "BEGIN")
    r = conn.query("select 1/0")
    check_eq((r.error and r.error["C"], r.status), ("22012", "E"), "the block is failed")


def test_session():
    import struct as _struct
    with h.Proxy(PORTS["session"]) as p, h.Conn(p.port, "analyst") as c:
        # The proxy answers its own settings; the warehouse never sees them.
        r = c.query("SHOW blueshift.version")
        check(not r.errors and len(r.rows) == 1 and r.rows[0][0], f"SHOW blueshift.version: {r.errors} {r.rows}")
        check_eq((r.tags, r.status), (["SHOW"], "I"), "SHOW blueshift.version tag and status")
        r = c.query("/* Metabase */ show blueshift.rules")
        names = [row[0] for row in r.rows]
        check(h.RULE_FILTER in names, f"SHOW blueshift.rules lists {h.RULE_FILTER}: {r.rows}")
        check_eq(len(r.rows[0]), 4, "SHOW blueshift.rules columns (name, type, mode, tables)")
        with h.Conn(p.port, "etl") as e:
            check_eq(e.query("show blueshift.rules").rows, [], "no rule applies to etl")
        for sql, state in (("show blueshift.nope", "42704"), ("set blueshift.nope = 1", "42704"),
                           ("set blueshift.version = '2'", "55P02"), ("reset blueshift.nope", "42704"),
                           ("select 1; show blueshift.version", "0A000")):
            r = c.query(sql)
            check_eq((r.error and r.error["C"], r.status), (state, "I"), sql)
        # As PostgreSQL would: SHOW in a failed block is refused, and ROLLBACK recovers.
        fail_block(c)
        r = c.query("show blueshift.version")
        check_eq((r.error and r.error["C"], r.status), ("25P02", "E"), "SHOW blueshift.* in a failed block")
        check_eq(c.query("rollback").status, "I", "ROLLBACK")
        # Extended protocol: Parse/Bind/Describe/Execute of a proxy statement.
        c.send(h.parse_msg("s1", "SHOW blueshift.version") + h.bind_msg("", "s1") + h.describe_msg("P", "")
               + h.execute_msg() + h.sync_msg())
        r = c.read_until_ready()
        check_eq((r.codes, r.tags, r.status), ("12TDCZ", ["SHOW"], "I"), "extended SHOW blueshift.version")

        # The failed-block bypass: ROLLBACK ends the block and the scan runs.
        for end in ("ROLLBACK", "ABORT", "COMMIT", "END", "ROLLBACK AND CHAIN"):
            fail_block(c)
            r = c.query(f"{end}; {UNFILTERED}")
            check_eq(r.error and r.error["C"], "42501", f"{end}; <unfiltered scan> in a failed block")
            if r.status != "I":
                c.query("rollback")
        fail_block(c)
        c.send(h.parse_msg("", "rollback") + h.bind_msg("", "") + h.execute_msg()
               + h.parse_msg("", UNFILTERED) + h.bind_msg("", "") + h.execute_msg() + h.sync_msg())
        r = c.read_until_ready()
        check_eq(r.error and r.error["C"], "42501", "extended ROLLBACK + unfiltered scan in a failed block")
        check(not r.rows, f"no rows of the unfiltered scan: {r.rows}")
        check_eq(c.query("select 1").rows, [("1",)], "session usable after the refusals")

        # FunctionCall could run SQL text (query_to_xml): refused for governed sessions.
        oid = c.query("select 'pg_catalog.query_to_xml(text,boolean,boolean,text)'::regprocedure::oid").rows[0][0]
        arg = UNFILTERED.encode()
        body = (_struct.pack("!ih", int(oid), 0) + _struct.pack("!h", 4)
                + _struct.pack("!i", len(arg)) + arg + _struct.pack("!i", 1) + b"f"
                + _struct.pack("!i", 1) + b"f" + _struct.pack("!i", 0) + _struct.pack("!h", 0))
        c.send(b"F" + _struct.pack("!i", len(body) + 4) + body)
        r = c.read_until_ready()
        check_eq((r.codes, r.error and r.error["C"]), ("EZ", "42501"), "FunctionCall query_to_xml(<scan>)")

        # The proxy's own protocol names are not the client's to take.
        c.send(h.parse_msg("__blueshift_refused__", "select 1") + h.sync_msg())
        r = c.read_until_ready()
        check_eq(r.error and r.error["C"], "42939", "Parse of a reserved statement name")
        r = c.query(UNFILTERED)
        check_eq(r.error and r.error["C"], "42501", "refusal after the reserved-name attempt")


def test_group_lookup():
    import threading
    from tcp_relay import Relay  # tests/lib, on the path through harness
    relay = Relay(h.dev_port())
    relay_port = relay.port
    user = f"newbie_{int(time.time() * 1000) % 100000000}"
    overrides = {f"port={h.dev_port()} dbname=dev user=etl": f"port={relay_port} dbname=dev user=etl",
                 "log:\n  level: info": "io_threads: 1\nlog:\n  level: info"}
    try:
        with h.Proxy(PORTS["group_lookup"], overrides) as p, h.Conn(p.port, "analyst") as busy:
            # Created after the catalog was loaded: the proxy must look its groups up.
            with h.Conn(h.dev_port(), "postgres") as su:
                su.query(f"create user {user} password 'pw' in group analysts")
            relay.delay = 3.0  # every catalog connection from now on waits 3 s
            worst = [0.0]
            stop = threading.Event()

            def ping():
                while not stop.is_set():
                    start = time.monotonic()
                    busy.query("select 1")
                    worst[0] = max(worst[0], time.monotonic() - start)
                    time.sleep(0.01)
            pinger = threading.Thread(target=ping)
            pinger.start()
            try:
                start = time.monotonic()
                with h.Conn(p.port, user, password="pw") as new:
                    r = new.query(UNFILTERED)
                first = time.monotonic() - start
            finally:
                stop.set()
                pinger.join()
            print(f"new user's login + first query: {first:.2f} s; worst select 1 on the same I/O thread "
                  f"meanwhile: {worst[0] * 1000:.1f} ms")
            check(first >= 2.5, f"the lookup did not go through the slow relay ({first:.2f} s)")
            check_eq(r.error and r.error["C"], "42501", "the new analyst is governed from the first query")
            check(worst[0] < 0.5, f"another session stalled {worst[0]:.2f} s during the lookup")
    finally:
        relay.close()
        with h.Conn(h.dev_port(), "postgres") as su:
            su.query(f"drop user if exists {user}")


TESTS = {
    "simple": test_simple, "transaction": test_transaction, "extended": test_extended,
    "binary_params": test_binary_params, "exempt_warn": test_exempt_warn, "audit": test_audit,
    "reload": test_reload, "fail_closed": test_fail_closed, "evasion": test_evasion,
    "session": test_session, "group_lookup": test_group_lookup, "malformed": test_malformed,
}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

#!/usr/bin/env python3
"""SQL-level PREPARE/EXECUTE through a private proxy on the dev warehouse (issue 10): a
PREPARE whose policy needs its $n values is not refused; each EXECUTE is decided with its
arguments substituted, as a Bind is. Every prepared body sets a marker (set_config) before
it reads: a refused EXECUTE leaves it unset, which shows the warehouse never ran it.

lifecycle  compliant EXECUTE returns the warehouse's rows; a too-wide or expression
           argument is refused and never runs; re-PREPARE under a new definition, DEALLOCATE,
           DISCARD ALL, a PREPARE in a rolled-back transaction (the server keeps it), a
           PREPARE in a failed block (the server refuses it), an unknown name. Port 6740.
extended   a Parse of `EXECUTE w(2022, 2024)` is decided at its Execute, against what w is
           then (a statement parsed while w was harmless runs the new w), and a protocol Bind
           of a SQL-prepared statement is checked as a Parse's is. (PostgreSQL takes no $n in
           a Parse of EXECUTE: "requires 0 parameters".) Port 6741.

Usage: sql_prepared_tests.py [lifecycle|extended|all]
"""

from __future__ import annotations

import sys

import harness as h
from harness import check, check_eq

PORTS = {"lifecycle": 6740, "extended": 6741}
MARKER = "e2e.prepared_ran"
BODY = (f"select set_config('{MARKER}', 'yes', false) as ran, count(*) from spectrum_schema.sales "
        "where {where}")
POINT = BODY.format(where="year = $1 and month = $2")             # one partition a value pair
RANGE = BODY.format(where="year between $1 and $2 and month between 1 and 12")  # 12 a year


def refused(r, rule=h.RULE_MAX):
    return bool(r.error) and r.error.get("C") == "42501" and rule in r.error.get("M", "")


def ran(c):
    """Whether a prepared body ran since the last call (and clears the marker)."""
    value = c.query(f"select current_setting('{MARKER}', true)").rows[0][0]
    c.query(f"select set_config('{MARKER}', '', false)")
    return value == "yes"


def expect_refused(c, sql, what, rule=h.RULE_MAX):
    r = c.query(sql)
    check(refused(r, rule), f"{what}: not refused by {rule}: {r.codes} {r.errors}")
    check(not ran(c), f"{what}: the warehouse ran it")


def expect_rows(c, sql, rows, what):
    r = c.query(sql)
    check(not r.errors, f"{what}: {r.errors}")
    check_eq(r.rows, rows, what)
    check(ran(c), f"{what}: the marker is unset although rows came back")


def direct_count(year, month):
    with h.Conn(h.dev_port(), "analyst") as d:
        return d.query(f"select count(*) from spectrum_schema.sales where year = {year} and month = {month}").rows[0][0]


def test_lifecycle():
    one = [("yes", direct_count(2024, 1))]
    with h.Proxy(PORTS["lifecycle"]) as p, h.Conn(p.port, "analyst") as c:
        r = c.query(f"prepare p(int, int) as {POINT}")
        check(not r.errors, f"PREPARE of a compliant statement refused: {r.errors}")
        expect_rows(c, "execute p(2024, 1)", one, "EXECUTE p(2024, 1)")

        r = c.query(f"prepare w(int, int) as {RANGE}")
        check(not r.errors, f"PREPARE of a statement decided by its values refused: {r.errors}")
        expect_rows(c, "execute w(2024, 2024)", [("yes", direct_count_range(2024, 2024))], "EXECUTE w(2024, 2024)")
        expect_refused(c, "execute w(2022, 2024)", "EXECUTE w(2022, 2024): 36 partitions")
        expect_refused(c, "execute w(2023 + 1, 2024)", "EXECUTE w with an expression argument")
        expect_refused(c, "explain analyze execute w(2022, 2024)", "EXPLAIN ANALYZE EXECUTE w(2022, 2024)")
        expect_refused(c, "create temp table t as execute w(2022, 2024)", "CREATE TABLE AS EXECUTE w(2022, 2024)")

        # Re-PREPARE under a new definition: EXECUTE is decided by what the server has.
        expect_rows(c, "execute p(2022, 2024)", [("yes", "0")], "EXECUTE p(2022, 2024): year 2022, month 2024")
        check(not c.query("deallocate p").errors, "DEALLOCATE p")
        check(not c.query(f"prepare p(int, int) as {RANGE}").errors, "re-PREPARE p")
        expect_refused(c, "execute p(2022, 2024)", "EXECUTE of the re-PREPAREd p(2022, 2024)")

        # PostgreSQL keeps a statement prepared in a transaction that rolls back ...
        c.query("begin")
        check(not c.query(f"prepare r(int, int) as {RANGE}").errors, "PREPARE in a transaction")
        c.query("rollback")
        expect_refused(c, "execute r(2022, 2024)", "EXECUTE r(2022, 2024) after the ROLLBACK")
        expect_rows(c, "execute r(2024, 2024)", [("yes", direct_count_range(2024, 2024))],
                    "EXECUTE r(2024, 2024): the server kept r")
        # ... and refuses one in a failed block: the name stays unknown, which fails closed.
        c.query("begin")
        c.query("select 1/0")
        r = c.query(f"prepare f(int, int) as {POINT}")
        check_eq(r.error and r.error.get("C"), "25P02", "PREPARE in a failed block")
        c.query("rollback")
        expect_refused(c, "execute f(2024, 1)", "EXECUTE of a PREPARE the server refused", rule="")

        # DISCARD ALL drops every statement: their names are unknown again.
        check(not c.query("discard all").errors, "DISCARD ALL")
        expect_refused(c, "execute w(2024, 2024)", "EXECUTE after DISCARD ALL", rule="")
        expect_refused(c, "execute nope(2024, 1)", "EXECUTE of a name never prepared", rule="")

    with h.Conn(h.dev_port(), "analyst") as d:
        # The server's own behaviour the proxy follows (checked here, not assumed).
        d.query("begin")
        d.query("prepare kept as select 1")
        d.query("rollback")
        check_eq(d.query("execute kept").rows, [("1",)], "PostgreSQL keeps a statement prepared in a rolled-back block")


def direct_count_range(first, last):
    with h.Conn(h.dev_port(), "analyst") as d:
        return d.query("select count(*) from spectrum_schema.sales "
                       f"where year between {first} and {last} and month between 1 and 12").rows[0][0]


def run_batch(c, *messages):
    c.send(b"".join(messages))
    return c.read_until_ready()


def test_extended():
    with h.Proxy(PORTS["extended"]) as p, h.Conn(p.port, "analyst") as c:
        check(not c.query(f"prepare w(int, int) as {RANGE}").errors, "PREPARE w")
        r = run_batch(c, h.parse_msg("e", "execute w(2022, 2024)"), h.bind_msg("", "e", ()), h.execute_msg(),
                      h.sync_msg())
        check(refused(r), f"Parse/Bind/Execute of EXECUTE w(2022, 2024): {r.codes} {r.errors}")
        check(not ran(c), "the refused EXECUTE ran")
        r = run_batch(c, h.parse_msg("f", "execute w(2024, 2024)"), h.bind_msg("", "f", ()), h.execute_msg(),
                      h.sync_msg())
        check(not r.errors, f"EXECUTE w(2024, 2024): {r.errors}")
        check_eq(r.rows, [("yes", direct_count_range(2024, 2024))], "EXECUTE w(2024, 2024)")
        check(ran(c), "the compliant EXECUTE did not run")
        # Parsed while p is harmless (year 2022, month 2024: nothing), run after p changed.
        check(not c.query(f"prepare p(int, int) as {POINT}").errors, "PREPARE p")
        r = run_batch(c, h.parse_msg("g", "execute p(2022, 2024)"), h.sync_msg())
        check(not r.errors, f"Parse of EXECUTE p(2022, 2024): {r.errors}")
        check(not c.query("deallocate p").errors and not c.query(f"prepare p(int, int) as {RANGE}").errors,
              "re-PREPARE p")
        r = run_batch(c, h.bind_msg("", "g", ()), h.execute_msg(), h.sync_msg())
        check(refused(r), f"EXECUTE p(2022, 2024) parsed before p was re-PREPAREd: {r.codes} {r.errors}")
        check(not ran(c), "the statement parsed before the re-PREPARE ran the new p")
        # The SQL-prepared statement's own name, bound through the protocol.
        r = run_batch(c, h.bind_msg("", "w", ("2022", "2024")), h.execute_msg(), h.sync_msg())
        check(refused(r), f"protocol Bind of the SQL-prepared w with (2022, 2024): {r.codes} {r.errors}")
        check(not ran(c), "the refused Bind ran")


def main():
    h.run_tests({"lifecycle": test_lifecycle, "extended": test_extended}, sys.argv)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Policy bypasses of issue 10 that analysis must close, through a private proxy and
checked against the dev warehouse itself.

sql_text   functions that run SQL text (query_to_xml, table_to_xml, cursor_to_xml, ...),
           also inside a DO block or a pg_temp function, are refused for analysts and
           never reach the warehouse (a set_config marker in the same statement stays
           unset). Port 6714.
pruning    each partition filter form is accepted exactly when the warehouse's own EXPLAIN
           of it reads one partition of spectrum_schema.sales (its partitions are file_fdw
           foreign tables: counted in the plan), simple and extended protocol, and texts
           that look like the session's last but for more than a value. Port 6715.
user_schema "$user" in the search_path: without a schema named after the analyst, an
           unqualified CREATE TABLE lands in public on the server and is refused as DDL on
           public; once the schema exists (known to the catalog) it lands there and runs.
           Port 6716.
role_defaults ALTER ROLE ... IN DATABASE ... SET search_path (set by an administrator): a
           later analyst session starts on spectrum_schema and its unqualified `sales` is
           refused; an analyst's own ALTER ROLE/DATABASE ... SET search_path is refused and
           changes nothing. Port 6717.

Usage: bypass_tests.py [sql_text|pruning|user_schema|role_defaults|all]
"""

from __future__ import annotations

import re
import os
import sys

import harness as h
from harness import check, check_eq

PORTS = {"sql_text": 6714, "pruning": 6715, "user_schema": 6716, "role_defaults": 6717}
MARKER = "e2e.reached"


def marker(conn):
    return conn.query(f"select current_setting('{MARKER}', true)").rows[0][0]


def refused(result):
    return bool(result.error) and result.error.get("C") == "42501" and "blueshift" in result.error.get("M", "")


# ------------------------------------------------------------------ sql_text

SQL_TEXT = [
    ("query_to_xml", "select query_to_xml('select count(*) from spectrum_schema.sales', true, false, '')"),
    ("query_to_xml, name built at run time",
     "select query_to_xml('select count(*) from spectrum_' || 'schema.sa' || 'les', true, false, '')"),
    ("query_to_xml_and_xmlschema",
     "select query_to_xml_and_xmlschema('select sale_id from spectrum_schema.sales', true, false, '')"),
    ("table_to_xml", "select table_to_xml('spectrum_schema.sales'::regclass, true, false, '')"),
    ("table_to_xmlschema", "select table_to_xmlschema('spectrum_schema.sales'::regclass, true, false, '')"),
    ("in FROM", "select * from query_to_xml('select count(*) from spectrum_schema.sales', true, false, '') x"),
]


def test_sql_text():
    with h.Proxy(PORTS["sql_text"]) as p:
        failures = []
        for what, sql in SQL_TEXT:
            with h.Conn(p.port, "analyst") as c:
                # The statement sets a marker first: set only if the warehouse ran it.
                r = c.query(f"select set_config('{MARKER}', 'yes', false), ({sql}) is not null")
                if not refused(r):
                    failures.append(f"{what}: not refused: {r.codes} {r.errors}")
                elif "query_to_xml" not in r.error.get("D", "") and "table_to_xml" not in r.error.get("D", ""):
                    failures.append(f"{what}: DETAIL does not name the function: {r.error}")
                if marker(c) == "yes":
                    failures.append(f"{what}: reached the warehouse")
        with h.Conn(p.port, "analyst") as c:
            # cursor_to_xml reads a cursor the same transaction declared.
            c.query("begin")
            check(not c.query("declare c cursor for select 1").errors, "DECLARE of a harmless cursor")
            r = c.query(f"select set_config('{MARKER}', 'yes', true), cursor_to_xml('c', 1, false, false, '')")
            if not refused(r):
                failures.append(f"cursor_to_xml: not refused: {r.codes} {r.errors}")
            c.query("rollback")
            r = c.query("do $$ begin perform set_config('e2e.reached', 'yes', false); "
                        "perform query_to_xml('select 1', true, false, ''); end $$")
            if not refused(r):
                failures.append(f"DO block: not refused: {r.codes} {r.errors}")
            r = c.query("create function pg_temp.q(t text) returns xml language sql "
                        "as 'select query_to_xml(t, true, false, '''')'")
            if not refused(r):
                failures.append(f"pg_temp function: not refused: {r.codes} {r.errors}")
            if marker(c) == "yes":
                failures.append("DO block: reached the warehouse")
            check(not c.query("select 1").errors, "the session goes on")
        # The rules are the analysts': etl runs the same text on the warehouse.
        with h.Conn(p.port, "etl") as c:
            r = c.query(f"select set_config('{MARKER}', 'yes', false), ({SQL_TEXT[0][1]}) is not null")
            check(not r.errors, f"etl's query_to_xml: {r.errors}")
            check_eq(marker(c), "yes", "etl's statement ran")
        check(not failures, f"{len(failures)} bypass(es):\n  " + "\n  ".join(failures))


# ------------------------------------------------------------------ pruning

COUNT = "select count(*) from spectrum_schema.sales where "
# (where clause, whether the proxy should accept it): the warehouse's plan must agree.
FORMS = [
    ("year = 2024 and month = 3", True),
    ("year = '2024' and month = '3'", True),
    ("year in (2024) and month in (3)", True),
    ("year = 2024::int and month = 3", True),
    ("year = any('{2024}') and month = 3", True),
    ("year between 2024 and 2024 and month = 3", True),
    ("year is not distinct from 2024 and month = 3", False),
    ("year = 2024.0 and month = 3", False),
    ("year = 2024::numeric and month = 3", False),
    ("year in (2024.0) and month = 3", False),
    ("year in (2024, 2025.0) and month = 3", False),
    ("year = 2024::float8 and month = 3", False),
    ("year = 2024 and month = 3.0", False),
    ("year = any('{2024}'::numeric[]) and month = 3", False),
]
CTES = [
    ("with s as (select * from spectrum_schema.sales) select count(*) from s where year = 2024 and month = 3", True),
    ("with s as materialized (select * from spectrum_schema.sales) "
     "select count(*) from s where year = 2024 and month = 3", False),
]
# Each sent right after its first text, in one session: the proxy lifts a session's next
# text by comparing it with the last one's template (rewrite::relift) rather than with the
# scanner, so texts that only look like another value in the same place must not pass.
SAME_SHAPE = [
    ("year = 2024 and month = 3", "year = 2023 and month = 11", True),
    ("year = 2024 and month = 3", "year = 2024 and month = 3 or true", False),
    ("year = 2024 and month = 3", "year = 2024 and month = 3 or month = 4", False),
    ("year = 2024 and month = 3", "year = 2024 and month = 3\nor year = 2023", False),
    ("year = 2024 and month = 3", "year = 2024 and month = 3 /* */ or true", False),
    ("year = 2024 and month = 3", "year = 2024 and month = 3 -- or true", True),
    ("year = 2024 and month = 3", "year = 2024 and month = 3e0", False),
    ("year = 2024 and month = 3", "year = 2024 and month = 3.0", False),
    ("year = '2024' and month = '3'", "year = '2023' and month = '12'", True),
    ("year = '2024' and month = '3'", "year = '2024' and month = '3' or true", False),
    ("year = '2024' and month = '3'", "year = '2024' and month = '3' or 'a' = 'a'", False),
]
# Extended protocol: parameter types as Parse declares them (0: the server infers the
# column's), values 2024 and 3.
PARAM_TYPES = [((0, 0), True), ((23, 23), True), ((1700, 23), False), ((701, 23), False), ((23, 700), False)]
TYPE_NAMES = {0: "unknown", 23: "int", 700: "real", 701: "float8", 1700: "numeric"}
PARAM_SQL = COUNT + "year = $1 and month = $2"


def partitions_read(plan_lines):
    """Partitions of sales a plan reads: one foreign scan each, less those removed at run time."""
    text = "\n".join(plan_lines)
    scans = len(re.findall(r"Foreign Scan on sales_\d{4}_\d{2}", text))
    removed = sum(int(n) for n in re.findall(r"Subplans Removed: (\d+)", text))
    return scans - removed


def explain(conn, sql):
    r = conn.query("explain (costs off) " + sql)
    check(not r.errors, f"EXPLAIN {sql}: {r.errors}")
    return partitions_read([row[0] for row in r.rows])


def test_pruning():
    disagreements = []
    with h.Proxy(PORTS["pruning"]) as p, h.Conn(h.dev_port(), "analyst") as d, h.Conn(p.port, "analyst") as c:
        def agree(what, read, accepted, expect):
            # One partition read is what the forms above prune to; anything more means a
            # column was not pruned on.
            if (read == 1) != expect:
                disagreements.append(f"{what}: the warehouse reads {read} partitions; the table says "
                                     f"{'prunes' if expect else 'does not prune'}")
            if accepted != expect:
                disagreements.append(f"{what}: {'accepted' if accepted else 'refused'} by the proxy, but the "
                                     f"warehouse reads {read} partition(s)")

        for where, expect in FORMS:
            r = c.query(COUNT + where)
            agree(where, explain(d, COUNT + where), not r.errors, expect)
            if r.errors and "the warehouse prunes partitions only when" not in r.error.get("H", ""):
                disagreements.append(f"{where}: the hint does not name the accepted forms: {r.error.get('H')}")
        for sql, expect in CTES:
            r = c.query(sql)
            agree(sql, explain(d, sql), not r.errors, expect)
        for first, where, expect in SAME_SHAPE:
            check(not c.query(COUNT + first).errors, f"{first}: refused")
            r = c.query(COUNT + where)
            agree(f"{where} (after {first})", explain(d, COUNT + where), not r.errors, expect)
        for types, expect in PARAM_TYPES:
            names = ", ".join(TYPE_NAMES[t] for t in types)
            declared = ", ".join(TYPE_NAMES[t] if t else "int" for t in types)  # unknown: inferred as int
            d.query("deallocate all")
            check(not d.query(f"prepare q({declared}) as {PARAM_SQL}").errors, f"PREPARE q({declared})")
            read = explain(d, "execute q(2024, 3)")
            c.send(b"".join([h.parse_msg("", PARAM_SQL, types), h.bind_msg("", "", ("2024", "3")),
                             h.execute_msg(), h.sync_msg()]))
            r = c.read_until_ready()
            agree(f"parameters typed ({names})", read, not r.errors, expect)
            if r.errors:
                check(refused(r), f"parameters typed ({names}): an error other than the proxy's: {r.errors}")
    check(not disagreements, f"{len(disagreements)} disagreement(s) with the warehouse:\n  " +
          "\n  ".join(disagreements))


# ------------------------------------------------------------------ user_schema

def test_user_schema():
    create = "create table e2e_user_schema_t (x int)"
    where = "select to_regclass('public.e2e_user_schema_t') is not null, to_regclass('analyst.e2e_user_schema_t') is not null"
    with h.Conn(h.dev_port(), "postgres") as su:
        su.query("drop table if exists public.e2e_user_schema_t")
        su.query("drop schema if exists analyst cascade")
        try:
            with h.Proxy(PORTS["user_schema"]) as p, h.Conn(p.port, "analyst") as c:
                r = c.query(create)
                check(refused(r), f"unqualified CREATE TABLE without an analyst schema: {r.codes} {r.errors}")
                check("public" in r.error.get("M", ""), f"the refusal names public: {r.error}")
                check_eq(su.query(where).rows, [('f', 'f')], "nothing was created")
            check(not su.query("create schema analyst authorization analyst").errors, "CREATE SCHEMA analyst")
            with h.Proxy(PORTS["user_schema"]) as p, h.Conn(p.port, "analyst") as c:
                r = c.query(create)
                check(not r.errors, f"unqualified CREATE TABLE with an analyst schema: {r.errors}")
                check_eq(su.query(where).rows, [('f', 't')], "created in the analyst schema")
        finally:
            su.query("drop table if exists public.e2e_user_schema_t")
            su.query("drop schema if exists analyst cascade")


# ------------------------------------------------------------------ role_defaults

def test_role_defaults():
    # A role of its own: ALTER ROLE ... SET changes every later session of the role, and
    # other tests run as analyst at the same time.
    role = f"rd_{os.getpid()}"
    settings = f"select count(*) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = '{role}'"
    with h.Conn(h.dev_port(), "postgres") as su:
        su.query(f"drop role if exists {role}")
        check(not su.query(f"create role {role} login password 'pw' in role analysts").errors, "CREATE ROLE")
        try:
            with h.Proxy(PORTS["role_defaults"]) as p, h.Conn(p.port, role, password="pw") as c:
                for sql in (f"alter role {role} set search_path = spectrum_schema",
                            f"alter user {role} in database dev set search_path to spectrum_schema",
                            f"alter role {role} reset all"):
                    r = c.query(sql)
                    check(refused(r), f"{sql}: {r.codes} {r.errors}")
                check_eq(su.query(settings).rows, [("0",)], "the refused ALTERs changed nothing")
            check(not su.query(f"alter role {role} in database dev set search_path = spectrum_schema").errors,
                  "ALTER ROLE as the superuser")
            with h.Proxy(PORTS["role_defaults"]) as p, h.Conn(p.port, role, password="pw") as c:
                check_eq(c.query("show search_path").rows, [("spectrum_schema",)], "the session's search_path")
                r = c.query(f"select set_config('{MARKER}', 'yes', false), (select count(*) from sales)")
                check(refused(r), f"unqualified sales on the role's default search_path: {r.codes} {r.errors}")
                check(marker(c) != "yes", "the refused statement reached the warehouse")
                check(not c.query(COUNT + "year = 2024 and month = 3").errors, "a filtered query runs")
        finally:
            su.query(f"drop role if exists {role}")


TESTS = {"sql_text": test_sql_text, "pruning": test_pruning, "user_schema": test_user_schema,
         "role_defaults": test_role_defaults}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

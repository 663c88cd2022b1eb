#!/usr/bin/python3
"""The upsert COPY's own statements pass the policies (issue 12), each as the client's would,
against a private proxy (ports 6880-6881) with tests/e2e/policies/policies.test.yaml plus
an `upserts:` section. The client's COPY writes only; the staged merge behind it also
deletes from the target and reads it, which the policies may forbid:

  governed   an analyst's COPY upsert into a table of schema public, where analysts may
             not DELETE: refused with the rule's 42501 before anything runs (no
             CopyInResponse, no staging table, the table unchanged); the same COPY into a
             table of another schema runs.
  external   an analyst's COPY upsert into the lake's spectrum_schema.sales, whose merge
             (DELETE ... USING on the key) reads it with no partition filter: refused by
             the partition-filter rule before anything runs.
Run with /usr/bin/python3 (Debian's python3-psycopg); skips (77) without tests/run.sh's
environment.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402

psycopg = h.import_psycopg()

DB = "blueshift_e2e_upsert_copy_policies"
UPSERTS = "upserts:\n  enabled: true\n  warehouse: postgresql\npolicies:\n"


def superuser(db="postgres"):
    return psycopg.connect(f"host=127.0.0.1 port={h.dev_port()} dbname={db} user=postgres", autocommit=True)


def connect(port, db):
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname={db} user=analyst password={h.USERS['analyst']} "
                           "connect_timeout=10", autocommit=True)


def copy_upsert(c, table, key, rows):
    """(started, sqlstate, message): whether the client's COPY got its CopyInResponse."""
    started = False
    try:
        with c.cursor().copy(f"COPY {table} FROM STDIN /* blueshift:upsert key=({key}) */") as cp:
            started = True
            for r in rows:
                cp.write_row(r)
    except psycopg.Error as e:
        return started, e.sqlstate, str(e)
    return started, None, ""


def staging_tables(c):
    return c.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'blueshift_copy%'").fetchone()[0]


def test_governed():
    with superuser() as su:
        su.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        su.execute(f"CREATE DATABASE {DB} OWNER analyst")
    with superuser(DB) as su:
        su.execute("SET ROLE analyst")
        su.execute("CREATE SCHEMA loads")
        for t in ("public.upsert_gov", "loads.upsert_gov"):
            su.execute(f"CREATE TABLE {t} (k int, v text)")
            su.execute(f"INSERT INTO {t} VALUES (1, 'kept'), (2, 'kept')")
        with h.Proxy(6880, {"policies:\n": UPSERTS}) as proxy, connect(proxy.port, DB) as c:
            started, state, message = copy_upsert(c, "public.upsert_gov", "k", [(1, "new"), (3, "new")])
            h.check_eq((started, state), (False, "42501"), "COPY upsert into public: refused before its CopyIn")
            h.check(h.RULE_DENY in message, f"the refusal names the rule: {message}")
            h.check_eq(su.execute("SELECT k, v FROM public.upsert_gov ORDER BY k").fetchall(),
                       [(1, "kept"), (2, "kept")], "public table unchanged")
            h.check_eq(staging_tables(su), 0, "no staging table")
            h.check_eq(c.execute("SELECT 1").fetchone(), (1,), "the session goes on")
            ran = copy_upsert(c, "loads.upsert_gov", "k", [(1, "new"), (3, "new")])
            h.check_eq(ran, (True, None, ""), "the same COPY upsert into schema loads")
            h.check_eq(su.execute("SELECT k, v FROM loads.upsert_gov ORDER BY k").fetchall(),
                       [(1, "new"), (2, "kept"), (3, "new")], "loads table upserted")


def test_external():
    with superuser("dev") as su, h.Proxy(6881, {"policies:\n": UPSERTS}) as proxy, connect(proxy.port, "dev") as c:
        before = su.execute("SELECT count(*) FROM spectrum_schema.sales").fetchone()
        started, state, message = copy_upsert(c, "spectrum_schema.sales", "sale_id", [])
        h.check_eq((started, state), (False, "42501"), "COPY upsert into the lake: refused before its CopyIn")
        h.check(h.RULE_FILTER in message, f"the refusal names the partition-filter rule: {message}")
        h.check_eq(su.execute("SELECT count(*) FROM spectrum_schema.sales").fetchone(), before, "lake unchanged")
        h.check_eq(staging_tables(su), 0, "no staging table")


if __name__ == "__main__":
    h.run_tests({"governed": test_governed, "external": test_external}, sys.argv)

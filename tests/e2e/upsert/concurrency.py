#!/usr/bin/python3
"""Staged upserts from several sessions at once, and a session killed mid-upsert (issue 12).

- Sessions that each upsert every key with their own value, through the proxy, by upsert
  COPY and by INSERT ... ON CONFLICT DO UPDATE, concurrently: the staged transactions
  (LOCK, DELETE/UPDATE, INSERT) must end as some serial order of them would, so every
  key holds the value of one session's last statement, each key once, and the
  increments of ON CONFLICT ... SET n = t.n + 1 all count (as natively).
- A session whose upstream backend is terminated while its COPY streams rows: the
  table is unchanged and no staging table is left.
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh); else skips (77).
"""
import sys
import threading
import time

import psycopg

from upsert_e2e import check, connect, run_checks

DB = "blueshift_e2e_upsert_concurrency"
KEYS = 200
SESSIONS = 4
ROUNDS = 5


def run_sessions(proxy_port, work):
    errors = []

    def session(i):
        try:
            with connect(proxy_port, DB) as c:
                for r in range(ROUNDS):
                    work(c, i, r)
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            errors.append(f"session {i}: {e!r}")
    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_concurrent_copies(direct, proxy_port):
    direct.execute("DROP TABLE IF EXISTS upsert_conc_copy")
    direct.execute("CREATE TABLE upsert_conc_copy (k int, v int, r int)")

    def work(c, i, r):
        with c.cursor().copy("COPY upsert_conc_copy FROM STDIN /* blueshift:upsert key=(k) */") as cp:
            for k in range(KEYS):
                cp.write_row((k, i, r))
    errors = run_sessions(proxy_port, work)
    check("copies: no client saw an error", not errors, errors)
    rows = direct.execute("SELECT count(*), count(DISTINCT k), count(DISTINCT (v, r)) FROM upsert_conc_copy").fetchone()
    # Each COPY replaced every key at once: one session's last COPY holds them all.
    check("copies: every key once, all from one COPY (a serial order)", rows == (KEYS, KEYS, 1), rows)


def test_concurrent_on_conflict(direct, proxy_port):
    direct.execute("DROP TABLE IF EXISTS upsert_conc_oc")
    direct.execute("CREATE TABLE upsert_conc_oc (k int PRIMARY KEY, n int)")
    values = ", ".join(f"({k}, 1)" for k in range(KEYS))

    def work(c, i, r):
        c.execute(f"INSERT INTO upsert_conc_oc AS t VALUES {values} ON CONFLICT (k) DO UPDATE SET n = t.n + 1")
    errors = run_sessions(proxy_port, work)
    check("on conflict: no client saw an error", not errors, errors)
    rows = direct.execute("SELECT count(*), min(n), max(n) FROM upsert_conc_oc").fetchone()
    check("on conflict: every increment counted, as natively", rows == (KEYS, SESSIONS * ROUNDS, SESSIONS * ROUNDS),
          rows)


def test_killed_mid_copy(direct, proxy_port):
    direct.execute("DROP TABLE IF EXISTS upsert_conc_kill")
    direct.execute("CREATE TABLE upsert_conc_kill (k int, v text)")
    direct.execute("INSERT INTO upsert_conc_kill VALUES (1, 'kept'), (2, 'kept')")
    outcome = []
    with connect(proxy_port, DB) as c:
        try:
            with c.cursor().copy("COPY upsert_conc_kill FROM STDIN /* blueshift:upsert key=(k) */") as cp:
                cp.write_row((1, "lost"))
                cp.write_row((3, "lost"))
                time.sleep(0.5)  # the rows reached the staging table's COPY
                killed = direct.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() AND "
                    "query LIKE '%%COPY \"blueshift_copy_%%'", (DB,)).fetchall()
                outcome.append(killed)
                time.sleep(0.5)
                cp.write_row((2, "lost"))
        except psycopg.Error as e:
            outcome.append(type(e).__name__)
    check("killed: the upstream session was ended mid-COPY", outcome and outcome[0] == [(True,)], outcome)
    check("killed: the client saw an error", len(outcome) == 2, outcome)
    for _ in range(50):  # the backend's exit drops its temp tables
        left = direct.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'blueshift_copy%'").fetchone()[0]
        if left == 0:
            break
        time.sleep(0.1)
    check("killed: no staging table left", left == 0, left)
    rows = direct.execute("SELECT k, v FROM upsert_conc_kill ORDER BY k").fetchall()
    check("killed: table unchanged", rows == [(1, "kept"), (2, "kept")], rows)


def checks(dev, proxy_port):
    with connect(dev, DB) as direct:  # a role may end its own backends
        test_concurrent_copies(direct, proxy_port)
        test_concurrent_on_conflict(direct, proxy_port)
        test_killed_mid_copy(direct, proxy_port)


def main():
    return run_checks(DB, checks)


if __name__ == "__main__":
    sys.exit(main())

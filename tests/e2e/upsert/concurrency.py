#!/usr/bin/python3
"""Staged upserts from several sessions at once, and a session killed mid-upsert (issue 12).

- Sessions that each upsert every key with their own value, through the proxy, by upsert
  COPY and by INSERT ... ON CONFLICT DO UPDATE, concurrently: the staged transactions
  (LOCK, DELETE/UPDATE, INSERT) must end as some serial order of them would, so every
  key holds the value of one session's last statement, each key once, and the
  increments of ON CONFLICT ... SET n = t.n + 1 all count (as natively).
- Sessions that each run their own seeded list of MERGE statements (WHEN MATCHED AND ...
  THEN DELETE / UPDATE / DO NOTHING, WHEN NOT MATCHED AND ... THEN INSERT, on a table with
  no key, so that a lost race shows as a key twice) and of INSERT ... ON CONFLICT DO NOTHING
  / DO UPDATE on a keyed table, concurrently, in the simple protocol and with parameters
  (extended protocol): the final contents must be among those that running the same
  statements natively one after another, in every order that keeps each session's own
  order, gives (all orders, explored natively under savepoints). Several trials.
- A session whose upstream backend is terminated while its COPY streams rows: the
  table is unchanged and no staging table is left.
- A MERGE whose source reads its own target, started while another session's UPDATE of
  the target is open: it must read the updated row (the lock comes before the staging).
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh); else skips (77).
"""
import os
import random
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


# ------------------------------------------------------------------ a source reading its target
SELF_MERGE = ("MERGE INTO upsert_conc_self AS t USING (SELECT u.k, u.a + {one} AS a FROM upsert_conc_self AS u) AS s "
              "ON t.k = s.k WHEN MATCHED AND s.a > 0 THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.a)")


def lock_waiters(direct, table):
    return direct.execute("SELECT count(*) FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                          "WHERE c.relname = %s AND NOT l.granted", (table,)).fetchone()[0]


def test_source_reads_target(dev, direct, proxy_port, extended):
    """A MERGE whose source reads its target, while another session's UPDATE of the target
    is open: the staged plan waits for it (LOCK) and must then read the updated row, as the
    serial order "UPDATE, then MERGE" does. Staged before the lock, the source kept the old
    row and the UPDATE was lost (a = 11)."""
    what = f"source reads target ({'extended, in a block' if extended else 'simple'})"
    direct.execute("DROP TABLE IF EXISTS upsert_conc_self")
    direct.execute("CREATE TABLE upsert_conc_self (k int, a int)")
    direct.execute("INSERT INTO upsert_conc_self VALUES (1, 10)")
    outcome = []
    with connect(dev, DB) as writer, connect(proxy_port, DB) as c:
        writer.execute("BEGIN")
        writer.execute("UPDATE upsert_conc_self SET a = 100 WHERE k = 1")

        def merge():
            try:
                if extended:
                    with c.transaction():
                        c.execute(SELF_MERGE.format(one="%s::int"), (1,))
                else:
                    psycopg.ClientCursor(c).execute(SELF_MERGE.format(one="1"))
                outcome.append("ok")
            except Exception as e:  # noqa: BLE001 - reported as a failed check
                outcome.append(repr(e))
        t = threading.Thread(target=merge)
        t.start()
        for _ in range(100):  # the MERGE waits for the UPDATE's lock on the table
            if lock_waiters(direct, "upsert_conc_self") > 0 or not t.is_alive():
                break
            time.sleep(0.05)
        waited = lock_waiters(direct, "upsert_conc_self")
        writer.execute("COMMIT")
        t.join(30)
    check(f"{what}: the MERGE waited for the open UPDATE", waited > 0, waited)
    check(f"{what}: the MERGE ran", outcome == ["ok"], outcome)
    rows = direct.execute("SELECT k, a FROM upsert_conc_self").fetchall()
    # The UPDATE committed first: a = 101 (the MERGE after it); 11 is no serial order.
    check(f"{what}: contents as the UPDATE, then the MERGE", rows == [(1, 101)], rows)


# ------------------------------------------------------------------ serial orders
# Few enough statements that every serial order can be run natively: 3 sessions of 3
# statements have 1,680 orders; the prefixes they share run once each.
SERIAL_SESSIONS, SERIAL_ROUNDS, SERIAL_KEYS, TRIALS = 3, 3, 12, 4
SERIAL_TABLES = {"upsert_conc_m": "k int, n int, v text", "upsert_conc_k": "k int PRIMARY KEY, n int, v text"}
SEED_ROWS = ["INSERT INTO upsert_conc_m SELECT k, k % 5, 'seed' FROM generate_series(0, 11, 2) AS k",
             "INSERT INTO upsert_conc_k SELECT k, k % 5, 'seed' FROM generate_series(0, 11, 3) AS k"]
MATCHED = ["WHEN MATCHED AND mod(t.n, 3) = 0 THEN DELETE", "WHEN MATCHED AND s.n > t.n THEN UPDATE SET n = t.n + s.n, v = s.v",
           "WHEN MATCHED AND t.v = 'seed' THEN DO NOTHING", "WHEN MATCHED THEN UPDATE SET v = t.v || '+'"]
NOT_MATCHED = ["WHEN NOT MATCHED AND mod(s.k, 3) <> 0 THEN INSERT VALUES (s.k, s.n, s.v)", "WHEN NOT MATCHED AND s.n > 4 THEN DO NOTHING",
               "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)"]
ON_CONFLICT = ["DO NOTHING", "DO UPDATE SET n = t.n + EXCLUDED.n, v = EXCLUDED.v",
               "DO UPDATE SET v = EXCLUDED.v WHERE t.n < 4"]


def statement(rnd, session, rnd_round):
    """(sql with %s for each value, values): a MERGE or an ON CONFLICT of this session's rows."""
    keys = rnd.sample(range(SERIAL_KEYS), rnd.randint(4, 8))
    rows = [(k, rnd.randint(0, 9), f"s{session}r{rnd_round}") for k in keys]
    values = "(VALUES " + ", ".join("(%s::int, %s::int, %s::text)" for _ in rows) + ")"
    flat = [x for row in rows for x in row]
    if rnd.random() < 0.65:
        matched = sorted(rnd.sample(range(len(MATCHED)), rnd.randint(1, 3)))
        clauses = [MATCHED[i] for i in matched] + [rnd.choice(NOT_MATCHED[:2]), NOT_MATCHED[2]]
        return f"MERGE INTO upsert_conc_m AS t USING {values} AS s(k, n, v) ON t.k = s.k " + " ".join(clauses), flat
    return f"INSERT INTO upsert_conc_k AS t SELECT * FROM {values} AS s(k, n, v) ON CONFLICT (k) {rnd.choice(ON_CONFLICT)}", flat


def serial_contents(c):
    return tuple(tuple(c.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()) for t in SERIAL_TABLES)


def reset_serial(c):
    for name, columns in SERIAL_TABLES.items():
        c.execute(f"DROP TABLE IF EXISTS {name}")
        c.execute(f"CREATE TABLE {name} ({columns})")
    for sql in SEED_ROWS:
        c.execute(sql)


def serial_outcomes(c, scripts):
    """Every final contents some serial order of the sessions' scripts gives, run natively:
    depth first under savepoints, a prefix's state explored once."""
    outcomes, seen = set(), set()

    def explore(done):
        state = serial_contents(c)
        if (done, state) in seen:
            return
        seen.add((done, state))
        if all(d == len(s) for d, s in zip(done, scripts)):
            outcomes.add(state)
            return
        for i, script in enumerate(scripts):
            if done[i] == len(script):
                continue
            c.execute("SAVEPOINT serial")
            c.execute(*script[done[i]])
            explore(done[:i] + (done[i] + 1,) + done[i + 1:])
            c.execute("ROLLBACK TO SAVEPOINT serial")
            c.execute("RELEASE SAVEPOINT serial")

    reset_serial(c)
    with c.transaction(force_rollback=True):
        explore((0,) * len(scripts))
    return outcomes


def run_scripts(proxy_port, scripts, extended):
    """Each script in a session of its own, all at once; the errors the clients saw."""
    errors, start = [], threading.Barrier(len(scripts))

    def session(i):
        try:
            with connect(proxy_port, DB) as c:
                cur = c.cursor() if extended else psycopg.ClientCursor(c)
                start.wait()
                for sql, values in scripts[i]:
                    cur.execute(sql, values)
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            errors.append(f"session {i}: {e!r}")
    threads = [threading.Thread(target=session, args=(i,)) for i in range(len(scripts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_serial_orders(direct, proxy_port, extended):
    seed = int(os.environ.get("CONCURRENCY_SEED", random.randrange(1 << 30)))
    print(f"serial orders ({'extended' if extended else 'simple'}): seed {seed} (CONCURRENCY_SEED)")
    rnd = random.Random(seed)
    what = f"serial orders, {'extended' if extended else 'simple'} protocol (seed {seed})"
    for trial in range(TRIALS):
        scripts = [[statement(rnd, i, r) for r in range(SERIAL_ROUNDS)] for i in range(SERIAL_SESSIONS)]
        outcomes = serial_outcomes(direct, scripts)
        reset_serial(direct)
        errors = run_scripts(proxy_port, scripts, extended)
        check(f"{what}, trial {trial}: no client saw an error", not errors, errors)
        got = serial_contents(direct)
        check(f"{what}, trial {trial}: contents as some native serial order ({len(outcomes)} possible)",
              got in outcomes, got)
        left = direct.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'blueshift_%'").fetchone()[0]
        check(f"{what}, trial {trial}: no staging table left", left == 0, left)


def checks(dev, proxy_port):
    with connect(dev, DB) as direct:  # a role may end its own backends
        test_concurrent_copies(direct, proxy_port)
        test_concurrent_on_conflict(direct, proxy_port)
        test_serial_orders(direct, proxy_port, extended=False)
        test_serial_orders(direct, proxy_port, extended=True)
        test_killed_mid_copy(direct, proxy_port)
        test_source_reads_target(dev, direct, proxy_port, extended=False)
        test_source_reads_target(dev, direct, proxy_port, extended=True)


def main():
    return run_checks(DB, checks)


if __name__ == "__main__":
    sys.exit(main())

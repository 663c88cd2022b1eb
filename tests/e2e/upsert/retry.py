#!/usr/bin/python3
"""A staged upsert the warehouse aborts with a serialization failure is tried again (issue
12, proxy/plan_retry.h), against a private proxy (port 6882) configured with
`upserts.retry: {attempts: 3, backoff_ms: 20}`. The failure is scripted: a statement trigger
on the target raises the chosen SQLSTATE while a sequence (which no rollback resets) is
below a limit, so the sequence also counts the attempts.

  retried    40001 twice: the client gets PostgreSQL's tag and contents, after 3 attempts.
  exhausted  40001 every time: the client gets the 40001 after 1 + 3 attempts; unchanged.
  other      a non-retryable error (23514) is not retried.
  block      inside the client's transaction block a 40001 is not retried: the block fails.
The same through psycopg with server-side binding (prepare_threshold=0: Parse/Bind/Execute/
Sync, the plan's steps in the implicit transaction up to the Sync):
  extended_retried, extended_exhausted, extended_block   as above;
  extended_off  with no `retry:` (a second proxy, port 6948) the client gets the 40001.
  extended_concurrent  4 sessions, each 10 upserts of the same 8 keys adding 1 to a counter,
             on a database whose transactions are serializable (as Redshift's are), so that
             the staged transactions abort one another with 40001: every upsert succeeds,
             every counter ends at 40 (what native ON CONFLICT gives: each statement adds 1),
             and the audit lines count retries.
The same through JDBC (UpsertRetry.java, autocommit: a batch of one INSERT ... VALUES (?, 1)
ON CONFLICT per key, and a single prepared upsert of every key), skipped without java:
  jdbc_batch, jdbc_single  4 sessions as extended_concurrent: no client sees a 40001, the
             update counts are native's, every counter counts every statement;
  jdbc_off   a scripted 40001 through the proxy without `retry:` reaches the JDBC client
             (batch and single), and the table is unchanged.
Run with /usr/bin/python3 (Debian's python3-psycopg); skips (77) without tests/run.sh's
environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402

psycopg = h.import_psycopg()

DB = "blueshift_e2e_upsert_retry"
PORT = 6882
UPSERTS = ('upserts:\n  enabled: true\n  tables: ["upsert_*"]\n  warehouse: postgresql\n'
           '  retry: {attempts: 3, backoff_ms: 20}\npolicies:\n')
UPSERT = "INSERT INTO upsert_retry (k, v) VALUES (1, 'new'), (2, 'new') ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
BEFORE = [(1, "old")]
FAIL = """CREATE OR REPLACE FUNCTION upsert_retry_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('upsert_retry_calls') <= TG_ARGV[0]::int THEN
    RAISE EXCEPTION 'scripted failure' USING ERRCODE = TG_ARGV[1];
  END IF;
  RETURN NULL;
END $$"""


PORT_OFF = 6948
NO_RETRY = 'upserts:\n  enabled: true\n  tables: ["upsert_*"]\n  warehouse: postgresql\npolicies:\n'


def connect(port, user="etl", db=DB, extended=False):
    """extended: server-side binding, every statement prepared (Parse/Bind/Execute/Sync)."""
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname={db} user={user} password={h.USERS[user]} "
                           "connect_timeout=10", autocommit=True,
                           **({"prepare_threshold": 0} if extended else {"cursor_factory": psycopg.ClientCursor}))


def fresh():
    with psycopg.connect(f"host=127.0.0.1 port={h.dev_port()} dbname=postgres user=postgres", autocommit=True) as su:
        su.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        su.execute(f"CREATE DATABASE {DB} OWNER etl")
    direct = connect(h.dev_port())
    direct.execute("CREATE TABLE upsert_retry (k int PRIMARY KEY, v text)")
    direct.execute("CREATE SEQUENCE upsert_retry_calls")
    direct.execute(FAIL)
    return direct


def arm(direct, failures, sqlstate):
    """The target back to BEFORE; its next `failures` writing statements fail with sqlstate."""
    direct.execute("DROP TRIGGER IF EXISTS fail ON upsert_retry")
    direct.execute("TRUNCATE upsert_retry")
    direct.execute("INSERT INTO upsert_retry VALUES (1, 'old')")
    direct.execute("ALTER SEQUENCE upsert_retry_calls RESTART WITH 1")
    direct.execute(f"CREATE TRIGGER fail BEFORE INSERT OR UPDATE ON upsert_retry FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION upsert_retry_fail('{failures}', '{sqlstate}')")


def calls(direct):
    """How many writing statements reached the target (the sequence's last value)."""
    value, called = direct.execute("SELECT last_value, is_called FROM upsert_retry_calls").fetchone()
    return value if called else 0


def upsert(c, sql=UPSERT, params=None):
    try:
        cur = c.execute(sql, params)
        return cur.statusmessage
    except psycopg.Error as e:
        return f"ERROR {e.sqlstate}"


def contents(direct):
    return direct.execute("SELECT k, v FROM upsert_retry ORDER BY k").fetchall()


def staging_tables(direct):
    return direct.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'blueshift_upsert%'").fetchone()[0]


def rewrite_audit(proxy):
    """(outcome, retries) of the rewrite audit lines, once there are any (the audit log is
    written after the client's reply, and flushed in the background)."""
    deadline = time.monotonic() + h.WAIT
    while True:
        lines = [(a.get("outcome"), a.get("retries")) for a in proxy.audit_lines() if a.get("event") == "rewrite"]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def run(body, extended=False, port=PORT, upserts=UPSERTS):
    with fresh() as direct, h.Proxy(port, {"policies:\n": upserts}) as proxy, \
            connect(proxy.port, extended=extended) as c:
        body(direct, c, proxy)
        h.check_eq(staging_tables(direct), 0, "no staging table left")
        h.check_eq(c.execute("SELECT 1").fetchone(), (1,), "the session goes on")


def test_retried(extended=False):
    def body(direct, c, proxy):
        arm(direct, 2, "40001")
        h.check_eq(upsert(c), "INSERT 0 2", "tag after two serialization failures")
        h.check_eq(contents(direct), [(1, "new"), (2, "new")], "contents as native ON CONFLICT")
        # Two attempts failed at their UPDATE; the third ran its UPDATE and its INSERT.
        h.check_eq(calls(direct), 4, "writing statements: 1 + 1 failed, 2 in the attempt that ran")
        h.check_eq(rewrite_audit(proxy), [("ok", 2)], "the audit line counts the retries")
    run(body, extended=extended)


def test_exhausted(extended=False):
    def body(direct, c, _proxy):
        arm(direct, 100, "40001")
        h.check_eq(upsert(c), "ERROR 40001", "the last attempt's error")
        h.check_eq(calls(direct), 4, "attempts: the first and 3 retries")
        h.check_eq(contents(direct), BEFORE, "target unchanged")
        h.check_eq(c.info.transaction_status, psycopg.pq.TransactionStatus.IDLE, "no transaction left open")
    run(body, extended=extended)


def not_retried(sqlstate, what, **where):
    """One failure with sqlstate reaches the client at once; where: run()'s arguments."""
    def body(direct, c, proxy):
        arm(direct, 1, sqlstate)
        h.check_eq(upsert(c), f"ERROR {sqlstate}", what)
        h.check_eq(calls(direct), 1, "not retried")
        h.check_eq(contents(direct), BEFORE, "target unchanged")
        h.check_eq(rewrite_audit(proxy), [("error", 0)], "the audit line: no retries")
    run(body, **where)


def test_other():
    not_retried("23514", "a non-retryable error reaches the client")


def test_block(extended=False):
    def body(direct, c, _proxy):
        arm(direct, 1, "40001")
        c.execute("BEGIN")
        h.check_eq(upsert(c), "ERROR 40001", "in the client's block the failure is the client's")
        h.check_eq(c.info.transaction_status, psycopg.pq.TransactionStatus.INERROR, "the block failed")
        c.execute("ROLLBACK")
        h.check_eq(calls(direct), 1, "not retried")
        h.check_eq(contents(direct), BEFORE, "target unchanged")
    run(body, extended=extended)


def test_extended_retried():
    test_retried(extended=True)


def test_extended_exhausted():
    test_exhausted(extended=True)


def test_extended_block():
    test_block(extended=True)


def test_extended_off():
    not_retried("40001", "without retries the client gets the failure", extended=True, port=PORT_OFF,
                upserts=NO_RETRY)


SESSIONS, STATEMENTS, KEYS = 4, 10, 8
COUNTED = ("INSERT INTO upsert_counts (k, n) SELECT k, 1 FROM generate_series(1, %s) AS k "
           "ON CONFLICT (k) DO UPDATE SET n = upsert_counts.n + EXCLUDED.n")


def concurrent_counters(label, sessions, expected):
    """sessions(proxy port) runs SESSIONS x STATEMENTS counting upserts at once, on a
    database whose transactions are serializable (as Redshift's are), so that the staged
    transactions abort one another with 40001; its outcomes must all be `expected` (no
    client sees a 40001), every counter must count every statement, and retries happened."""
    with fresh() as direct:
        direct.execute("CREATE TABLE upsert_counts (k int PRIMARY KEY, n int)")
        direct.execute(f"ALTER DATABASE {DB} SET default_transaction_isolation = 'serializable'")
        upserts = UPSERTS.replace("attempts: 3, backoff_ms: 20", "attempts: 10, backoff_ms: 5")
        with h.Proxy(PORT, {"policies:\n": upserts}) as proxy:
            outcomes = sessions(proxy.port)
            h.check_eq(sorted(set(outcomes)), [expected], "every upsert succeeded, none saw a 40001")
            h.check_eq(len(outcomes), SESSIONS * STATEMENTS, "every upsert answered")
            h.check_eq(direct.execute("SELECT k, n FROM upsert_counts ORDER BY k").fetchall(),
                       [(k, SESSIONS * STATEMENTS) for k in range(1, KEYS + 1)],
                       "each counter counts every statement, as native ON CONFLICT in any serial order")
            retried = sum(r or 0 for _, r in rewrite_audit(proxy))
            print(f"{label}: retries among {SESSIONS * STATEMENTS} upserts: {retried}")
            h.check(retried > 0, "the sessions' staged transactions did abort one another (and were retried)")
            h.check_eq(staging_tables(direct), 0, "no staging table left")


def test_extended_concurrent():
    import threading

    def sessions(port):
        outcomes = []

        def session():
            with connect(port, extended=True) as c:
                for _ in range(STATEMENTS):
                    outcomes.append(upsert(c, COUNTED, (KEYS,)))

        threads = [threading.Thread(target=session) for _ in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outcomes
    concurrent_counters("psycopg", sessions, f"INSERT 0 {KEYS}")


JAR = "/usr/share/java/postgresql.jar"


def jdbc(port, mode, sessions, statements):
    """UpsertRetry.java's lines: one a statement, "ok <update counts>" or "error SQLSTATE"."""
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(["java", "-cp", JAR, os.path.join(here, "UpsertRetry.java"), str(port), DB, "etl",
                        h.USERS["etl"], mode, str(sessions), str(statements), str(KEYS)],
                       capture_output=True, text=True, timeout=180)
    h.check(p.returncode == 0, f"UpsertRetry.java failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout.splitlines()


def has_java():
    if shutil.which("java") is None or not os.path.exists(JAR):
        print(f"skipped: needs java and {JAR}")
        return False
    return True


# What native ON CONFLICT answers each: one row a batch entry, every key for the single one.
JDBC_OK = {"batch": "ok " + " ".join(["1"] * KEYS), "single": f"ok {KEYS}"}


def test_jdbc_concurrent(mode):
    if has_java():
        concurrent_counters(f"JDBC {mode}", lambda port: jdbc(port, mode, SESSIONS, STATEMENTS), JDBC_OK[mode])


def test_jdbc_off():
    if not has_java():
        return
    with fresh() as direct, h.Proxy(PORT_OFF, {"policies:\n": NO_RETRY}) as proxy:
        direct.execute("CREATE TABLE upsert_counts (k int PRIMARY KEY, n int)")
        direct.execute("CREATE TRIGGER fail BEFORE INSERT OR UPDATE ON upsert_counts FOR EACH STATEMENT "
                       "EXECUTE FUNCTION upsert_retry_fail('100', '40001')")
        for mode in ("batch", "single"):
            h.check_eq(jdbc(proxy.port, mode, 1, 1), ["error 40001"], f"JDBC {mode}: the client gets the 40001")
        # (The failed folded batch is replayed row by row, not retried: its first row fails.)
        h.check_eq(sorted(set(r for _, r in rewrite_audit(proxy))), [0], "the audit lines: no retries")
        h.check_eq(direct.execute("SELECT count(*) FROM upsert_counts").fetchone(), (0,), "table unchanged")
        h.check_eq(staging_tables(direct), 0, "no staging table left")


if __name__ == "__main__":
    h.run_tests({"retried": test_retried, "exhausted": test_exhausted, "other": test_other, "block": test_block,
                 "extended_retried": test_extended_retried, "extended_exhausted": test_extended_exhausted,
                 "extended_block": test_extended_block, "extended_off": test_extended_off,
                 "extended_concurrent": test_extended_concurrent,
                 "jdbc_batch": lambda: test_jdbc_concurrent("batch"),
                 "jdbc_single": lambda: test_jdbc_concurrent("single"), "jdbc_off": test_jdbc_off},
                sys.argv)

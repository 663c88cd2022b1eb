#!/usr/bin/python3
"""A session killed mid-upsert leaves the table unchanged and no staging table (issue 12), for
INSERT ... ON CONFLICT and a staged MERGE, in the simple and the extended protocol
(concurrency.py does the same for the upsert COPY). The upsert updates key 1 and inserts
key 3; a statement trigger on the target sleeps after the insert, so the session's warehouse
backend is terminated after the staged UPDATE changed key 1: the client gets an error, the
target keeps its rows (the UPDATE is undone with the staged transaction), and the staging
table went with the backend.
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh); else skips (77).
"""
import sys
import threading
import time

import psycopg

from upsert_e2e import check, connect, run_checks

DB = "blueshift_e2e_upsert_killed"
ROWS = "VALUES (1, 'lost'), (3, 'lost')"
FORMS = {
    "on_conflict": f"INSERT INTO upsert_killed (k, v) {ROWS} ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
    "merge": f"MERGE INTO upsert_killed t USING ({ROWS}) AS src (k, v) ON t.k = src.k "
             "WHEN MATCHED THEN UPDATE SET v = src.v WHEN NOT MATCHED THEN INSERT (k, v) VALUES (src.k, src.v)",
}
SLEEP = """CREATE OR REPLACE FUNCTION upsert_killed_sleep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$"""


def sleeping_backends(direct):
    return direct.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                          "AND wait_event = 'PgSleep'", (DB,)).fetchall()


def killed_mid_upsert(direct, proxy_port, name, sql, extended):
    what = f"{name} {'extended' if extended else 'simple'}"
    direct.execute("DROP TABLE IF EXISTS upsert_killed")
    direct.execute("CREATE TABLE upsert_killed (k int PRIMARY KEY, v text)")
    direct.execute("INSERT INTO upsert_killed VALUES (1, 'kept'), (2, 'kept')")
    direct.execute(SLEEP)
    direct.execute("CREATE TRIGGER sleep AFTER INSERT ON upsert_killed FOR EACH STATEMENT "
                   "EXECUTE FUNCTION upsert_killed_sleep()")
    outcome = []

    def client():
        try:
            with connect(proxy_port, DB) as c:
                (c.cursor() if extended else psycopg.ClientCursor(c)).execute(sql, prepare=extended or None)
                outcome.append("ran")
        except psycopg.Error as e:
            outcome.append(type(e).__name__)

    t = threading.Thread(target=client)
    t.start()
    pids = []
    for _ in range(100):  # until the staged load is running
        pids = sleeping_backends(direct)
        if pids:
            break
        time.sleep(0.1)
    killed = [direct.execute("SELECT pg_terminate_backend(%s)", (p,)).fetchone()[0] for (p,) in pids]
    t.join(60)
    check(f"{what}: the session's backend was terminated mid-upsert", killed == [True], killed)
    check(f"{what}: the client got an error", outcome and outcome[0] != "ran", outcome)
    for _ in range(50):  # the backend's exit drops its temp tables
        left = direct.execute("SELECT count(*) FROM pg_class WHERE relname ~ '^blueshift_(upsert|merge)_'").fetchone()[0]
        if left == 0:
            break
        time.sleep(0.1)
    check(f"{what}: no staging table left", left == 0, left)
    rows = direct.execute("SELECT k, v FROM upsert_killed ORDER BY k").fetchall()
    check(f"{what}: table unchanged", rows == [(1, "kept"), (2, "kept")], rows)


def checks(dev, proxy_port):
    with connect(dev, DB) as direct:  # a role may end its own backends
        for name, sql in FORMS.items():
            for extended in (False, True):
                killed_mid_upsert(direct, proxy_port, name, sql, extended)


if __name__ == "__main__":
    sys.exit(run_checks(DB, checks))

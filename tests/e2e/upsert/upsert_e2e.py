"""What the upsert e2e scripts that run fixed checks share (copy_load.py, concurrency.py,
copy_policies.py): connections, the check list, a fresh database of their own, and the
exit status tests/run.sh reads (77: skipped without the ports it exports)."""
import os

import psycopg

RESULTS = []  # (name, ok, detail)


def connect(port, db, user="analyst", password="analyst-dev-pw"):
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname={db} user={user} password={password}",
                           autocommit=True)


def check(name, ok, detail=""):
    RESULTS.append((name, bool(ok), detail))


def ports():
    """(warehouse port, proxy port) from tests/run.sh's environment; None without it."""
    if "BLUESHIFT_DEV_PORT" not in os.environ or "BLUESHIFT_TEST_PROXY_PORT" not in os.environ:
        print("skipped: needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh)")
        return None
    return int(os.environ["BLUESHIFT_DEV_PORT"]), int(os.environ["BLUESHIFT_TEST_PROXY_PORT"])


def fresh_database(dev_port, db):
    with connect(dev_port, "postgres", "postgres", "") as su:
        su.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        su.execute(f"CREATE DATABASE {db} OWNER analyst")


def report():
    """Prints the failed checks and a count; the process's exit status."""
    failed = [r for r in RESULTS if not r[1]]
    for name, _, detail in failed:
        print(f"FAILED {name}: {detail}")
    print(f"{len(RESULTS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_checks(db, body):
    """body(warehouse port, proxy port) on a fresh database `db`; the exit status."""
    found = ports()
    if not found:
        return 77
    fresh_database(found[0], db)
    body(*found)
    return report()

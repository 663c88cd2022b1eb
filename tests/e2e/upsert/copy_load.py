#!/usr/bin/python3
"""Upsert COPY FROM STDIN end to end on the dev warehouse (issue 12, rewrite/copy_upsert.h).

Through psycopg's copy() and psql's \\copy, a COPY marked with its key (the comment, or
SET blueshift.copy_upsert_key) replaces the rows of the keys it brings and inserts the
others; the client gets PostgreSQL's `COPY n`. A key given twice (21000), a bad row, and
a CopyFail change nothing and leave no staging table; inside the client's block the
upsert is part of it (a ROLLBACK undoes it). The expected contents are PostgreSQL's own:
the same rows applied natively with INSERT ... ON CONFLICT DO UPDATE to an oracle table.
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh); else skips (77).
"""
import os
import subprocess
import sys

import psycopg

from upsert_e2e import check, connect, run_checks

DB = "blueshift_e2e_upsert_copy"
COLUMNS = "k int, v text, n int DEFAULT 5"


def contents(c, table="upsert_copy_t"):
    return c.execute(f"SELECT k, v, n FROM {table} ORDER BY k NULLS FIRST, v").fetchall()


def staging_tables(c):
    return c.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'blueshift_copy%'").fetchone()[0]


def reset(direct, rows):
    for t in ("upsert_copy_t", "upsert_copy_oracle"):
        direct.execute(f"DROP TABLE IF EXISTS {t}")
        direct.execute(f"CREATE TABLE {t} ({COLUMNS}{', UNIQUE (k)' if t.endswith('oracle') else ''})")
        with direct.cursor().copy(f"COPY {t} (k, v, n) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)


def oracle(direct, rows):
    """PostgreSQL's native upsert of the same rows: what the table must hold."""
    with direct.cursor() as cur:
        cur.executemany("INSERT INTO upsert_copy_oracle (k, v, n) VALUES (%s, %s, %s) "
                        "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = EXCLUDED.n", rows)
    return contents(direct, "upsert_copy_oracle")


def copy_rows(proxy, sql, rows):
    with proxy.cursor() as cur:
        with cur.copy(sql) as cp:
            for r in rows:
                cp.write_row(r)
        return cur.statusmessage, cur.rowcount


def error_of(f):
    try:
        f()
    except psycopg.Error as e:
        return e.sqlstate
    return None


SEED = [(1, "a", 1), (2, "b", 2), (3, "c", 3), (None, "null key", 0)]
MARKED = "COPY upsert_copy_t (k, v, n) FROM STDIN /* blueshift:upsert key=(k) */"


def test_upsert(direct, proxy):
    rows = [(2, "b2", 20), (4, "d", 40), (None, "another null key", 9)]
    reset(direct, SEED)
    tag, count = copy_rows(proxy, MARKED, rows)
    check("copy: tag", tag == "COPY 3" and count == 3, f"{tag} {count}")
    check("copy: contents as native ON CONFLICT", contents(direct) == oracle(direct, rows), contents(direct))
    check("copy: no staging table left", staging_tables(direct) == 0)


def test_large_streams(direct, proxy):
    rows = [(k, "x" * 40, k) for k in range(0, 200000)]
    reset(direct, SEED)
    tag, _ = copy_rows(proxy, MARKED, rows)
    got = direct.execute("SELECT count(*), sum(n) FROM upsert_copy_t WHERE k IS NOT NULL").fetchone()
    check("large copy: tag and rows", tag == "COPY 200000" and got == (200000, sum(range(200000))), f"{tag} {got}")


def test_failures_change_nothing(direct, proxy):
    reset(direct, SEED)
    before = contents(direct)
    twice = error_of(lambda: copy_rows(proxy, MARKED, [(7, "x", 1), (7, "y", 2)]))
    check("duplicate key: 21000", twice == "21000", twice)
    bad = error_of(lambda: copy_rows(proxy, MARKED, [(8, "x", 1), ("not a number", "y", 2)]))
    check("bad row: 22P02", bad == "22P02", bad)

    def copy_fail():
        with proxy.cursor() as cur:
            with cur.copy(MARKED) as cp:
                cp.write_row((9, "x", 1))
                raise RuntimeError("client gives up")
    try:
        copy_fail()
    except (RuntimeError, psycopg.Error):
        pass
    check("failures: contents unchanged", contents(direct) == before, contents(direct))
    check("failures: no staging table left", staging_tables(proxy) == 0)
    check("failures: session usable", proxy.execute("SELECT 1").fetchone() == (1,) and
          proxy.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)


def test_in_client_block(direct, proxy):
    reset(direct, SEED)
    before = contents(direct)
    proxy.execute("BEGIN")
    tag, _ = copy_rows(proxy, MARKED, [(1, "in block", 0)])
    seen = proxy.execute("SELECT v FROM upsert_copy_t WHERE k = 1").fetchone()
    proxy.execute("ROLLBACK")
    check("block: tag and own rows seen", tag == "COPY 1" and seen == ("in block",), f"{tag} {seen}")
    check("block: rollback undoes it", contents(direct) == before)
    proxy.execute("BEGIN")
    twice = error_of(lambda: copy_rows(proxy, MARKED, [(7, "x", 1), (7, "y", 2)]))
    status = proxy.info.transaction_status
    proxy.execute("ROLLBACK")
    check("block: an error fails the block", twice == "21000" and status == psycopg.pq.TransactionStatus.INERROR,
          f"{twice} {status}")
    check("block: nothing left", contents(direct) == before and staging_tables(proxy) == 0)


def test_psql_session_key(direct, proxy_port):
    rows = [(3, "c3", 30), (5, "e", 50)]
    reset(direct, SEED)
    script = ("SET blueshift.copy_upsert_key = 'k';\n\\copy upsert_copy_t (k, v, n) from stdin\n" +
              "".join(f"{k}\t{v}\t{n}\n" for k, v, n in rows) + "\\.\nRESET blueshift.copy_upsert_key;\n")
    out = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(proxy_port),
                          "-U", "analyst", "-d", DB, "-f", "-"], input=script, capture_output=True, text=True,
                         env=dict(os.environ, PGPASSWORD="analyst-dev-pw"))
    check("psql \\copy with the session key: COPY 2", out.returncode == 0 and "COPY 2" in out.stdout,
          out.stdout + out.stderr)
    check("psql \\copy: contents as native ON CONFLICT", contents(direct) == oracle(direct, rows), contents(direct))


def checks(dev, proxy_port):
    with connect(dev, DB) as direct, connect(proxy_port, DB) as proxy:
        test_upsert(direct, proxy)
        test_large_streams(direct, proxy)
        test_failures_change_nothing(direct, proxy)
        test_in_client_block(direct, proxy)
        test_psql_session_key(direct, proxy_port)


def main():
    return run_checks(DB, checks)


if __name__ == "__main__":
    sys.exit(main())

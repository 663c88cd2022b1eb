#!/usr/bin/python3
"""Bind-time tier routing (issue 11): a prepared statement whose dates are $n parameters is
routed at each Bind by the values bound, and executed again with other dates, routed again.

The warehouse's own statement log says what ran: the test logs in as `tier_bind` (or
`tier_bind_jdbc`; members of etl whose roles have log_statement = 'all') and reads the `execute` lines of its
statements, each naming the lake (spectrum_schema.sales), the local table
(public.sales_fact) or both. Rows must equal the same statement run directly over the whole
history.

psycopg:     server-side binding (prepare_threshold=0), text and binary (%b) date values:
             local only, lake only (with partition literals) and both, in that order, from
             one prepared statement.
jdbc:        TierJdbc.java as tier_bind: the same order for each of its statements.
refusals:   an analyst's one prepared statement, bound with dates whose lake part matches too
             many partitions, is refused at that Bind by the rule (nothing runs), and the
             same statement bound with narrower dates runs: each Bind is checked as routed.
external:    a prepared date query straight on the lake (spectrum_schema.sales, no tier pair)
             runs at each Bind with the partition predicates its values imply, as etl and as
             an analyst (whose rules refuse a lake scan without them), with the rows of the
             same statement run directly, unrouted.
adversarial: values that would be unsafe in a text (quotes, NULL, infinity, out of range,
             not a date) route conservatively or fail as the warehouse fails them directly:
             never a lost row, never a different error, never SQL from a value.

Usage: tier_bind.py [psycopg|jdbc|refusals|external|adversarial] (default: all). Run with the system python3,
which has Debian's python3-psycopg.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "policies"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
from harness import check, check_eq  # noqa: E402
import tier_tests as tt  # noqa: E402

USER, PASSWORD = "tier_bind", "tier-bind-pw"
JDBC_USER = "tier_bind_jdbc"  # its own role: its log lines carry no marker, and tests run side by side
LOCAL, LAKE, BOTH = "local", "lake", "both"
# The local table holds 2024-10..2024-12; the lake all of it.
RANGES = [((dt.date(2024, 11, 1), dt.date(2024, 12, 1)), LOCAL),
          ((dt.date(2023, 2, 1), dt.date(2023, 3, 15)), LAKE),
          ((dt.date(2024, 8, 20), dt.date(2024, 10, 20)), BOTH)]


superuser = h.superuser


def setup(user=USER):
    """The logged role, and where the warehouse's log stands now."""
    with superuser() as su:
        h.logged_role(su, user, "etl", PASSWORD)
        return h.log_position(su)


def executed(log, since, marker, user=USER):
    """The tiers of each `execute` line of user's statements holding marker, in order."""
    with superuser() as su:
        size = su.execute("SELECT (pg_stat_file(%s)).size", (log,)).fetchone()[0]
        text = su.execute("SELECT pg_read_file(%s, %s, %s)", (log, since, size - since)).fetchone()[0]
    out = []
    for line in text.splitlines():
        if f"{user}@dev" not in line or "execute" not in line or marker not in line or "CREATE TEMP VIEW" in line:
            continue  # the reference view's creation names the lake too
        lake, local = "spectrum_schema" in line, "public.sales_fact" in line
        if lake or local:
            out.append((BOTH if lake and local else LAKE if lake else LOCAL, line))
    return out


def conninfo(port, application_name):
    return (f"host=127.0.0.1 port={port} dbname=dev user={USER} password={PASSWORD} "
            f"application_name={application_name}")


@contextlib.contextmanager
def sessions():
    """psycopg with server-side binding through a private routing proxy, and directly on the
    warehouse with the reference view over the whole history."""
    import psycopg
    with tt.start_proxy() as proxy:
        with h.Conn(tt.PORT, user="etl", password="etl-dev-pw") as probe:
            tt.wait_for_watermark(proxy, probe)
        with psycopg.connect(conninfo(tt.PORT, "e2e_tier_bind"), prepare_threshold=0, autocommit=True) as via, \
                psycopg.connect(conninfo(h.dev_port(), "e2e_tier_bind_direct"), autocommit=True) as direct:
            direct.execute(tt.REFERENCE)
            yield via, direct


def run_both(proxy_conn, direct_conn, sql, values):
    """The statement through the proxy and directly over the whole history: (rows, sqlstate) each."""
    import psycopg
    out = []
    for conn, text in ((proxy_conn, sql), (direct_conn, tt.reference_sql(sql))):
        try:
            out.append((conn.execute(text, values, prepare=True).fetchall(), None))
        except psycopg.Error as e:
            out.append((None, e.sqlstate))
    return out


def test_psycopg():
    log, since = setup()
    marker = f"tier_bind_{uuid.uuid4().hex[:8]}"
    queries = [f"SELECT COUNT(*), SUM(amount) FROM public.sales_fact WHERE sale_date >= %s AND sale_date < %s "
               f"/* {marker} text */",
               f"SELECT * FROM public.sales_fact WHERE sale_date >= %b AND sale_date < %b "
               f"ORDER BY amount DESC, sale_id LIMIT 5 /* {marker} binary */"]
    with sessions() as (via, direct):
        for sql in queries:
            for values, _ in RANGES:
                got, want = run_both(via, direct, sql, values)
                check_eq(got, want, f"{sql[-20:]} {values}: rows through the proxy against the whole history")
                check(got[0] and got[0][0][0] not in (0, None), f"{values}: rows to compare")
    time.sleep(0.3)  # the warehouse's log writer
    lines = executed(log, since, marker)
    tiers = [t for t, _ in lines]
    print("\n".join(line for _, line in lines))
    check_eq(tiers, [tier for _, tier in RANGES] * len(queries),
             "one prepared statement each, executed lake-only, local-only and both as its dates ask")
    lake = [line for t, line in lines if t == LAKE]
    check(all('"year" = 2023' in line for line in lake), "the lake-only runs carry the partition literals")
    check(all("$1" in line and "$2" in line for _, line in lines), "the client's $n stay in the text that runs")


def test_jdbc():
    java = shutil.which("java")
    if java is None or not os.path.exists("/usr/share/java/postgresql.jar"):
        print("skip: no java or PostgreSQL JDBC driver")
        sys.exit(77)
    log, since = setup(JDBC_USER)
    with tt.start_proxy() as proxy:
        with h.Conn(tt.PORT, user="etl", password="etl-dev-pw") as probe:
            tt.wait_for_watermark(proxy, probe)
        run = subprocess.run([java, "-cp", "/usr/share/java/postgresql.jar", os.path.join(HERE, "TierJdbc.java"),
                              str(tt.PORT), str(h.dev_port()), JDBC_USER, PASSWORD], capture_output=True, text=True,
                             timeout=150)
        print(run.stdout + run.stderr)
        check(run.returncode == 0, "JDBC rows through the proxy equal the whole history's")
    time.sleep(0.3)
    lines = executed(log, since, "SELECT", JDBC_USER)
    print("\n".join(line for _, line in lines))
    # TierJdbc's ranges: local, lake, both, both (2022..2025), for each of its 3 statements.
    check_eq([t for t, _ in lines], [LOCAL, LAKE, BOTH, BOTH] * 3, "JDBC: each execution routed by its dates")


# (what, values): each must give through the proxy what it gives directly.
ADVERSARIAL = [
    ("quotes", ("2024-11-01' OR '1'='1", "2024-12-01")),
    ("quote in the end", ("2024-11-01", "2024-12-01'); DROP TABLE public.sales_fact; --")),
    ("null start", (None, "2024-12-01")),
    ("null end", ("2023-02-01", None)),
    ("infinity", ("-infinity", "infinity")),
    ("out of range", ("2023-01-01", "99999-12-31")),
    ("not a date", ("yesterday-ish", "2024-12-01")),
    ("bad month", ("2024-13-01", "2024-12-01")),
    ("timestamp text", ("2023-02-01 23:59:59", "2023-02-02 00:00:01")),
    ("BC", ("0100-01-01 BC", "2024-12-01")),
]


def test_adversarial():
    setup()
    sql = "SELECT COUNT(*), SUM(amount), MIN(sale_date), MAX(sale_date) FROM public.sales_fact " \
          "WHERE sale_date >= %s AND sale_date < %s"
    with sessions() as (via, direct):
        for what, values in ADVERSARIAL:
            got, want = run_both(via, direct, sql, values)
            check_eq(got, want, f"{what}: through the proxy as directly over the whole history")
        # The session and the table are still there.
        got, want = run_both(via, direct, sql, RANGES[2][0])
        check_eq(got, want, "a routed statement after the adversarial values")
        check(got[0][0][0] > 0, "the local table still holds its rows")


def test_refusals():
    """The Bind's routed text is what the policies check: a prepared date query cannot be used
    to scan more of the lake than the analysts' rule allows by binding wider dates later."""
    import psycopg
    sql = "SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= %s AND sale_date < %s"
    info = f"host=127.0.0.1 port={tt.PORT} dbname=dev user=analyst password={h.USERS['analyst']} " \
           "application_name=e2e_tier_bind_refusals"
    with tt.start_proxy() as proxy:
        with h.Conn(tt.PORT, user="etl", password="etl-dev-pw") as probe:
            tt.wait_for_watermark(proxy, probe)
        with psycopg.connect(info, prepare_threshold=0, autocommit=True) as analyst:
            narrow = analyst.execute(sql, (dt.date(2024, 8, 1), dt.date(2024, 10, 20)), prepare=True).fetchall()
            check(narrow[0][0] > 0, f"two lake months and the local table run: {narrow}")
            # 2023-01..2024-09 from the lake: 21 partitions, over the analysts' 12.
            try:
                analyst.execute(sql, (dt.date(2023, 1, 1), dt.date(2024, 12, 1)), prepare=True).fetchall()
                check(False, "a Bind whose dates read 21 lake months ran")
            except psycopg.Error as e:
                check_eq(e.sqlstate, "42501", f"the wide Bind is refused: {e}")
                check(h.RULE_MAX in str(e), f"the refusal names the rule: {e}")
            local = analyst.execute(sql, (dt.date(2024, 11, 1), dt.date(2024, 12, 1)), prepare=True).fetchall()
            check(local[0][0] > 0, f"the same statement, local dates, after the refusal: {local}")


# Dates on the lake alone, each within a year: (values, the partition literals they imply).
EXTERNAL_RANGES = [((dt.date(2023, 2, 1), dt.date(2023, 3, 15)), ('"year" = 2023', '"month" BETWEEN 2 AND 3')),
                   ((dt.date(2024, 8, 20), dt.date(2024, 10, 20)), ('"year" = 2024', '"month" BETWEEN 8 AND 10'))]


def test_external():
    """A BI tool's prepared date range on the external table itself is pruned at each Bind."""
    import psycopg
    log, since = setup()
    marker = f"tier_bind_ext_{uuid.uuid4().hex[:8]}"
    sql = f"SELECT COUNT(*), SUM(amount), MIN(sale_date) FROM spectrum_schema.sales " \
          f"WHERE sale_date >= %s AND sale_date < %s /* {marker} */"
    analyst_info = f"host=127.0.0.1 port={tt.PORT} dbname=dev user=analyst password={h.USERS['analyst']} " \
                   "application_name=e2e_tier_bind_external"
    with tt.start_proxy(), \
            psycopg.connect(conninfo(tt.PORT, "e2e_tier_bind"), prepare_threshold=0, autocommit=True) as via, \
            psycopg.connect(analyst_info, prepare_threshold=0, autocommit=True) as analyst, \
            psycopg.connect(f"host=127.0.0.1 port={h.dev_port()} dbname=dev user=etl password=etl-dev-pw "
                            "application_name=e2e_tier_bind_direct", autocommit=True) as direct:
        for values, _ in EXTERNAL_RANGES:
            want = direct.execute(sql, values, prepare=True).fetchall()
            check(want[0][0] > 0, f"{values}: rows to compare")
            for who, conn in (("etl", via), ("analyst", analyst)):
                try:
                    got = conn.execute(sql, values, prepare=True).fetchall()
                except psycopg.Error as e:
                    raise h.TestFailure(f"{who} {values}: refused through the proxy: {e.sqlstate} {e}")
                check_eq(got, want, f"{who} {values}: rows through the proxy against the unrouted statement")
    time.sleep(0.3)  # the warehouse's log writer
    lines = [line for _, line in executed(log, since, marker)]
    print("\n".join(lines))
    check_eq(len(lines), len(EXTERNAL_RANGES), "one execution of the logged role per range")
    for line, (_, literals) in zip(lines, EXTERNAL_RANGES):
        check(all(lit in line for lit in literals), f"the execution carries the partition literals {literals}")
        check("$1" in line and "$2" in line, "the client's $n stay in the text that runs")


TESTS = {"psycopg": test_psycopg, "jdbc": test_jdbc, "refusals": test_refusals, "external": test_external,
         "adversarial": test_adversarial}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

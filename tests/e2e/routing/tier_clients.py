#!/usr/bin/python3
"""Tier routing through real drivers with date parameters (issue 11): psycopg 3 with
server-side binding (prepare_threshold=0) and PostgreSQL JDBC (TierJdbc.java), each
statement executed again with other dates. Rows through the proxy must equal the same
statement run directly over the whole history, and each routed statement gets an audit line.

Usage: tier_clients.py [psycopg|jdbc] (default: both). Run with the system python3, which
has Debian's python3-psycopg.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "policies"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
from harness import check, check_eq  # noqa: E402
import tier_tests as tt  # noqa: E402

RANGES = [(dt.date(2024, 11, 1), dt.date(2024, 12, 1)), (dt.date(2023, 2, 1), dt.date(2023, 3, 15)),
          (dt.date(2024, 8, 20), dt.date(2024, 10, 20)), (dt.date(2022, 1, 1), dt.date(2025, 1, 1))]
QUERIES = [
    "SELECT COUNT(*), SUM(amount) FROM public.sales_fact WHERE sale_date >= %s AND sale_date < %s",
    "SELECT c.region, COUNT(*), SUM(s.amount) FROM public.sales_fact s JOIN public.customers c "
    "ON c.customer_id = s.customer_id WHERE s.sale_date BETWEEN %s AND %s GROUP BY c.region ORDER BY c.region",
    "SELECT * FROM public.sales_fact WHERE sale_date >= %s AND sale_date < %s ORDER BY amount DESC, sale_id LIMIT 5",
]


def conninfo(port):
    return f"host=127.0.0.1 port={port} dbname=dev user=etl password=etl-dev-pw application_name=e2e_tier_psycopg"


def psycopg_rows(port, reference):
    import psycopg
    out = []
    with psycopg.connect(conninfo(port), prepare_threshold=0) as conn:
        if reference:
            conn.execute(tt.REFERENCE)
        for q in QUERIES:
            sql = tt.reference_sql(q) if reference else q
            for r in RANGES:
                out.append((q[:40], r, conn.execute(sql, r, prepare=True).fetchall()))
    return out


def test_psycopg():
    with tt.start_proxy() as proxy:
        with h.Conn(tt.PORT, user="etl", password="etl-dev-pw") as probe:
            tt.wait_for_watermark(proxy, probe)
        before = tt.routed_count(proxy)
        got = psycopg_rows(tt.PORT, False)
        want = psycopg_rows(h.dev_port(), True)
        check_eq(got, want, "psycopg rows through the proxy against the whole history")
        check(sum(len(rows) for _, _, rows in got) >= 20, "the psycopg queries return rows")
        check(len(tt.tier_records(proxy, before, len(QUERIES))) >= len(QUERIES), "an audit line per routed statement")


def test_jdbc():
    java = shutil.which("java")
    if java is None or not os.path.exists("/usr/share/java/postgresql.jar"):
        print("skip: no java or PostgreSQL JDBC driver")
        sys.exit(77)
    with tt.start_proxy() as proxy:
        with h.Conn(tt.PORT, user="etl", password="etl-dev-pw") as probe:
            tt.wait_for_watermark(proxy, probe)
        before = tt.routed_count(proxy)
        run = subprocess.run([java, "-cp", "/usr/share/java/postgresql.jar", os.path.join(HERE, "TierJdbc.java"),
                              str(tt.PORT), str(h.dev_port())], capture_output=True, text=True, timeout=150)
        print(run.stdout + run.stderr)
        check(run.returncode == 0, "JDBC rows through the proxy equal the whole history's")
        check(len(tt.tier_records(proxy, before, 3)) >= 3, "an audit line per routed statement")


TESTS = {"psycopg": test_psycopg, "jdbc": test_jdbc}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

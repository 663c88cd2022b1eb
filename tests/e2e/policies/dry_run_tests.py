#!/usr/bin/python3
"""Dry runs, the estimate in audit lines, and reconcile, end to end (issue 13), against a
private proxy each (ports 6790-6793) and the dev warehouse. Run with /usr/bin/python3
(Debian's python3-psycopg).

  psql       SET blueshift.dry_run = on through psql: one row per external table with the
             estimate (the partition files' real sizes) and the decision; SHOW; BEGIN/SET/
             COMMIT still run; the statements answered never reach the warehouse (its
             statement log), while the same text with the dry run off does.
  psycopg    the extended protocol: cursor.description (Describe) and the estimate following
             the Bind values; nothing reaches the warehouse.
  audit      an allowed governed scan writes an audit line carrying its estimate.
  reconcile  estimates matched to a table shaped like SVL_S3QUERY_SUMMARY: actual bytes and
             the error ratio recorded in the results table, and exported in /metrics
             (blueshift_reconcile_*, metrics endpoint on port 6893).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
import uuid

import harness as h

psycopg = h.import_psycopg()

PORTS = {"psql": 6790, "psycopg": 6791, "audit": 6792, "reconcile": 6793}
COLUMNS = ["table_name", "partitions_matched", "partitions_total", "estimated_bytes", "estimated_cost_usd",
           "decision"]
MIB = 1 << 20
TIB = 1 << 40
TWO_MONTHS = "select count(*), sum(amount) from spectrum_schema.sales where year = 2024 and month in (1, 2)"
YEARS = ("select count(*) from spectrum_schema.sales where year between %s and %s "
         "and month between 1 and 12")


def superuser():
    return psycopg.connect(f"host=127.0.0.1 port={h.dev_port()} dbname=dev user=postgres", autocommit=True)


def connect(port, user="analyst"):
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname=dev user={user} password={h.USERS[user]} "
                           "connect_timeout=10 application_name=e2e_dry_run", autocommit=True)


def partition_bytes(months, years=(2024,)):
    """The dev lake's own file sizes of sales' partitions `years` x `months`."""
    with superuser() as su:
        rows = su.execute("SELECT \"values\", size_bytes FROM blueshift_external_partition_files "
                          "WHERE schemaname = 'spectrum_schema' AND tablename = 'sales'").fetchall()
    wanted = [[str(y), f"{m:02d}"] for y in years for m in months]
    total, seen = 0, 0
    for values, size in rows:
        v = json.loads(values) if values.startswith("[") else values.strip("{}").split(",")
        if [str(x).strip('"') for x in v] in wanted:
            total += size
            seen += 1
    h.check_eq(seen, len(wanted), "partition files found")
    return total


def billed_usd(nbytes):
    """Spectrum's price: rounded up to the MiB, 10 MiB minimum, $5 per TiB."""
    billed = max(-(-nbytes // MIB) * MIB, 10 * MIB) if nbytes else 0
    return billed / TIB * 5


class StatementLog:
    """The warehouse's statement log for analyst's sessions in dev, while the test runs."""

    def __enter__(self):
        with superuser() as su:
            su.execute("ALTER ROLE analyst IN DATABASE dev SET log_statement = 'all'")
            self.file, self.start = h.log_position(su)
        return self

    def text(self):
        with superuser() as su:
            return su.execute("SELECT pg_read_file(%s, %s, (pg_stat_file(%s)).size - %s)",
                              (self.file, self.start, self.file, self.start)).fetchone()[0]

    def __exit__(self, *exc):
        with superuser() as su:
            su.execute("ALTER ROLE analyst IN DATABASE dev RESET log_statement")
        return False


def marker():
    return f"dry_run_{uuid.uuid4().hex[:12]}"


# ------------------------------------------------------------------ psql, simple protocol

def test_psql():
    expected = partition_bytes([1, 2])
    mark, control, set_mark = marker(), marker(), marker()
    with h.Proxy(PORTS["psql"]) as p, StatementLog() as log:
        script = (f"SET blueshift.dry_run = on;\nSHOW blueshift.dry_run;\n"
                  f"{TWO_MONTHS} /* {mark} */;\n"
                  f"select count(*) from spectrum_schema.sales /* {mark} */;\n"
                  f"select 1 /* {mark} */;\n"
                  f"BEGIN;\nSET statement_timeout = 0 /* {set_mark} */;\nCOMMIT;\n"
                  f"SET blueshift.dry_run = off;\nSHOW blueshift.dry_run;\n"
                  f"{TWO_MONTHS} /* {control} */;\n")
        rc, out, err = h.psql(p.port, "analyst", script)
        h.check(rc == 0 and "ERROR" not in err, f"psql failed ({rc}): {err}\n{out}")
        lines = out.splitlines()
        h.check_eq(lines[0], "on", "SHOW blueshift.dry_run during the dry run")
        usd = f"{billed_usd(expected):.6f}"
        h.check_eq(lines[1], f"spectrum_schema.sales|2|36|{expected}|{usd}|allow", "dry run of two months")
        everything = partition_bytes(range(1, 13), (2022, 2023, 2024))
        h.check_eq(lines[2], f"spectrum_schema.sales|36|36|{everything}|{billed_usd(everything):.6f}"
                   "|refuse (analysts-must-filter-partitions)", "dry run of a full scan")
        h.check_eq(lines[3], "off", "SHOW blueshift.dry_run after it")
        h.check(int(lines[4].split("|")[0]) > 0, f"the real run's count after the dry run: {lines[4:]}")
        text = log.text()
    h.check(mark not in text, f"a dry-run statement reached the warehouse:\n{text[-2000:]}")
    h.check(set_mark in text, "SET inside BEGIN/COMMIT did not run during the dry run")
    h.check(control in text, "the statement log shows nothing of the real run: the check would see nothing")


# ------------------------------------------------------------------ psycopg, extended protocol

def test_psycopg():
    mark = marker()
    one_year = partition_bytes(range(1, 13))
    with h.Proxy(PORTS["psycopg"]) as p, StatementLog() as log, connect(p.port) as c:
        c.prepare_threshold = 0  # server-side prepared statements: Parse, Bind, Describe, Execute
        c.execute("SET blueshift.dry_run = on")
        cur = c.execute(f"{YEARS} /* {mark} */", ("2024", "2024"), prepare=True)
        h.check_eq([d.name for d in cur.description], COLUMNS, "Describe of the dry-run portal")
        rows = cur.fetchall()
        h.check_eq(len(rows), 1, f"rows {rows}")
        table, matched, total, nbytes, usd, decision = rows[0]
        h.check_eq((table, matched, total, nbytes, decision), ("spectrum_schema.sales", 12, 36, one_year, "allow"),
                   "one year, at Bind")
        h.check(abs(float(usd) - billed_usd(one_year)) < 1e-6, f"usd {usd}")
        rows = c.execute(f"{YEARS} /* {mark} */", ("2022", "2024"), prepare=True).fetchall()
        h.check_eq((rows[0][1], rows[0][5]), (36, "refuse (analysts-max-12-partitions)"), "three years, at Bind")
        # Describe of the statement alone (no Bind yet): the same columns.
        desc = c.cursor()
        desc.execute(f"select * from public.sales_fact /* {mark} */", prepare=True)
        h.check_eq([d.name for d in desc.description], COLUMNS, "a local table's dry run: same columns")
        h.check_eq(desc.fetchall(), [], "no external table: no rows")
        c.execute("SET blueshift.dry_run = off")
        real = c.execute(YEARS, ("2024", "2024")).fetchall()
        h.check(real[0][0] > 0, f"the real run after the dry run: {real}")
        text = log.text()
    h.check(mark not in text, f"a dry-run statement reached the warehouse:\n{text[-2000:]}")


# ------------------------------------------------------------------ audit lines carry the estimate

def test_audit():
    expected = partition_bytes([1, 2])
    with h.Proxy(PORTS["audit"]) as p, connect(p.port) as c:
        c.execute(TWO_MONTHS).fetchall()
        pid = c.execute("select pg_backend_pid()").fetchone()[0]
        deadline = time.monotonic() + 5
        while not p.audit_lines() and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = p.audit_lines()
    h.check_eq(len(lines), 1, f"audit lines {lines}")
    line = lines[0]
    h.check_eq(line["outcome"], "passed", "an allowed governed scan")
    h.check_eq(line["backend_pid"], pid, "the session's server pid")
    e = line["estimate"]
    h.check_eq((e["partitions_matched"], e["partitions_total"], e["bytes"]), (2, 36, expected), "estimate")
    h.check(abs(e["usd"] - billed_usd(expected)) < 1e-9, f"usd {e['usd']}")
    h.check_eq(e["tables"], [{"table": "spectrum_schema.sales", "partitions_matched": 2, "partitions_total": 36,
                              "bytes": expected}], "per table")


# ------------------------------------------------------------------ reconcile

RECONCILE = """    sizes_from_warehouse: true
    reconcile:
      view: e2e_reconcile.s3query_summary
      table: e2e_reconcile.results
      interval_seconds: 1
      slack_seconds: 2"""


def scrape(http_port):
    """Every sample of the proxy's /metrics, parsed by prometheus_client: {(name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10) as r:
        body = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def test_reconcile():
    with superuser() as su:
        su.execute("DROP SCHEMA IF EXISTS e2e_reconcile CASCADE")
        su.execute("CREATE SCHEMA e2e_reconcile AUTHORIZATION etl")
        # The columns of Redshift's SVL_S3QUERY_SUMMARY that reconcile reads, and some beside.
        su.execute("CREATE TABLE e2e_reconcile.s3query_summary (userid int, query int, xid bigint, pid int, "
                   "segment int, step int, starttime timestamp, endtime timestamp, aborted int, "
                   "external_table_name char(136), s3_scanned_rows bigint, s3_scanned_bytes bigint, files int)")
        su.execute("ALTER TABLE e2e_reconcile.s3query_summary OWNER TO etl")
    expected = partition_bytes([1, 2])
    http = PORTS["reconcile"] + 100  # 6893: the metrics endpoint
    overrides = {"    sizes_from_warehouse: true": RECONCILE, "audit:\n": f"http:\n  listen: 127.0.0.1:{http}\naudit:\n"}
    with h.Proxy(PORTS["reconcile"], overrides) as p, connect(p.port) as c:
        pid = c.execute("select pg_backend_pid()").fetchone()[0]
        c.execute(TWO_MONTHS).fetchall()
        # What the warehouse would record for it: two segments, the second scanned less.
        with superuser() as su:
            for segment, nbytes in ((0, 300000), (1, 100000)):
                su.execute("INSERT INTO e2e_reconcile.s3query_summary (userid, query, pid, segment, step, starttime, "
                           "s3_scanned_bytes) VALUES (100, 4242, %s, %s, 0, now() at time zone 'utc', %s)",
                           (pid, segment, nbytes))
            # Another session's query at the same time is not this statement's.
            su.execute("INSERT INTO e2e_reconcile.s3query_summary (query, pid, starttime, s3_scanned_bytes) "
                       "VALUES (4243, %s, now() at time zone 'utc', 5)", (pid + 100000,))
        rows = []
        deadline = time.monotonic() + 20
        while not rows and time.monotonic() < deadline:
            time.sleep(0.5)
            with superuser() as su:
                if su.execute("SELECT to_regclass('e2e_reconcile.results')").fetchone()[0]:
                    rows = su.execute("SELECT user_name, backend_pid, query, estimated_bytes, actual_bytes, "
                                      "error_ratio FROM e2e_reconcile.results").fetchall()
        log = p.log_text()
        metrics = scrape(http)
    h.check_eq(len(rows), 1, f"reconciled rows (proxy log:\n{log[-1500:]})")
    user, rpid, query, estimated, actual, ratio = rows[0]
    h.check_eq((user, rpid, query, estimated, actual), ("analyst", pid, 4242, expected, 400000), "reconciled row")
    h.check(abs(ratio - (expected - 400000) / 400000) < 1e-6, f"error ratio {ratio}")
    # The same in /metrics: one statement matched, the bytes on each side, the ratio observed once.
    h.check_eq(metrics.get(("blueshift_reconcile_statements_total", (("result", "matched"),))), 1.0, "matched")
    h.check_eq(metrics.get(("blueshift_reconcile_bytes_total", (("source", "estimated"),))), float(expected),
               "estimated bytes in /metrics")
    h.check_eq(metrics.get(("blueshift_reconcile_bytes_total", (("source", "actual"),))), 400000.0,
               "actual bytes in /metrics")
    h.check_eq(metrics.get(("blueshift_reconcile_error_ratio_count", ())), 1.0, "error ratios observed")
    h.check(abs(metrics.get(("blueshift_reconcile_error_ratio_sum", ()), 0) - ratio) < 1e-6,
            f"error ratio sum in /metrics: {metrics.get(('blueshift_reconcile_error_ratio_sum', ()))}, row {ratio}")
    h.check("reconcile: 1 statements matched to e2e_reconcile.s3query_summary" in log,
            f"no reconcile log line:\n{log[-1500:]}")
    with superuser() as su:
        su.execute("DROP SCHEMA IF EXISTS e2e_reconcile CASCADE")


if __name__ == "__main__":
    h.run_tests({"psql": test_psql, "psycopg": test_psycopg, "audit": test_audit, "reconcile": test_reconcile},
                sys.argv)

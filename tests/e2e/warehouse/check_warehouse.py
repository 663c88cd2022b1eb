#!/usr/bin/env python3
"""Checks the dev warehouse that every other e2e test stands on: logins and their auth
methods, the Redshift catalog views, hot/cold agreement, partition pruning, privileges, and
the lake generator's determinism. Talks to it the way clients do: psql over 127.0.0.1.

Needs a running warehouse (tests/run.sh starts one; or deploy/dev/warehouse.sh start).
Environment: BLUESHIFT_DEV_PORT (5440), BLUESHIFT_DEV_DIR (<root>/.dev/warehouse),
BLUESHIFT_ROOT (the repo; default: three folders up from this file).
"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("BLUESHIFT_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PORT = os.environ.get("BLUESHIFT_DEV_PORT", "5440")
DEV_DIR = os.environ.get("BLUESHIFT_DEV_DIR") or os.path.join(ROOT, ".dev", "warehouse")
PSQL = "/usr/lib/postgresql/15/bin/psql"
PASSWORDS = {"analyst": "analyst-dev-pw", "etl": "etl-dev-pw", "legacy": "legacy-dev-pw"}
YEARS = range(2022, 2025)


class CheckFailed(Exception):
    pass


def psql(sql, user="postgres", password=None, expect_ok=True):
    """Runs sql with psql as user over TCP; returns (rc, rows as lists of fields, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    if user in PASSWORDS or password is not None:
        env["PGPASSWORD"] = password if password is not None else PASSWORDS[user]
    cmd = [PSQL, "-X", "-A", "-t", "-q", "-w", "-F", "|", "-v", "ON_ERROR_STOP=1",
           "-h", "127.0.0.1", "-p", PORT, "-U", user, "-d", "dev", "-c", sql]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if expect_ok and p.returncode != 0:
        raise CheckFailed(f"psql as {user} failed ({p.returncode}): {p.stderr.strip()}\n  sql: {sql}")
    rows = [line.split("|") for line in p.stdout.splitlines() if line != ""]
    return p.returncode, rows, p.stderr


def scalar(sql, user="postgres"):
    _, rows, _ = psql(sql, user)
    if len(rows) != 1 or len(rows[0]) != 1:
        raise CheckFailed(f"expected one value from {sql!r}, got {rows!r}")
    return rows[0][0]


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def manifest():
    with open(os.path.join(DEV_DIR, "lake", "_manifest.json")) as f:
        return json.load(f)


# --- checks -------------------------------------------------------------------------------

def check_password_logins():
    for user in PASSWORDS:
        expect(scalar("SELECT current_user", user) == user, f"{user} did not log in as itself")


def check_wrong_password_fails():
    for user in PASSWORDS:
        rc, _, err = psql("SELECT 1", user, password="not-the-password", expect_ok=False)
        expect(rc != 0, f"{user} logged in with a wrong password")
        expect(f'password authentication failed for user "{user}"' in err,
               f"unexpected error for wrong {user} password: {err.strip()}")


def check_auth_methods():
    # The first pg_hba rule matching a TCP login from 127.0.0.1 decides the method.
    _, rows, _ = psql("SELECT array_to_string(user_name, ','), address, auth_method "
                      "FROM pg_hba_file_rules WHERE type = 'host' ORDER BY line_number")
    def method_for(user):
        for names, address, method in rows:
            if address == "127.0.0.1" and (user in names.split(",") or names == "all"):
                return method
        return None
    expect(method_for("analyst") == "scram-sha-256", f"analyst: {method_for('analyst')}")
    expect(method_for("etl") == "md5", f"etl: {method_for('etl')}")
    expect(method_for("legacy") == "password", f"legacy: {method_for('legacy')}")
    stored = dict(psql("SELECT rolname, split_part(rolpassword, '$', 1) FROM pg_authid "
                       "WHERE rolname IN ('analyst', 'etl', 'legacy')")[1])
    expect(stored.get("analyst") == "SCRAM-SHA-256", f"analyst stored as {stored.get('analyst')}")
    expect(stored.get("etl", "").startswith("md5"), f"etl stored as {stored.get('etl')}")


def check_group_membership():
    expect(scalar("SELECT pg_has_role('analyst', 'analysts', 'member')") == "t",
           "analyst is not a member of group analysts")
    expect(scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'analysts'") == "f",
           "group analysts can log in")


def check_server_settings():
    expect(scalar("SHOW listen_addresses") == "127.0.0.1", "listens beyond 127.0.0.1")
    expect(int(scalar("SHOW max_connections")) >= 1000, "max_connections below 1000")


def check_external_schema_and_table():
    _, rows, _ = psql("SELECT schemaname, eskind, databasename FROM svv_external_schemas", "analyst")
    expect(rows == [["spectrum_schema", "1", "spectrum_db"]], f"svv_external_schemas: {rows}")
    _, rows, _ = psql("SELECT redshift_database_name, schemaname, tablename, tabletype, location "
                      "FROM svv_external_tables", "analyst")
    expect(rows == [["dev", "spectrum_schema", "sales", "TABLE", "s3://blueshift-dev-lake/sales/"]],
           f"svv_external_tables: {rows}")


def check_partitions():
    _, rows, _ = psql("SELECT \"values\", location FROM pg_catalog.svv_external_partitions "
                      "WHERE schemaname = 'spectrum_schema' AND tablename = 'sales'", "analyst")
    expect(len(rows) == 36, f"expected 36 partitions, got {len(rows)}")
    want = {f'["{y}","{m:02d}"]': f"s3://blueshift-dev-lake/sales/year={y}/month={m:02d}/"
            for y in YEARS for m in range(1, 13)}
    got = {v: loc for v, loc in rows}
    expect(got == want, f"partition values/locations differ: {sorted(set(got.items()) ^ set(want.items()))[:4]}")
    # The public alias serves the same rows.
    expect(scalar("SELECT count(*) FROM public.svv_external_partitions", "analyst") == "36",
           "public.svv_external_partitions differs")


def check_columns_and_part_keys():
    _, rows, _ = psql("SELECT columnname, external_type, columnnum, part_key "
                      "FROM svv_external_columns WHERE schemaname = 'spectrum_schema' "
                      "AND tablename = 'sales' ORDER BY columnnum", "analyst")
    want = [["sale_id", "bigint", "1", "0"], ["customer_id", "int", "2", "0"],
            ["amount", "decimal(12,2)", "3", "0"], ["sale_date", "date", "4", "0"],
            ["year", "int", "5", "1"], ["month", "int", "6", "2"]]
    expect(rows == want, f"svv_external_columns: {rows}")


def check_partition_rows_match_manifest():
    m = manifest()
    _, rows, _ = psql("SELECT year, month, count(*) FROM spectrum_schema.sales GROUP BY 1, 2", "analyst")
    expect(len(rows) == 36, f"{len(rows)} (year, month) groups in sales")
    bad = [r for r in rows if int(r[2]) != m["rows_per_month"]]
    expect(not bad, f"partitions whose row count is not {m['rows_per_month']}: {bad[:3]}")
    # Rows sit in the partition their year/month says (file_fdw does not check bounds).
    expect(scalar("SELECT count(*) FROM spectrum_schema.sales WHERE extract(year FROM sale_date) <> year "
                  "OR extract(month FROM sale_date) <> month") == "0", "rows in the wrong partition")
    expect(scalar("SELECT count(DISTINCT sale_id) = count(*) FROM spectrum_schema.sales") == "t",
           "sale_id is not unique across the lake")


def check_hot_equals_cold():
    _, hot_months, _ = psql("SELECT DISTINCT year, month FROM spectrum_schema.sales "
                            "ORDER BY 1 DESC, 2 DESC LIMIT 3")
    expect(hot_months == [["2024", "12"], ["2024", "11"], ["2024", "10"]], f"hot months {hot_months}")
    total = 0
    for y, mo in hot_months:
        cold = psql(f"SELECT count(*), sum(amount), sum(sale_id), sum(customer_id) "
                    f"FROM spectrum_schema.sales WHERE year = {y} AND month = {mo}", "analyst")[1]
        hot = psql(f"SELECT count(*), sum(amount), sum(sale_id), sum(customer_id) FROM sales_fact "
                   f"WHERE sale_date >= make_date({y}, {mo}, 1) "
                   f"AND sale_date < make_date({y}, {mo}, 1) + interval '1 month'", "analyst")[1]
        expect(hot == cold, f"{y}-{mo}: sales_fact {hot} vs lake {cold}")
        expect(int(hot[0][0]) > 0, f"{y}-{mo}: no rows")
        total += int(hot[0][0])
    expect(int(scalar("SELECT count(*) FROM sales_fact", "analyst")) == total,
           "sales_fact holds rows outside the three hot months")
    # Row by row, not just aggregates.
    expect(scalar("SELECT count(*) FROM (SELECT sale_id, customer_id, amount, sale_date FROM sales_fact "
                  "EXCEPT SELECT sale_id, customer_id, amount, sale_date FROM spectrum_schema.sales "
                  "WHERE year = 2024 AND month >= 10) d") == "0", "sales_fact rows missing from the lake")


def foreign_scans(sql):
    _, rows, _ = psql("EXPLAIN " + sql, "analyst")
    return [r[0].strip() for r in rows if "Foreign Scan on" in r[0]]


def check_partition_pruning():
    scans = foreign_scans("SELECT count(*) FROM spectrum_schema.sales WHERE year = 2023 AND month = 7")
    expect(len(scans) == 1 and "sales_2023_07" in scans[0], f"year/month filter scans {scans}")
    scans = foreign_scans("SELECT count(*) FROM spectrum_schema.sales WHERE year = 2023")
    expect(len(scans) == 12, f"year filter scans {len(scans)} partitions, want 12")
    scans = foreign_scans("SELECT count(*) FROM spectrum_schema.sales")
    expect(len(scans) == 36, f"unfiltered scan touches {len(scans)} partitions, want 36")


def check_partition_file_sizes():
    _, rows, _ = psql("SELECT filename, size_bytes FROM blueshift_external_partition_files", "analyst")
    expect(len(rows) == 36, f"{len(rows)} rows in blueshift_external_partition_files")
    for filename, size in rows:
        expect(int(size) == os.path.getsize(filename), f"{filename}: view says {size}")


def check_lake_is_deterministic():
    m = manifest()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "dev", "gen_lake.py"),
                        "--out", tmp, "--rows-per-month", str(m["rows_per_month"]),
                        "--seed", str(m["seed"]), "--only", "2023-07"],
                       check=True, capture_output=True)
        rel = os.path.join("sales", "year=2023", "month=07", "part-0000.csv")
        with open(os.path.join(tmp, rel), "rb") as a, open(os.path.join(DEV_DIR, "lake", rel), "rb") as b:
            expect(a.read() == b.read(), "regenerated partition 2023-07 differs from the lake")


def check_privileges():
    rc, _, err = psql("INSERT INTO sales_fact VALUES (-1, 1, 1.00, '2024-12-01')", "analyst",
                      expect_ok=False)
    expect(rc != 0 and "permission denied for table sales_fact" in err, f"analyst insert: {err.strip()}")
    _, rows, _ = psql("BEGIN; INSERT INTO sales_fact VALUES (-1, 1, 1.00, '2024-12-01'); "
                      "UPDATE sales_fact SET amount = 2 WHERE sale_id = -1; "
                      "DELETE FROM sales_fact WHERE sale_id = -1 RETURNING amount; ROLLBACK", "etl")
    expect(rows == [["2.00"]], f"etl insert/update/delete: {rows}")
    expect(scalar("SELECT count(*) FROM customers", "legacy") == str(manifest()["customers"]),
           "legacy cannot read customers")


CHECKS = [v for k, v in list(globals().items()) if k.startswith("check_")]


def main():
    print(f"warehouse checks against 127.0.0.1:{PORT}, dev dir {DEV_DIR}")
    rc, _, err = psql("SELECT 1", expect_ok=False)
    if rc != 0:
        print(f"warehouse not reachable: {err.strip()}\n"
              "start it with deploy/dev/warehouse.sh start (tests/run.sh does)")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for check in CHECKS:
        name = check.__name__[len("check_"):]
        try:
            check()
            passed += 1
            print(f"PASS {name}")
        except (CheckFailed, OSError, subprocess.SubprocessError, KeyError, ValueError) as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Rows per second of 1,000-row upsert batches (half new keys, half existing), natively on
the warehouse and through Blueshift (staged plan), interleaved batch by batch so that both
see the same machine load; prints each form's rows/s and the ratio measured in this run.
Forms: DO UPDATE (the issue's benchmark), DO UPDATE ... WHERE, DO NOTHING.
Usage: upsert_rate.py WAREHOUSE_PORT PROXY_PORT [BATCHES] [PRELOAD_ROWS]
(database and user as tests/e2e/upsert/differential.py, which creates the database)
"""
import sys
import time

import psycopg

DB = "blueshift_e2e_upsert_native"  # made by tests/e2e/upsert/differential.py; owner analyst
FORMS = {
    "do update": "ON CONFLICT (k) DO UPDATE SET a = {t}.a + EXCLUDED.a, b = EXCLUDED.b",
    "do update where": "ON CONFLICT (k) DO UPDATE SET a = {t}.a + EXCLUDED.a WHERE {t}.a < 1000000",
    "do nothing": "ON CONFLICT (k) DO NOTHING",
}


def batch_sql(table, form, start, n=1000):
    # Half the keys exist already (start - n/2 .. start), half are new.
    rows = ", ".join(f"({k}, {k % 97}, 'v{k}')" for k in range(start - n // 2, start + n // 2))
    return f"INSERT INTO {table} (k, a, b) VALUES {rows} " + FORMS[form].format(t=table)


def connect(port):
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname={DB} user=analyst password=analyst-dev-pw",
                           autocommit=True)


def measure(native, proxied, form, batches, preload):
    """Seconds each side spent on the same batches, alternating which goes first."""
    spent = [0.0, 0.0]
    for i, c in enumerate((native, proxied)):
        table = f"upsert_bench_{i}"
        c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(f"CREATE TABLE {table} (k int UNIQUE, a int, b text)")
        c.execute(f"INSERT INTO {table} SELECT g, g % 97, 'v' || g FROM generate_series(-{preload}, 0) g")
        c.execute(f"ANALYZE {table}")
    for b in range(1, batches + 1):
        order = (0, 1) if b % 2 else (1, 0)
        for i in order:
            sql = batch_sql(f"upsert_bench_{i}", form, b * 500)
            began = time.perf_counter()
            (native, proxied)[i].execute(sql)
            spent[i] += time.perf_counter() - began
    return spent


def main():
    dev, proxy = int(sys.argv[1]), int(sys.argv[2])
    batches = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    preload = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
    with connect(dev) as native, connect(proxy) as proxied:
        for form in FORMS:
            n, p = measure(native, proxied, form, batches, preload)
            rows = batches * 1000
            print(f"{form:16} {batches} batches of 1000 rows into {preload:,} rows: native {rows / n:,.0f} rows/s, "
                  f"through Blueshift {rows / p:,.0f} rows/s, ratio {n / p:.2f}", flush=True)


if __name__ == "__main__":
    main()

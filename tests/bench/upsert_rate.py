#!/usr/bin/python3
"""Rows per second of 1,000-row INSERT ... ON CONFLICT DO UPDATE batches (half new keys,
half existing): natively on the warehouse, and through Blueshift (staged plan).
Usage: upsert_rate.py WAREHOUSE_PORT PROXY_PORT [BATCHES]   (database/user as differential.py)
"""
import sys
import time

import psycopg

DB = "blueshift_e2e_upsert_native"  # made by tests/e2e/upsert/differential.py; owner analyst


def batch_sql(start, n=1000):
    # Half the keys exist already (start - n/2 .. start), half are new.
    rows = ", ".join(f"({k}, {k % 97}, 'v{k}')" for k in range(start - n // 2, start + n // 2))
    return (f"INSERT INTO upsert_bench (k, a, b) VALUES {rows} "
            "ON CONFLICT (k) DO UPDATE SET a = upsert_bench.a + EXCLUDED.a, b = EXCLUDED.b")


def rate(port, batches):
    with psycopg.connect(f"host=127.0.0.1 port={port} dbname={DB} user=analyst password=analyst-dev-pw",
                         autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS upsert_bench")
        c.execute("CREATE TABLE upsert_bench (k int UNIQUE, a int, b text)")
        c.execute(batch_sql(0))
        began = time.perf_counter()
        for i in range(1, batches + 1):
            c.execute(batch_sql(i * 500))
        return batches * 1000 / (time.perf_counter() - began)


def main():
    dev, proxy = int(sys.argv[1]), int(sys.argv[2])
    batches = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    native, staged = rate(dev, batches), rate(proxy, batches)
    print(f"{batches} batches of 1000 rows: native {native:,.0f} rows/s, through Blueshift {staged:,.0f} rows/s, "
          f"ratio {staged / native:.2f}")


if __name__ == "__main__":
    main()

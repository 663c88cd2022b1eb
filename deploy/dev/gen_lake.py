#!/usr/bin/env python3
"""Writes the dev warehouse's demo data lake: Hive-style CSV partitions of a sales table.

Layout: <out>/sales/year=YYYY/month=MM/part-0000.csv, one file per month, with a header line
and the columns sale_id,customer_id,amount,sale_date,year,month (file_fdw maps file columns
to table columns by position, so the partition columns are in the file too).

Deterministic: each partition has its own PRNG seeded from (seed, year, month), so a partition
is the same bytes whichever other partitions are generated, in whatever order, on how many
processes. sale_id is unique across the lake: partition index * rows_per_month + row number.
A manifest (<out>/_manifest.json) records the parameters so tests can check the lake.

Python standard library only.
"""

import argparse
import calendar
import json
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor

FIRST_YEAR = 2022
LAST_YEAR = 2024
CUSTOMERS = 1000
HEADER = "sale_id,customer_id,amount,sale_date,year,month\n"


def partition_path(out, year, month):
    return os.path.join(out, "sales", f"year={year:04d}", f"month={month:02d}", "part-0000.csv")


def partition_index(year, month):
    return (year - FIRST_YEAR) * 12 + (month - 1)


def generate_partition(out, seed, rows, year, month):
    """Writes one month's file (atomically: temp file, then rename) and returns its facts."""
    rng = random.Random(f"blueshift-lake:{seed}:{year}:{month}")
    randint = rng.randint
    days = calendar.monthrange(year, month)[1]
    base = partition_index(year, month) * rows
    ym = f"{year:04d}-{month:02d}-"
    tail = f",{year},{month}\n"
    path = partition_path(out, year, month)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    chunk = 50_000
    with open(tmp, "w", encoding="ascii", newline="") as f:
        f.write(HEADER)
        for start in range(0, rows, chunk):
            lines = []
            append = lines.append
            for i in range(start + 1, min(rows, start + chunk) + 1):
                cents = randint(100, 999_999)
                append(
                    f"{base + i},{randint(1, CUSTOMERS)},{cents // 100}.{cents % 100:02d},"
                    f"{ym}{randint(1, days):02d}{tail}"
                )
            f.write("".join(lines))
    os.replace(tmp, path)
    return {
        "year": year,
        "month": month,
        "path": os.path.relpath(path, out),
        "rows": rows,
        "bytes": os.path.getsize(path),
    }


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="lake root folder")
    ap.add_argument("--rows-per-month", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", help="generate only this partition, YYYY-MM (for tests)")
    args = ap.parse_args(argv)
    if args.rows_per_month < 1:
        ap.error("--rows-per-month must be at least 1")

    months = [(y, m) for y in range(FIRST_YEAR, LAST_YEAR + 1) for m in range(1, 13)]
    if args.only:
        y, m = (int(x) for x in args.only.split("-"))
        months = [(y, m)]

    if args.jobs > 1 and len(months) > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [
                pool.submit(generate_partition, args.out, args.seed, args.rows_per_month, y, m)
                for y, m in months
            ]
            parts = [f.result() for f in futures]
    else:
        parts = [generate_partition(args.out, args.seed, args.rows_per_month, y, m) for y, m in months]

    if not args.only:
        manifest = {
            "table": "sales",
            "seed": args.seed,
            "rows_per_month": args.rows_per_month,
            "first_year": FIRST_YEAR,
            "last_year": LAST_YEAR,
            "customers": CUSTOMERS,
            "partitions": parts,
        }
        tmp = os.path.join(args.out, "_manifest.json.tmp")
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        os.replace(tmp, os.path.join(args.out, "_manifest.json"))
    total = sum(p["rows"] for p in parts)
    print(f"gen_lake: {len(parts)} partitions, {total} rows, seed {args.seed}, into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Makes a Blueshift partition sizes file from an Amazon S3 Inventory report (CSV).

Each object's size is added to the folder it lies in (its key up to the last '/'),
written as `s3://<bucket>/<folder>/,<bytes>`: the format policies/partition_sizes.h reads
(`policies.cost.sizes_file`). A partition whose files lie in sub-folders of its location
is summed into every level with --all-levels.

S3 Inventory CSV files have no header: the columns are listed in the report's
manifest.json ("fileSchema", e.g. "Bucket, Key, Size, LastModifiedDate"). Give the
manifest (--manifest) or the schema (--schema); the data files may be gzipped (.gz),
as S3 writes them. Keys are URL-encoded in the report and decoded here. Delete markers
and non-latest versions (IsLatest/IsDeleteMarker, when the schema has them) are skipped.

  deploy/partition_sizes_from_inventory.py --manifest manifest.json data/*.csv.gz > sizes.csv
  deploy/partition_sizes_from_inventory.py --schema "Bucket, Key, Size" --prefix sales/ inv.csv
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import urllib.parse
from collections import defaultdict


def open_text(path):
    raw = open(path, "rb")
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", newline="")
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def columns(schema):
    return [c.strip() for c in schema.split(",") if c.strip()]


def folders(key, all_levels):
    """The folder of key (with its '/'), or every folder above it too."""
    parts = key.split("/")[:-1]
    if not parts:
        return []
    if not all_levels:
        return ["/".join(parts) + "/"]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def sizes(paths, schema, prefix, all_levels):
    cols = columns(schema)
    for need in ("Bucket", "Key", "Size"):
        if need not in cols:
            raise SystemExit(f"the inventory schema has no {need} column: {schema!r}")
    at = {c: i for i, c in enumerate(cols)}
    totals = defaultdict(int)
    for path in paths:
        with open_text(path) as f:
            for n, row in enumerate(csv.reader(f), 1):
                if len(row) < len(cols):
                    raise SystemExit(f"{path}:{n}: {len(row)} fields, the schema has {len(cols)}")
                if "IsLatest" in at and row[at["IsLatest"]].lower() == "false":
                    continue
                if "IsDeleteMarker" in at and row[at["IsDeleteMarker"]].lower() == "true":
                    continue
                key = urllib.parse.unquote_plus(row[at["Key"]])
                if not key.startswith(prefix) or row[at["Size"]] == "":
                    continue
                try:
                    size = int(row[at["Size"]])
                except ValueError:
                    raise SystemExit(f"{path}:{n}: Size is not a number: {row[at['Size']]!r}")
                for folder in folders(key, all_levels):
                    totals[f"s3://{row[at['Bucket']]}/{folder}"] += size
    return totals


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--manifest", help="the report's manifest.json (its fileSchema names the columns)")
    g.add_argument("--schema", help='the columns, as in manifest.json\'s fileSchema: "Bucket, Key, Size, ..."')
    p.add_argument("--prefix", default="", help="only keys under this prefix (e.g. the table's folder)")
    p.add_argument("--all-levels", action="store_true", help="add each object to every folder above it")
    p.add_argument("files", nargs="+", help="inventory data files (.csv or .csv.gz)")
    a = p.parse_args(argv)
    schema = a.schema
    if a.manifest:
        with open(a.manifest, encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("fileFormat", "CSV").upper() != "CSV":
            raise SystemExit(f"only CSV inventory reports are read; this one is {manifest.get('fileFormat')}")
        schema = manifest["fileSchema"]
    totals = sizes(a.files, schema, a.prefix, a.all_levels)
    out = sys.stdout
    out.write("# partition location,bytes (from an S3 Inventory report)\n")
    for location in sorted(totals):
        out.write(f"{location},{totals[location]}\n")


if __name__ == "__main__":
    main()

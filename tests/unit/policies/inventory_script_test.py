#!/usr/bin/env python3
"""deploy/partition_sizes_from_inventory.py: an S3 Inventory CSV (gzipped, no header, URL-
encoded keys) in, `<location>,<bytes>` lines out, summed per partition folder."""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, "deploy", "partition_sizes_from_inventory.py")

ROWS = [
    ("lake", "sales/year%3D2024/month%3D01/part-0000.csv", "100", "true", "false"),
    ("lake", "sales/year%3D2024/month%3D01/part-0001.csv", "50", "true", "false"),
    ("lake", "sales/year%3D2024/month%3D01/old.csv", "1000", "false", "false"),   # not the latest version
    ("lake", "sales/year%3D2024/month%3D01/gone.csv", "", "true", "true"),        # a delete marker
    ("lake", "sales/year%3D2024/month%3D02/a+b%2Cc.csv", "7", "true", "false"),   # '+' is a space
    ("lake", "other/x.csv", "9", "true", "false"),
]


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


class InventoryScript(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.dir.name, "data.csv.gz")
        with gzip.open(self.data, "wt", newline="") as f:
            for r in ROWS:
                f.write(",".join(f'"{c}"' for c in r) + "\n")
        self.manifest = os.path.join(self.dir.name, "manifest.json")
        with open(self.manifest, "w") as f:
            json.dump({"fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, IsLatest, IsDeleteMarker"}, f)

    def tearDown(self):
        self.dir.cleanup()

    def lines(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        return [l for l in result.stdout.splitlines() if not l.startswith("#")]

    def test_sums_per_partition_folder(self):
        self.assertEqual(self.lines(run("--manifest", self.manifest, "--prefix", "sales/", self.data)),
                         ["s3://lake/sales/year=2024/month=01/,150", "s3://lake/sales/year=2024/month=02/,7"])

    def test_schema_and_all_levels(self):
        got = self.lines(run("--schema", "Bucket, Key, Size, IsLatest, IsDeleteMarker", "--all-levels", self.data))
        self.assertIn("s3://lake/sales/,157", got)
        self.assertIn("s3://lake/sales/year=2024/,157", got)
        self.assertIn("s3://lake/other/,9", got)

    def test_bad_input_is_an_error(self):
        self.assertNotEqual(run("--schema", "Bucket, Key", self.data).returncode, 0)  # no Size column
        self.assertIn("fields", run("--schema", "Bucket, Key, Size, A, B, C", self.data).stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)

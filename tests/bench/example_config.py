"""A benchmark copy of deploy/blueshift.example.yaml (the "blueshift+example" target).

Issue 15 measures throughput with the example policies loaded as a deployment has them:
pgbench's statements name no governed table, and the benchmark user (etl) is exempt from
every rule, so they take the fast path. The copy points the catalog and the upstream at the
benchmark's warehouse and its audit log into the run's directory, and drops what would
clash with the proxies beside it (the listen address comes from the command line, and the
HTTP endpoint is left out). Everything else (policies, routing, upserts, limits) is the
example's own.

Usage: example_config.py IN OUT DEV_PORT WORK_DIR
"""

import re
import sys

import yaml


def bench_copy(config, dev_port, work):
    config.pop("listen", None)
    config.pop("http", None)
    config.setdefault("upstream", {})["port"] = dev_port
    catalog = config.get("catalog")
    if catalog and "conninfo" in catalog:
        catalog["conninfo"] = re.sub(r"\bport=\d+", f"port={dev_port}", catalog["conninfo"])
    if "audit" in config:
        config["audit"]["file"] = f"{work}/audit-example.jsonl"
    return config


def main():
    src, dst, dev_port, work = sys.argv[1:5]
    with open(src) as f:
        config = yaml.safe_load(f)
    with open(dst, "w") as f:
        yaml.safe_dump(bench_copy(config, int(dev_port), work), f, sort_keys=False)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Cost in operations (issues 13 and 14), each test with a private blueshift running the
policy tests' configuration (tests/e2e/policies/policies.test.yaml) in front of the dev
warehouse, its /metrics parsed by prometheus_client's parser.

  scan_metrics   blueshift_estimated_scan_{bytes,usd}_total and blueshift_estimated_scans_total
                 by group: an analyst's governed scans count under the configured group
                 `analysts` with the very estimate a dry run shows, etl's under `other`; a
                 refused statement and a dry run count nothing.
  scan_metrics_budget
                 the same counters with a budget: a statement the budget refuses after
                 the policies passed it counts nothing; those that ran count.

Usage: /usr/bin/python3 cost_tests.py {scan_metrics|scan_metrics_budget}
Ports (127.0.0.1): 6980-6983 (proxy = base, http = base + 1).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402
from harness import check, check_eq  # noqa: E402
import ops_tests as ops  # noqa: E402  (its /metrics scrape; skips without prometheus_client)
import budget_tests as budgets  # noqa: E402  (its budget config and ledger table)

# One partition of sales; the dry run of the same text gives its estimate.
QUERY = "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = 1"
UNFILTERED = "SELECT count(*) FROM spectrum_schema.sales"  # refused for analysts


def proxy_with_http(port, http_port, overrides=None):
    """The policy tests' proxy with the operations endpoint on http_port."""
    all_overrides = {"audit:\n": f"http:\n  listen: 127.0.0.1:{http_port}\naudit:\n"}
    all_overrides.update(overrides or {})
    return h.Proxy(port, all_overrides)


def sample(values, name, **labels):
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def dry_run_estimate(conn, sql):
    """(bytes, usd) the proxy estimates for sql, from its dry run."""
    check(not conn.query("SET blueshift.dry_run = on").errors, "SET blueshift.dry_run = on")
    r = conn.query(sql)
    check(not r.errors and len(r.rows) == 1, f"dry run of {sql}: {r}")
    check(not conn.query("SET blueshift.dry_run = off").errors, "SET blueshift.dry_run = off")
    return int(r.rows[0][3]), float(r.rows[0][4])


def test_scan_metrics():
    base = 6980
    with proxy_with_http(base, base + 1) as p:
        # The cost rule (application e2e_cost, no exemption) makes etl's scans priced too.
        with h.Conn(p.port, application_name="e2e_cost") as analyst, \
                h.Conn(p.port, user="etl", application_name="e2e_cost") as etl:
            est_bytes, est_usd = dry_run_estimate(analyst, QUERY)
            check(est_bytes > 0 and est_usd > 0, f"the dry run estimates nothing: {est_bytes}, {est_usd}")
            before = ops.scrape(base + 1)
            for i in range(3):
                check(not analyst.query(QUERY).errors, f"analyst query {i + 1}")
            r = analyst.query(UNFILTERED)
            check(r.error is not None, "the unfiltered scan was not refused for analysts")
            dry_run_estimate(analyst, QUERY)  # a dry run runs nothing
            for i in range(2):
                check(not etl.query(QUERY).errors, f"etl query {i + 1}")
            after = ops.scrape(base + 1)

    def moved(name, group):
        return sample(after, name, group=group) - sample(before, name, group=group)

    check_eq(moved("blueshift_estimated_scans_total", "analysts"), 3.0, "analysts' priced statements")
    check_eq(moved("blueshift_estimated_scan_bytes_total", "analysts"), 3.0 * est_bytes, "analysts' bytes")
    usd = moved("blueshift_estimated_scan_usd_total", "analysts")
    # The dry run shows whole micro-dollars; each query is billed the 10 MB minimum (the dev
    # lake's files are small): 10 * 2^20 bytes at $5 per 2^40 = $0.000047684, rounded up.
    check(abs(usd - 3 * est_usd) <= 3 * 0.5e-6, f"analysts' dollars {usd}, the dry run says 3 x {est_usd}")
    check(abs(usd - 3 * 0.000047684) < 1e-12, f"analysts' dollars {usd}, expected 3 x $0.000047684")
    check_eq(moved("blueshift_estimated_scans_total", "other"), 2.0, "etl's priced statements, under other")
    check_eq(moved("blueshift_estimated_scan_bytes_total", "other"), 2.0 * est_bytes, "etl's bytes")
    groups = {dict(labels).get("group") for (name, labels) in after if name == "blueshift_estimated_scans_total"}
    check_eq(groups, {"analysts", "other"}, "group labels (configured groups and other only)")


def test_scan_metrics_budget():
    base = 6982
    table = budgets.ledger_table("metrics")
    # Four queries fit in $0.0002 (4 x $0.000047684); the fifth and sixth are refused.
    budget = {"  catalog_tables: true\n": budgets.budgets_yaml(table, 0.0002)}
    try:
        with proxy_with_http(base, base + 1, budget) as p, h.Conn(p.port) as analyst:
            est_bytes, _ = dry_run_estimate(analyst, QUERY)
            before = ops.scrape(base + 1)
            codes = [analyst.query(QUERY).error for _ in range(6)]
            after = ops.scrape(base + 1)
    finally:
        budgets.drop_ledger(table)
    check_eq([e and e.get("C") for e in codes], [None] * 4 + ["53400"] * 2, "queries run, then refused by the budget")

    def moved(name):
        return sample(after, name, group="analysts") - sample(before, name, group="analysts")

    check_eq(moved("blueshift_estimated_scans_total"), 4.0, "priced statements counted: those that ran")
    check_eq(moved("blueshift_estimated_scan_bytes_total"), 4.0 * est_bytes, "bytes counted: those that ran")
    usd = moved("blueshift_estimated_scan_usd_total")
    check(abs(usd - 4 * 0.000047684) < 1e-12, f"dollars counted {usd}, expected 4 x $0.000047684")


TESTS = {"scan_metrics": test_scan_metrics, "scan_metrics_budget": test_scan_metrics_budget}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

#!/usr/bin/env python3
"""Partition predicates from date filters, end to end (issue 11), against the dev warehouse.

The proxy runs the policy suite's rules (tests/e2e/policies/policies.test.yaml: analysts
must filter spectrum_schema.sales on its partition columns, 12 partitions at most) plus a
`routing:` section saying that sale_date derives year and month. An analyst's query that
filters on sale_date only, as BI tools write it, then runs pruned instead of being refused.

rows:     each date form, through the proxy as analyst, returns exactly the rows the same
          text returns run directly on the warehouse (which has no policies), and the
          proxy log has a `routed` line for it.
explain:  EXPLAIN of a Tableau-shaped range through the proxy scans only the matching
          file_fdw partitions; run directly, the same text scans all 36.
refusals: a range over too many partitions is refused, and the refusal names the
          routing; a filter the proxy cannot read stays refused; writes are not routed.
extended: Parse/Bind/Execute of a text with literal dates is routed and described as the
          client's text would be.

Usage: routing_tests.py [rows|explain|refusals|extended] (default: all). A free loopback port.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402
from harness import check, check_eq  # noqa: E402



def free_port():
    """A loopback port nobody listens on now (engineers' test runs share the machine)."""
    import socket
    with socket.socket() as s:
        s.bind((h.HOST, 0))
        return s.getsockname()[1]


PORT = free_port()

ROUTING = """
routing:
  external_tables:
    spectrum_schema.sales:
      date_column: sale_date
      partitions: {year: year, month: month}
"""

# (name, sql): each filters spectrum_schema.sales on sale_date only, within 12 months.
ROWS = [
    ("tableau_date_literals",
     "SELECT SUM(amount), COUNT(*) FROM spectrum_schema.sales "
     "WHERE sale_date >= DATE '2024-01-01' AND sale_date < DATE '2024-03-01'"),
    ("timestamp_literals",
     "SELECT COUNT(*) FROM spectrum_schema.sales WHERE sale_date >= TIMESTAMP '2023-06-01 00:00:00.000' "
     "AND sale_date < TIMESTAMP '2023-09-01 00:00:00.000'"),
    ("cast_forms",
     "SELECT MIN(sale_date), MAX(sale_date) FROM spectrum_schema.sales "
     "WHERE sale_date >= '2022-11-15'::date AND sale_date <= CAST('2023-02-10' AS DATE)"),
    ("between_inclusive",
     "SELECT sale_id, amount FROM spectrum_schema.sales WHERE sale_date BETWEEN '2024-02-28' AND '2024-03-01' "
     "ORDER BY sale_id"),
    ("extract_year", "SELECT month, COUNT(*) FROM spectrum_schema.sales "
                     "WHERE EXTRACT(YEAR FROM sale_date) = 2023 GROUP BY month ORDER BY month"),
    ("to_date", "SELECT COUNT(*) FROM spectrum_schema.sales WHERE sale_date >= TO_DATE('2024-11-20', 'YYYY-MM-DD') "
                "AND sale_date < TO_TIMESTAMP('20241215', 'YYYYMMDD')"),
    ("date_trunc_constant",
     "SELECT COUNT(*) FROM spectrum_schema.sales WHERE sale_date >= DATE_TRUNC('month', DATE '2024-07-17') "
     "AND sale_date < DATE_TRUNC('month', DATE '2024-07-17') + INTERVAL '2 months'"),
    ("relative_to_today",  # the lake ends in 2024: no row, on both sides
     "SELECT COUNT(*) FROM spectrum_schema.sales WHERE sale_date >= current_date - INTERVAL '30 days' "
     "AND sale_date <= now() + INTERVAL '1 day'"),  # the dev warehouse has no DATEADD/GETDATE
    ("join_group_by",
     "SELECT c.region, COUNT(*), SUM(s.amount) FROM spectrum_schema.sales s "
     "JOIN public.customers c ON c.customer_id = s.customer_id "
     "WHERE s.sale_date >= '2024-04-01' AND s.sale_date < '2024-07-01' GROUP BY c.region ORDER BY c.region"),
    ("order_by_limit",
     "SELECT sale_id, sale_date, amount FROM spectrum_schema.sales WHERE sale_date >= '2023-12-01' "
     "AND sale_date <= '2023-12-31' ORDER BY amount DESC, sale_id LIMIT 7"),
    ("window",
     "SELECT sale_id, SUM(amount) OVER (PARTITION BY customer_id ORDER BY sale_id) FROM spectrum_schema.sales "
     "WHERE sale_date BETWEEN '2022-05-01' AND '2022-05-31' ORDER BY sale_id LIMIT 20"),
    ("cte", "WITH m AS (SELECT customer_id, amount FROM spectrum_schema.sales "
            "WHERE sale_date >= '2024-08-01' AND sale_date < '2024-09-01') "
            "SELECT COUNT(DISTINCT customer_id), SUM(amount) FROM m"),
    ("union",
     "SELECT 'a', COUNT(*) FROM spectrum_schema.sales WHERE sale_date >= '2022-01-01' AND sale_date < '2022-02-01' "
     "UNION ALL SELECT 'b', COUNT(*) FROM spectrum_schema.sales x WHERE x.sale_date BETWEEN '2024-12-01' AND "
     "'2024-12-31' ORDER BY 1"),
    ("left_join_on",  # the date filter restricts the nullable side, in ON
     "SELECT COUNT(*), COUNT(s.sale_id), SUM(s.amount) FROM public.customers c LEFT JOIN spectrum_schema.sales s "
     "ON s.customer_id = c.customer_id AND s.sale_date >= '2024-06-01' AND s.sale_date < '2024-07-01'"),
    ("ctas_insert_select",
     "CREATE TEMP TABLE routed_side AS SELECT sale_id, amount FROM spectrum_schema.sales "
     "WHERE sale_date BETWEEN '2023-01-10' AND '2023-01-20'; INSERT INTO routed_side SELECT sale_id, amount "
     "FROM spectrum_schema.sales WHERE sale_date = '2024-02-02'; SELECT COUNT(*), SUM(amount) FROM routed_side"),
    ("select_star", "SELECT * FROM spectrum_schema.sales WHERE sale_date = '2024-10-05' ORDER BY sale_id"),
    ("subquery_in",
     "SELECT COUNT(*) FROM public.customers WHERE customer_id IN (SELECT customer_id FROM spectrum_schema.sales "
     "WHERE sale_date >= '2023-03-01' AND sale_date < '2023-04-01')"),
]


def start_proxy(routing=ROUTING, edit_policies=lambda text: text):
    """A private proxy with the policy suite's config (as edit_policies leaves it) plus a
    routing section (started by `with`)."""
    with open(os.path.join(h.HERE, "policies.test.yaml")) as f:
        template = edit_policies(f.read()) + routing
    fd, path = tempfile.mkstemp(prefix="blueshift-routing-", suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(template)
    h.TEMPLATE = path
    try:
        proxy = h.Proxy(PORT)
    finally:
        os.unlink(path)
    return proxy


def direct(user="analyst"):
    return h.Conn(h.dev_port(), user=user, application_name="e2e_routing_direct")


def test_rows():
    with start_proxy() as proxy, h.Conn(PORT, application_name="e2e_routing") as via, direct() as raw:
        for name, sql in ROWS:
            expected = raw.query(sql)
            check(expected.error is None, f"{name}: direct run failed: {expected.error}")
            before = proxy.log_text().count("routed user=analyst")
            got = via.query(sql)
            check(got.error is None, f"{name}: refused or failed through the proxy: {got.error}")
            check_eq(got.rows, expected.rows, f"{name}: rows through the proxy")
            check(proxy.log_text().count("routed user=analyst") > before, f"{name}: no routed line in the log")
        check(any(r.rows for r in [raw.query(ROWS[0][1])]), "the first case must return rows to mean anything")


def partitions_scanned(explain_rows):
    return sorted(set(re.findall(r"sales_(\d{4}_\d{2})", "\n".join(r[0] for r in explain_rows))))


def test_explain():
    sql = ("EXPLAIN (COSTS OFF) SELECT SUM(amount) FROM spectrum_schema.sales "
           "WHERE sale_date >= DATE '2024-01-01' AND sale_date < DATE '2024-03-01'")
    with start_proxy(), h.Conn(PORT) as via, direct() as raw:
        routed = via.query(sql)
        check(routed.error is None, f"EXPLAIN through the proxy: {routed.error}")
        check_eq(partitions_scanned(routed.rows), ["2024_01", "2024_02"], "partitions scanned, routed")
        check_eq(len(partitions_scanned(raw.query(sql).rows)), 36, "partitions scanned by the text as written")


def test_refusals():
    with start_proxy() as proxy, h.Conn(PORT) as via:
        wide = via.query("SELECT COUNT(*) FROM spectrum_schema.sales "
                         "WHERE sale_date >= '2022-01-01' AND sale_date < '2024-01-01'")
        h.check_refusal(wide.error, h.RULE_MAX, what="24 months")
        detail = wide.error.get("D", "")
        check("Checked as routed by Blueshift" in detail and "2022-01-01..2023-12-31" in detail,
              f"the refusal does not name the routing: {detail!r}")
        unread = via.query("SELECT COUNT(*) FROM spectrum_schema.sales WHERE sale_date >= now()::date - amount::int")
        h.check_refusal(unread.error, h.RULE_FILTER, what="unreadable date filter")
        check("Checked as routed" not in unread.error.get("D", ""), "an unrouted refusal must not mention routing")
        ok = via.query("SELECT COUNT(*) FROM spectrum_schema.sales WHERE sale_date = '2024-03-03'")
        check(ok.error is None, f"the session goes on after refusals: {ok.error}")
        check("routed user=analyst" in proxy.log_text(), "routed line in the log")


def test_extended():
    sql = "SELECT sale_id, amount FROM spectrum_schema.sales WHERE sale_date = DATE '2024-05-05' ORDER BY sale_id"
    with start_proxy(), h.Conn(PORT) as via, direct() as raw:
        expected = raw.query(sql)
        via.send(h.parse_msg("s1", sql, []) + h.describe_msg("S", "s1") + h.bind_msg("", "s1", [], [], []) +
                 h.execute_msg("", 0) + h.sync_msg())
        got = via.read_until_ready()
        check(got.error is None, f"extended protocol through the proxy: {got.error}")
        check("T" in got.codes, f"Describe answers the routed statement's columns: {got.codes}")
        check_eq(got.rows, expected.rows, "rows, extended protocol")


TESTS = {"rows": test_rows, "explain": test_explain, "refusals": test_refusals, "extended": test_extended}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

#!/usr/bin/env python3
"""Tier routing end to end (issue 11), against the dev warehouse.

public.sales_fact holds the lake's latest months (a suffix of the history); the lake,
spectrum_schema.sales, holds all of it. The proxy routes public.sales_fact by the date
filter, with the split read by the watermark query `SELECT min(sale_date) FROM
public.sales_fact`. Every query below must return through the proxy exactly what the same
text returns run directly over the complete history: a temp view `sales_fact` over the
lake's rows, in the local table's columns, stands in for the table there.

rows:      the table of shapes (points, ranges inside, before and across the split, no
           bound, each date form, joins, GROUP BY, ORDER BY + LIMIT, windows, CTEs,
           subqueries, UNION, SELECT *, CREATE TABLE AS and INSERT ... SELECT into a temp
           table), as etl; the audit line of each names the tier(s) expected.
overrides: a tier rule (application_name) sends recent dates to the lake, SET
           blueshift.tier and the /* blueshift:tier=... */ comment override, results equal.
refusals:  an analyst's query routed over too many lake partitions (or, with no date bound,
           over a lake part open towards the past) is refused naming the routing; a narrow
           one runs.
reload:    SIGHUP with a fixed split in the future sends every recent scan to the lake.
reload_on: a proxy started without `routing:` routes once a reload adds it, in open and new
           sessions.

Usage: tier_tests.py [rows|overrides|refusals|reload|reload_on] (default: all).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402
from harness import check, check_eq  # noqa: E402

import routing_tests as rt  # noqa: E402  (free_port)

PORT = rt.PORT

LOCAL_FROM = "local_from: {watermark: \"SELECT min(sale_date) FROM public.sales_fact\", refresh_seconds: 2, " \
             "max_age_seconds: 60}"
ROUTING = f"""
routing:
  external_tables:
    spectrum_schema.sales:
      date_column: sale_date
      partitions: {{year: year, month: month}}
  tiers:
    - local: public.sales_fact
      external: spectrum_schema.sales
      date_column: sale_date
      columns: [sale_id, customer_id, amount, sale_date]
      {LOCAL_FROM}
  tier_rules:
    - {{name: adhoc-to-lake, scope: {{applications: ["e2e_tier_adhoc*"]}}, tier: external}}
"""

BOTH, EXT, LOCAL = "external+local", "external", "local"

# (name, tiers the audit line names, sql). The local table holds 2024-10..2024-12.
ROWS = [
    ("point_local", [LOCAL], "SELECT sale_id, amount FROM public.sales_fact WHERE sale_date = DATE '2024-11-05' "
                             "ORDER BY sale_id"),
    ("point_before", [EXT], "SELECT sale_id, amount FROM public.sales_fact WHERE sale_date = '2023-05-05' "
                            "ORDER BY sale_id"),
    ("range_inside", [LOCAL], "SELECT COUNT(*), SUM(amount) FROM public.sales_fact "
                              "WHERE sale_date BETWEEN '2024-10-10' AND '2024-12-20'"),
    ("range_before", [EXT], "SELECT COUNT(*), SUM(amount) FROM public.sales_fact "
                            "WHERE sale_date >= '2023-01-01' AND sale_date < '2023-04-01'"),
    ("range_across", [BOTH], "SELECT COUNT(*), SUM(amount), MIN(sale_date), MAX(sale_date) FROM public.sales_fact "
                             "WHERE sale_date >= '2024-08-15' AND sale_date < '2024-11-15'"),
    ("no_bound", [BOTH], "SELECT COUNT(*), SUM(amount), COUNT(DISTINCT sale_id) FROM public.sales_fact"),
    ("timestamp_literals", [BOTH],
     "SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= TIMESTAMP '2024-09-01 00:00:00.000' "
     "AND sale_date < TIMESTAMP '2024-10-15 00:00:00.000'"),
    ("cast_forms", [BOTH], "SELECT COUNT(*), SUM(amount) FROM public.sales_fact "
                           "WHERE sale_date >= '2024-09-20'::date AND sale_date <= CAST('2024-10-10' AS DATE)"),
    ("inclusive_end_before", [EXT], "SELECT COUNT(*) FROM public.sales_fact "
                                    "WHERE sale_date >= '2024-09-01' AND sale_date <= '2024-09-30'"),
    ("relative_to_today", [LOCAL], "SELECT COUNT(*) FROM public.sales_fact "
                                   "WHERE sale_date >= current_date - INTERVAL '30 days'"),
    ("date_trunc_local", [LOCAL], "SELECT COUNT(*) FROM public.sales_fact "
                                  "WHERE sale_date >= DATE_TRUNC('month', DATE '2024-10-17')"),
    ("date_trunc_across", [BOTH], "SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= "
                                  "DATE_TRUNC('month', DATE '2024-10-17') - INTERVAL '2 months'"),
    ("extract_year", [BOTH], "SELECT EXTRACT(MONTH FROM sale_date) AS m, COUNT(*) FROM public.sales_fact "
                             "WHERE EXTRACT(YEAR FROM sale_date) = 2024 GROUP BY 1 ORDER BY 1"),
    ("join_customers_group_by", [BOTH],
     "SELECT c.region, COUNT(*), SUM(s.amount) FROM public.sales_fact s "
     "JOIN public.customers c ON c.customer_id = s.customer_id "
     "WHERE s.sale_date >= '2024-07-01' AND s.sale_date < '2024-12-01' GROUP BY c.region ORDER BY c.region"),
    ("order_by_limit", [BOTH], "SELECT sale_id, sale_date, amount FROM public.sales_fact WHERE sale_date >= '2024-09-25' "
                               "ORDER BY amount DESC, sale_id LIMIT 7"),
    ("window", [BOTH], "SELECT sale_id, SUM(amount) OVER (PARTITION BY customer_id ORDER BY sale_id), "
                       "ROW_NUMBER() OVER (ORDER BY sale_date, sale_id) FROM public.sales_fact "
                       "WHERE sale_date BETWEEN '2024-09-28' AND '2024-10-03' ORDER BY sale_id"),
    ("cte", [BOTH], "WITH m AS (SELECT customer_id, amount FROM public.sales_fact "
                    "WHERE sale_date >= '2024-06-01') SELECT COUNT(DISTINCT customer_id), SUM(amount) FROM m"),
    ("subquery_in", [EXT], "SELECT COUNT(*) FROM public.customers WHERE customer_id IN (SELECT customer_id "
                           "FROM public.sales_fact WHERE sale_date >= '2023-03-01' AND sale_date < '2023-04-01')"),
    ("union", [EXT, LOCAL],
     "SELECT 'a', COUNT(*) FROM public.sales_fact WHERE sale_date >= '2022-01-01' AND sale_date < '2022-02-01' "
     "UNION ALL SELECT 'b', COUNT(*) FROM public.sales_fact x WHERE x.sale_date BETWEEN '2024-12-01' AND "
     "'2024-12-31' ORDER BY 1"),
    ("select_star", [BOTH], "SELECT * FROM public.sales_fact WHERE sale_date BETWEEN '2024-09-29' AND '2024-10-02' "
                            "ORDER BY sale_id"),
    ("qualified_columns_no_alias", [EXT], "SELECT sales_fact.sale_id FROM public.sales_fact "
                                          "WHERE sales_fact.sale_date = '2022-02-02' ORDER BY 1"),
    ("left_join_on", [BOTH],
     "SELECT COUNT(*), COUNT(s.sale_id), SUM(s.amount) FROM public.customers c LEFT JOIN public.sales_fact s "
     "ON s.customer_id = c.customer_id AND s.sale_date >= '2024-09-01' AND s.sale_date < '2024-11-01'"),
    ("ctas_insert_select", [BOTH, EXT],
     "CREATE TEMP TABLE tier_side AS SELECT sale_id, amount FROM public.sales_fact "
     "WHERE sale_date BETWEEN '2024-09-10' AND '2024-10-20'; INSERT INTO tier_side SELECT sale_id, amount "
     "FROM public.sales_fact WHERE sale_date = '2024-02-02'; SELECT COUNT(*), SUM(amount) FROM tier_side"),
]

REFERENCE = ("CREATE TEMP VIEW sales_fact AS SELECT sale_id, customer_id, amount, sale_date "
             "FROM spectrum_schema.sales")


def reference_sql(sql):
    return sql.replace("public.sales_fact", "pg_temp.sales_fact")


def start_proxy(routing=ROUTING):
    """A private proxy on PORT with the policy suite's config plus the tier routing."""
    return rt.start_proxy(routing)


def reference(user="etl"):
    conn = h.Conn(h.dev_port(), user=user, password="etl-dev-pw" if user == "etl" else None,
                  application_name="e2e_tier_direct")
    check(conn.query(REFERENCE).error is None, "the reference view over the whole lake")
    return conn


def etl(application_name="e2e_tier"):
    return h.Conn(PORT, user="etl", password="etl-dev-pw", application_name=application_name)


def routed_count(proxy):
    return sum(1 for r in proxy.audit_lines() if r.get("outcome") == "routed")


def tier_records(proxy, since, expected=1):
    """The tiers named by each routing audit line after the first `since` ones, once
    `expected` more have arrived (a writer thread appends them just after the reply)."""
    deadline = time.monotonic() + 10
    while True:
        routed = [r for r in proxy.audit_lines() if r.get("outcome") == "routed"][since:]
        if len(routed) >= expected or time.monotonic() > deadline:
            return [[t["tier"] for t in r["tiers"]] for r in routed]
        time.sleep(0.02)


def wait_for_watermark(proxy, conn):
    """The first watermark read runs at start; until then every scan reads the lake."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        before = routed_count(proxy)
        check(conn.query("SELECT 1 FROM public.sales_fact WHERE sale_date = '2024-12-01' LIMIT 1").error is None,
              "probe through the proxy")
        if tier_records(proxy, before) == [[LOCAL]]:
            return
        time.sleep(0.2)
    raise h.TestFailure(f"the watermark was never read:\n{proxy.log_text()}")


def same_rows(via, raw, name, sql):
    expected = raw.query(reference_sql(sql))
    check(expected.error is None, f"{name}: reference run failed: {expected.error}")
    got = via.query(sql)
    check(got.error is None, f"{name}: failed through the proxy: {got.error}")
    check_eq(got.rows, expected.rows, f"{name}: rows through the proxy against the whole history")
    return got


def test_rows():
    with start_proxy() as proxy, etl() as via, reference() as raw:
        wait_for_watermark(proxy, via)
        for name, tiers, sql in ROWS:
            before = routed_count(proxy)
            got = same_rows(via, raw, name, sql)
            check_eq(sorted(t for rec in tier_records(proxy, before) for t in rec), sorted(tiers),
                     f"{name}: tiers in the audit lines")
            if tiers != [LOCAL]:
                check(got.rows or "COUNT" in sql.upper(), f"{name}: no rows, compares nothing")
        split = [r for r in proxy.audit_lines() if r.get("outcome") == "routed"][-1]["tiers"][0]["split"]
        check(split.startswith("2024-10-"), f"the split is the watermark: {split}")


def test_overrides():
    recent = "SELECT COUNT(*), SUM(amount) FROM public.sales_fact WHERE sale_date >= '2024-11-01'"
    old = "SELECT COUNT(*) FROM public.sales_fact WHERE sale_date < '2024-01-01'"
    with start_proxy() as proxy, etl() as via, etl("e2e_tier_adhoc_psql") as adhoc, reference() as raw:
        wait_for_watermark(proxy, via)
        cases = [(adhoc, recent, [EXT], "tier rule"),
                 (via, "/* blueshift:tier=external */ " + recent, [EXT], "comment external"),
                 (adhoc, "/* blueshift:tier=auto */ " + recent, [LOCAL], "comment auto beats the rule")]
        for conn, sql, tiers, what in cases:
            before = routed_count(proxy)
            same_rows(conn, raw, what, sql)
            check_eq(tier_records(proxy, before), [tiers], f"{what}: tiers")
        # Forced local: the statement runs as written, on a table that holds no 2023.
        before = routed_count(proxy)
        check_eq(via.query("/* blueshift:tier=local */ " + old).rows, [("0",)], "comment local: as written")
        check_eq(tier_records(proxy, before), [[LOCAL]], "comment local: tiers")
        check_eq(via.query("SHOW blueshift.tier").rows, [("auto",)], "SHOW blueshift.tier")
        check(via.query("SET blueshift.tier = external").error is None, "SET blueshift.tier")
        check_eq(via.query("SHOW blueshift.tier").rows, [("external",)], "SHOW after SET")
        before = routed_count(proxy)
        same_rows(via, raw, "SET external", recent)
        check_eq(tier_records(proxy, before), [[EXT]], "SET external: tiers")
        check(via.query("SET blueshift.tier = sideways").error.get("C") == "22023", "a bad tier is refused")


def check_routed_refusal(fields, rule, what):
    h.check_refusal(fields, rule, what=what)
    detail = fields.get("D", "")
    check("Checked as routed by Blueshift" in detail and "public.sales_fact" in detail and
          "external spectrum_schema.sales and local" in detail, f"{what}: the refusal names the routing: {detail!r}")


def test_refusals():
    with start_proxy() as proxy, h.Conn(PORT, application_name="e2e_tier") as analyst:
        wait_for_watermark(proxy, analyst)
        # 2023-01..2024-09 from the lake: 21 partitions, over the analysts' 12.
        wide = analyst.query("SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= '2023-01-01'")
        check_routed_refusal(wide.error, h.RULE_MAX, "21 lake months, routed")
        # No date bound: the lake's part is open towards the past, no partition filter at all.
        unbounded = analyst.query("SELECT COUNT(*) FROM public.sales_fact")
        check_routed_refusal(unbounded.error, h.RULE_FILTER, "the whole history, routed")
        narrow = analyst.query("SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= '2024-08-01'")
        check(narrow.error is None, f"two lake months and the local table run: {narrow.error}")
        local = analyst.query("SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= '2024-10-15'")
        check(local.error is None and local.rows[0][0] != "0", f"a local range runs as written: {local}")


def test_reload():
    with start_proxy() as proxy, etl() as via, reference() as raw:
        wait_for_watermark(proxy, via)
        recent = "SELECT COUNT(*) FROM public.sales_fact WHERE sale_date >= '2024-12-01' AND sale_date < '2025-01-01'"
        before = routed_count(proxy)
        same_rows(via, raw, "before reload", recent)
        check_eq(tier_records(proxy, before), [[LOCAL]], "before reload")
        # A local table said to begin in 2025: everything it is asked for is in the lake.
        with open(proxy.config) as f:
            text = f.read()
        check(text.count(LOCAL_FROM) == 1, "the config holds the watermark once")
        with open(proxy.config, "w") as f:
            f.write(text.replace(LOCAL_FROM, "local_from: {date: 2025-01-01}"))
        proxy.reload()
        before = routed_count(proxy)
        same_rows(via, raw, "after reload", recent)
        check_eq(tier_records(proxy, before), [[EXT]], "after reload")


def test_reload_on():
    """A proxy started without `routing:` routes after a reload adds it: open sessions too."""
    old = "SELECT COUNT(*), SUM(amount) FROM public.sales_fact WHERE sale_date >= '2023-02-01' AND sale_date < '2023-04-01'"
    with start_proxy(routing="") as proxy, etl() as before_reload, reference() as raw:
        check_eq(before_reload.query(old).rows, [("0", None)], "no routing: the local table holds no 2023")
        with open(proxy.config) as f:
            text = f.read()
        check("routing:" not in text, "the config starts without routing")
        with open(proxy.config, "w") as f:
            f.write(text + ROUTING)
        proxy.reload()
        with etl() as after_reload:
            wait_for_watermark(proxy, after_reload)
            for conn, what in ((before_reload, "a session open before the reload"), (after_reload, "a new session")):
                before = routed_count(proxy)
                got = same_rows(conn, raw, what, old)
                check(got.rows[0][0] != "0", f"{what}: the lake's rows")
                check_eq(tier_records(proxy, before), [[EXT]], f"{what}: tiers")


TESTS = {"rows": test_rows, "overrides": test_overrides, "refusals": test_refusals, "reload": test_reload,
         "reload_on": test_reload_on}

if __name__ == "__main__":
    h.run_tests(TESTS, sys.argv)

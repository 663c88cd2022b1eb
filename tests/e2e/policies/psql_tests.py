#!/usr/bin/env python3
"""Policies through psql, as analyst, against a private proxy (port 6700) and directly.

compliant: every statement runs through the proxy with the same output as directly and
           nothing on stderr.
refused:   every statement is refused with SQLSTATE 42501 naming the table and the rule,
           with DETAIL and HINT (psql -v VERBOSITY=verbose); nothing of the text runs (side
           effects in the same text are checked); the session keeps working: a compliant
           query after each refusal prints what it prints directly.

One psql session per side runs all cases; `\\echo` / `\\warn` markers split stdout / stderr
into cases. Usage: psql_tests.py [compliant|refused] (default: both).
"""

from __future__ import annotations

import re
import sys

import harness as h
from harness import check

PORT = 6700
FILTERED = "select count(*), sum(amount) from spectrum_schema.sales where year = 2024 and month = 3;"

# (name, sql) - each must pass the proxy and print what it prints directly.
COMPLIANT = [
    ("equal", FILTERED),
    ("or_branches", "select count(*), sum(amount) from spectrum_schema.sales "
                    "where (year = 2023 and month = 12) or (year = 2024 and month = 1);"),
    ("in_lists", "select month, count(*) from spectrum_schema.sales "
                 "where year in (2023, 2024) and month in (1, 2, 3) group by month order by month;"),
    ("between", "select count(*), min(sale_date), max(sale_date) from spectrum_schema.sales "
                "where year = 2024 and month between 4 and 6;"),
    ("range", "select count(*) from spectrum_schema.sales where year >= 2023 and year <= 2024 and month = 5;"),
    ("string_value", "select count(*) from spectrum_schema.sales where year = '2024' and month = '03';"),
    ("exactly_12", "select count(*), sum(amount) from spectrum_schema.sales where year = 2022 "
                   "and month between 1 and 12;"),
    ("columns_limit", "select sale_id, customer_id, amount from spectrum_schema.sales "
                      "where year = 2024 and month = 3 order by sale_id limit 5;"),
    ("join_sales_fact", "select count(*), sum(s.amount) from spectrum_schema.sales s "
                        "join public.sales_fact f on f.sale_id = s.sale_id where s.year = 2024 and s.month = 11;"),
    ("join_using", "select count(*) from public.sales_fact f join spectrum_schema.sales s using (sale_id) "
                   "where s.year = 2024 and s.month in (10, 12);"),
    ("cte", "with m as (select customer_id, amount from spectrum_schema.sales where year = 2024 and month = 2) "
            "select count(distinct customer_id), sum(amount) from m;"),
    ("subquery_from", "select max(t) from (select amount as t from spectrum_schema.sales "
                      "where year = 2022 and month = 7) x;"),
    ("subquery_in", "select count(*) from public.customers c where c.customer_id in "
                    "(select customer_id from spectrum_schema.sales where year = 2024 and month = 1);"),
    ("exists", "select count(*) from public.sales_fact f where exists (select 1 from spectrum_schema.sales s "
               "where s.year = 2024 and s.month = 12 and s.sale_id = f.sale_id);"),
    ("union", "select year, month, count(*) from spectrum_schema.sales where year = 2024 and month = 1 "
              "group by 1, 2 union all select year, month, count(*) from spectrum_schema.sales "
              "where year = 2023 and month = 1 group by 1, 2 order by 1, 2;"),
    ("explain", "explain (costs off) select count(*) from spectrum_schema.sales where year = 2024 and month = 3;"),
    ("ctas_temp", "create temp table ctas_ok as select sale_id, amount from spectrum_schema.sales "
                  "where year = 2024 and month = 3;\nselect count(*), sum(amount) from ctas_ok;"),
    ("insert_select_temp", "create temp table side_ok (id bigint);\ninsert into side_ok select sale_id "
                           "from spectrum_schema.sales where year = 2023 and month = 6;\n"
                           "select count(*) from side_ok;"),
    ("multi_statement", "select 1 as one \\; select count(*) from spectrum_schema.sales "
                        "where year = 2024 and month = 4;"),
    ("mixed_case", "select count(*) from Spectrum_Schema.SALES where YEAR = 2024 and Month = 3;"),
    ("quoted_lower", 'select count(*) from "spectrum_schema"."sales" where "year" = 2024 and "month" = 3;'),
    ("search_path", "set search_path to spectrum_schema;\n"
                    "select count(*) from sales where year = 2024 and month = 3;\nreset search_path;"),
    ("not_governed", "select count(*), sum(amount) from public.sales_fact;"),
]

SIDE = "create temp table side_{n} (n int);\n"
SIDE_CHECK = "select 'side rows', count(*) from side_{n};\n"

# (name, setup, refused sql, rule, table, runs directly?, check after)
# `setup` and `check` run on both sides; the refused text runs only through the proxy
# (and, in a third run, directly, to show it is valid SQL with the side effect checked).
REFUSED = [
    ("unfiltered", "", "select count(*) from spectrum_schema.sales;", h.RULE_FILTER, True, ""),
    ("year_only", "", "select count(*) from spectrum_schema.sales where year = 2024;", h.RULE_FILTER, True, ""),
    ("month_only", "", "select count(*) from spectrum_schema.sales where month = 3;", h.RULE_FILTER, True, ""),
    ("lower_bound_only", "", "select count(*) from spectrum_schema.sales where year = 2024 and month >= 6;",
     h.RULE_FILTER, True, ""),
    ("other_column", "", "select count(*) from spectrum_schema.sales "
                         "where sale_date between '2024-03-01' and '2024-03-31';", h.RULE_FILTER, True, ""),
    ("or_branch_without_month", "", "select count(*) from spectrum_schema.sales "
                                    "where (year = 2024 and month = 1) or year = 2023;", h.RULE_FILTER, True, ""),
    ("or_across_columns", "", "select count(*) from spectrum_schema.sales where year = 2024 or month = 3;",
     h.RULE_FILTER, True, ""),
    ("in_year_only", "", "select count(*) from spectrum_schema.sales where year in (2023, 2024);",
     h.RULE_FILTER, True, ""),
    ("max_36", "", "select count(*) from spectrum_schema.sales where year between 2022 and 2024 "
                   "and month between 1 and 12;", h.RULE_MAX, True, ""),
    ("max_14", "", "select count(*) from spectrum_schema.sales where year in (2023, 2024) "
                   "and month between 1 and 7;", h.RULE_MAX, True, ""),
    ("join_filter_on_other_side", "", "select count(*) from spectrum_schema.sales s join public.sales_fact f "
                                      "using (sale_id) where f.sale_date >= '2024-12-01';", h.RULE_FILTER, True, ""),
    ("filter_on_other_relation", "", "select count(*) from spectrum_schema.sales s, "
                                     "(select 2024 as year, 1 as month) p where p.year = 2024 and p.month = 1;",
     h.RULE_FILTER, True, ""),
    ("cte", "", "with m as (select amount from spectrum_schema.sales) select sum(amount) from m;",
     h.RULE_FILTER, True, ""),
    ("subquery", "", "select count(*) from public.customers where customer_id in "
                     "(select customer_id from spectrum_schema.sales where year = 2024);", h.RULE_FILTER, True, ""),
    ("union_branch", "", "select count(*) from spectrum_schema.sales where year = 2024 and month = 1 "
                         "union all select count(*) from spectrum_schema.sales;", h.RULE_FILTER, True, ""),
    ("explain", "", "explain (costs off) select count(*) from spectrum_schema.sales;", h.RULE_FILTER, True, ""),
    ("explain_analyze", "", "explain (analyze, costs off, timing off, summary off) "
                            "select count(*) from spectrum_schema.sales;", h.RULE_FILTER, True, ""),
    ("ctas_temp", "", "create temp table ctas_refused as select * from spectrum_schema.sales;",
     h.RULE_FILTER, True, "select 'exists', to_regclass('pg_temp.ctas_refused') is not null;\n"),
    ("insert_select", SIDE.format(n=1), "insert into side_1 select month from spectrum_schema.sales;",
     h.RULE_FILTER, True, SIDE_CHECK.format(n=1)),
    ("multi_insert_first", SIDE.format(n=2), "insert into side_2 values (1) \\; "
                                              "select count(*) from spectrum_schema.sales;",
     h.RULE_FILTER, True, SIDE_CHECK.format(n=2)),
    ("multi_insert_last", SIDE.format(n=3), "select count(*) from spectrum_schema.sales where year = 2024 \\; "
                                             "insert into side_3 values (1);",
     h.RULE_FILTER, True, SIDE_CHECK.format(n=3)),
    ("multi_three", SIDE.format(n=4), "insert into side_4 values (1) \\; select 1 \\; "
                                       "select count(*) from spectrum_schema.sales where month = 1 \\; "
                                       "insert into side_4 values (2);",
     h.RULE_FILTER, True, SIDE_CHECK.format(n=4)),
    ("block_comment", "", "select count(*) from spectrum_schema.sales /* where year = 2024 and month = 1 */;",
     h.RULE_FILTER, True, ""),
    ("line_comment", "", "select count(*) from spectrum_schema.sales -- where year = 2024 and month = 1\n;",
     h.RULE_FILTER, True, ""),
    ("string_select_list", "", "select count(*), 'where year = 2024 and month = 1' from spectrum_schema.sales;",
     h.RULE_FILTER, True, ""),
    ("string_predicate", "", "select count(*) from spectrum_schema.sales "
                             "where 'year = 2024 and month = 1' <> '';", h.RULE_FILTER, True, ""),
    ("dollar_string", "", "select count(*) from spectrum_schema.sales where $$year = 2024 and month = 1$$ <> '';",
     h.RULE_FILTER, True, ""),
    # Redshift folds quoted identifiers to lower case (enable_case_sensitive_identifier off),
    # so "SPECTRUM_SCHEMA"."Sales" is spectrum_schema.sales there; PostgreSQL does not fold
    # them, so directly on the dev warehouse this one is an unknown relation.
    ("quoted_upper", "", 'select count(*) from "SPECTRUM_SCHEMA"."Sales";', h.RULE_FILTER, False, ""),
    ("mixed_case", "", "select count(*) from Spectrum_Schema.SALES where YEAR = 2024;", h.RULE_FILTER, True, ""),
    ("search_path", "set search_path to spectrum_schema;\n", "select count(*) from sales;", h.RULE_FILTER, True,
     "reset search_path;\n"),
    ("search_path_user", "set search_path = \"$user\", public, spectrum_schema;\n",
     "select count(*) from sales where year = 2024;", h.RULE_FILTER, True, "reset search_path;\n"),
]

ALIVE = "select 'alive', count(*), sum(amount) from spectrum_schema.sales where year = 2024 and month = 3;\n"


def sections(text, marker="== "):
    """Output split at marker lines -> {case: [lines]}."""
    out = {}
    current = None
    for line in text.splitlines():
        if line.startswith(marker):
            current = line[len(marker):].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def errors_in(lines):
    """psql stderr lines (VERBOSITY verbose) -> [{'ERROR': ..., 'DETAIL': ..., 'HINT': ...}]."""
    out = []
    for line in lines:
        m = re.match(r"^(ERROR|DETAIL|HINT|WARNING|LINE \d+|LOCATION):\s+(.*)$", line)
        if m and m.group(1) in ("ERROR", "WARNING"):
            out.append({m.group(1): m.group(2)})
        elif m and out:
            out[-1][m.group(1)] = m.group(2)
        elif out:  # continuation of a multi-line field (DETAIL's "also:" lines)
            key = list(out[-1])[-1]
            out[-1][key] += "\n" + line
    return out


def run(port, script):
    rc, out, err = h.psql(port, "analyst", script)
    check(rc in (0, 1), f"psql exited with {rc}: {err}")
    return sections(out), sections(err)


def test_compliant():
    script = "".join(f"\\echo '== {name}'\n\\warn '== {name}'\n{sql}\n" for name, sql in COMPLIANT)
    with h.Proxy(PORT) as p:
        got_out, got_err = run(p.port, script)
    want_out, want_err = run(h.dev_port(), script)
    problems = []
    for name, sql in COMPLIANT:
        if want_err.get(name):
            problems.append(f"{name}: fails directly: {want_err[name]}")
        if not want_out.get(name):
            problems.append(f"{name}: prints nothing directly")
        if got_err.get(name):
            problems.append(f"{name}: stderr through the proxy: {got_err[name]}")
        if got_out.get(name) != want_out.get(name):
            problems.append(f"{name}: output differs\n    direct: {want_out.get(name)}\n    proxy:  {got_out.get(name)}")
    check(not problems, "compliant queries:\n  " + "\n  ".join(problems))
    print(f"{len(COMPLIANT)} compliant cases: same output as direct")


def test_refused():
    def script(with_refused):
        parts = []
        for name, setup, sql, _rule, _valid, after in REFUSED:
            parts.append(f"\\echo '== {name}'\n\\warn '== {name}'\n{setup}")
            if with_refused:
                parts.append(sql + "\n")
            parts.append(after + ALIVE)
        return "".join(parts)

    with h.Proxy(PORT) as p:
        got_out, got_err = run(p.port, script(True))
    want_out, want_err = run(h.dev_port(), script(False))   # the same minus the refused texts
    full_out, full_err = run(h.dev_port(), script(True))    # the refused texts run directly
    problems = []
    for name, _setup, sql, rule, valid, after in REFUSED:
        errs = errors_in(got_err.get(name, []))
        if len(errs) != 1:
            problems.append(f"{name}: expected exactly one error through the proxy, got {errs}")
        else:
            e = errs[0]
            msg = e.get("ERROR", "")
            if not msg.startswith("42501: blueshift: "):
                problems.append(f"{name}: not a 42501 proxy refusal: {msg!r}")
            if f'rule "{rule}"' not in msg:
                problems.append(f"{name}: does not name rule {rule}: {msg!r}")
            if "spectrum_schema.sales" not in msg:
                problems.append(f"{name}: does not name the table: {msg!r}")
            if not e.get("DETAIL") or not e.get("HINT"):
                problems.append(f"{name}: no DETAIL or HINT: {e}")
        # Everything after the refusal (side-effect checks, the alive query) prints what
        # it prints when the refused text never ran.
        if got_out.get(name) != want_out.get(name):
            problems.append(f"{name}: output after the refusal differs from direct without it\n"
                            f"    direct: {want_out.get(name)}\n    proxy:  {got_out.get(name)}")
        if not any(line.startswith("alive|") for line in got_out.get(name, [])):
            problems.append(f"{name}: the session did not answer the next query: {got_out.get(name)}")
        # The refused text is valid SQL directly (so the refusal is the proxy's doing),
        # and where a side effect is checked, directly it does happen.
        direct_errs = errors_in(full_err.get(name, []))
        if valid and direct_errs:
            problems.append(f"{name}: the refused text fails directly too: {direct_errs}")
        if not valid and not direct_errs:
            problems.append(f"{name}: expected to fail directly (PostgreSQL case rules): {full_out.get(name)}")
        if after and valid and full_out.get(name) == want_out.get(name) and "reset" not in after:
            problems.append(f"{name}: the side-effect check does not tell whether the text ran")
    check(not problems, f"{len(problems)} problem(s) in refused cases:\n  " + "\n  ".join(problems))
    print(f"{len(REFUSED)} refused cases: 42501 with rule, DETAIL and HINT; nothing ran; session usable")


def test_settings():
    """SET/SHOW blueshift.* through psql: answered by the proxy, with PostgreSQL's errors."""
    script = ("\\pset format unaligned\n\\pset tuples_only on\n"
              "show blueshift.version;\nshow blueshift.rules;\nshow blueshift.nope;\n"
              "set blueshift.version = '1';\nselect 'alive';\n")
    with h.Proxy(PORT) as p:
        rc, out, err = h.psql(p.port, "analyst", script, extra_args=("-v", "VERBOSITY=verbose"))
    lines = out.splitlines()
    check(lines and re.fullmatch(r"\d+\.\d+\.\d+", lines[0]), f"SHOW blueshift.version printed {lines[:1]}")
    check(any(line.startswith("analysts-must-filter-partitions|require_partition_filter|enforce|") for line in lines),
          f"SHOW blueshift.rules rows: {lines}")
    check("42704: unrecognized configuration parameter \"blueshift.nope\"" in err, f"unknown setting: {err}")
    check("55P02: parameter \"blueshift.version\" cannot be changed" in err, f"read-only setting: {err}")
    check(lines[-1] == "alive", f"session usable afterwards: {lines[-1:]}")
    print("SET/SHOW blueshift.* answered by the proxy through psql")


if __name__ == "__main__":
    h.run_tests({"compliant": test_compliant, "refused": test_refused, "settings": test_settings}, sys.argv)

#!/usr/bin/python3
"""Each statement of a staged ON CONFLICT / MERGE plan passes the policies (issue 12), as the
upsert COPY's do: a plan step is a way a statement reaches the warehouse. Against a private
proxy (port 6946) with tests/e2e/policies/policies.test.yaml plus an `upserts:` section, a
member of analysts (a role of this test's, its statements logged by the warehouse) upserts
into a table of its own from the lake's spectrum_schema.sales, the source hidden in the
upsert's SELECT, a MERGE's USING subquery, a CTE, or a subquery in SET or WHERE:

  simple     psycopg, simple protocol: without a partition filter each form is refused
             with the partition-filter rule's 42501 before anything runs (the warehouse's
             statement log has none of the test's marker, the target is unchanged, no
             staging table); with the filter the same form runs.
             And a MERGE ... WHEN MATCHED THEN DELETE into a table of schema public, where
             analysts may not DELETE: the client's MERGE passes the policies, but its staged
             DELETE does not, so it is refused with that rule's 42501 before anything runs;
             the same MERGE into the test's own schema runs.
  extended   the same through psycopg with server-side binding (prepare_threshold=0).
Both first check that the steps are read with the plan's own staging tables, not by their
spelling: the proxy's first plan, a MERGE ... WHEN MATCHED THEN DELETE, names staging tables
blueshift_merge_1 and _2 (the second never created without an INSERT clause); its target,
public's table spelled "blueshift_merge_2", is refused by the DELETE rule before anything
runs. Then an upsert whose text spells the next staging table (blueshift_upsert_3) as a
column alias, in a literal and in a comment runs and stores what PostgreSQL would.
Extended only, the steps are checked with each Bind's values: a MERGE from the lake's months
in $1 of three years is refused by the 12-partition rule for {1,2,3,4,5} (15 partitions)
before anything runs, and runs for {1}.
Then, in either protocol, each finding is recorded once per client statement (a second proxy
on the same port, the public DELETE rule in warn mode): an upsert whose client text and staged
load both read the lake with SELECT * has one audit record of the SELECT * rule and one
WARNING; the MERGE ... WHEN MATCHED THEN DELETE into public, whose DELETE only its steps run,
runs with one audit record of the DELETE rule and that rule's WARNING, before its result.
Run with /usr/bin/python3 (Debian's python3-psycopg); skips (77) without tests/run.sh's
environment.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies"))
import harness as h  # noqa: E402

psycopg = h.import_psycopg()

PORTS = {"simple": 6946, "extended": 6947}
USER, PASSWORD = "upsert_steps_analyst", "upsert-steps-pw"
TARGET = "upsert_steps.sales_copy"
PUBLIC = "public.upsert_steps_pub"
# The second staging table of the proxy's first plan, a MERGE's (rewrite/merge_plan.cc).
DECOY = 'public."blueshift_merge_2"'
UPSERTS = ('upserts:\n  enabled: true\n  tables: ["sales_copy", "upsert_steps_pub", "blueshift_merge_2"]\n'
           '  warehouse: postgresql\n  merge: staged\npolicies:\n')
# The next staging table after the MERGE's two, as the plan spells it.
NEXT_STAGE = '"blueshift_upsert_3"'
SPELLED = (f"INSERT INTO {TARGET} (sale_id, amount) SELECT 7 AS {NEXT_STAGE}, length('{NEXT_STAGE}') "
           f"/* {NEXT_STAGE} */ ON CONFLICT (sale_id) DO UPDATE SET amount = EXCLUDED.amount")
DELETING = ("MERGE INTO {table} t USING (VALUES (1, 5.0)) s (sale_id, amount) ON t.sale_id = s.sale_id "
            "WHEN MATCHED THEN DELETE")
LAKE = "spectrum_schema.sales"
FILTER = "year = 2024 AND month = 1"
SET_FROM_LAKE = f"(SELECT max(amount) FROM {LAKE} WHERE sale_id = EXCLUDED.sale_id{{and_filter}})"

# Each form, with {where} (the source's filter) and {and_filter} (the same, after an AND).
FORMS = {
    "select": f"INSERT INTO {TARGET} (sale_id, amount) SELECT sale_id, amount FROM {LAKE}{{where}} "
              "ON CONFLICT (sale_id) DO UPDATE SET amount = EXCLUDED.amount",
    "merge": f"MERGE INTO {TARGET} t USING (SELECT sale_id, amount FROM {LAKE}{{where}}) s ON t.sale_id = s.sale_id "
             "WHEN MATCHED AND s.amount > 0 THEN UPDATE SET amount = s.amount "
             "WHEN NOT MATCHED THEN INSERT (sale_id, amount) VALUES (s.sale_id, s.amount)",
    "cte": f"INSERT INTO {TARGET} (sale_id, amount) WITH s AS (SELECT sale_id, amount FROM {LAKE}{{where}}) "
           "SELECT sale_id, amount FROM s ON CONFLICT (sale_id) DO NOTHING",
    "set": f"INSERT INTO {TARGET} (sale_id, amount) VALUES (1, 0) "
           f"ON CONFLICT (sale_id) DO UPDATE SET amount = {SET_FROM_LAKE}",
    "where": f"INSERT INTO {TARGET} (sale_id, amount) VALUES (1, 0) ON CONFLICT (sale_id) DO UPDATE "
             f"SET amount = 5 WHERE EXISTS (SELECT 1 FROM {LAKE} WHERE sale_id = EXCLUDED.sale_id{{and_filter}})",
}


superuser = h.superuser


def setup():
    """The logged analyst, its target table (one row, key 1); where the warehouse's log stands."""
    with superuser() as su:
        h.logged_role(su, USER, "analysts", PASSWORD)
        su.execute(f"GRANT USAGE ON SCHEMA spectrum_schema TO {USER}")
        su.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA spectrum_schema TO {USER}")
        su.execute("DROP SCHEMA IF EXISTS upsert_steps CASCADE")
        su.execute(f"CREATE SCHEMA upsert_steps AUTHORIZATION {USER}")
        su.execute(f"CREATE TABLE {TARGET} (sale_id bigint PRIMARY KEY, amount numeric(12, 2))")
        su.execute(f"ALTER TABLE {TARGET} OWNER TO {USER}")
        su.execute(f"INSERT INTO {TARGET} VALUES (1, 0)")
        su.execute(f"DROP TABLE IF EXISTS {PUBLIC}")
        su.execute(f"CREATE TABLE {PUBLIC} (sale_id bigint PRIMARY KEY, amount numeric(12, 2))")
        su.execute(f"ALTER TABLE {PUBLIC} OWNER TO {USER}")
        su.execute(f"INSERT INTO {PUBLIC} VALUES (1, 0)")
        su.execute(f"DROP TABLE IF EXISTS {DECOY}")
        su.execute(f"CREATE TABLE {DECOY} (sale_id bigint PRIMARY KEY, amount numeric(12, 2))")
        su.execute(f"ALTER TABLE {DECOY} OWNER TO {USER}")
        su.execute(f"INSERT INTO {DECOY} VALUES (1, 0)")
        return h.log_position(su)


def logged(log, since, marker):
    """The warehouse's log entries of the test's role holding marker."""
    with superuser() as su:
        size = su.execute("SELECT (pg_stat_file(%s)).size", (log,)).fetchone()[0]
        text = su.execute("SELECT pg_read_file(%s, %s, %s)", (log, since, size - since)).fetchone()[0]
    # An entry spans lines when its statement does (a plan's steps as one script).
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", text)
    return [e for e in entries if f"{USER}@dev" in e and marker in e]


def contents(table=TARGET):
    with superuser() as su:
        return su.execute(f"SELECT sale_id, amount FROM {table} ORDER BY sale_id").fetchall()


def staging_tables():
    with superuser() as su:
        return su.execute("SELECT count(*) FROM pg_class WHERE relpersistence = 't' "
                          "AND relname ~ '^blueshift_(upsert|merge)_[0-9]+$'").fetchone()[0]


def run(c, sql, prepare):
    try:
        return c.execute(sql, prepare=prepare or None).statusmessage, ""
    except psycopg.Error as e:
        return e.sqlstate, str(e)


def check_deleting_refused(c, mode, log, since, prepare, table):
    """The MERGE ... WHEN MATCHED THEN DELETE into a table of public: refused by the DELETE
    rule before anything runs, the table and its one row as they were."""
    mark = f"steps_{uuid.uuid4().hex[:12]}"
    state, message = run(c, DELETING.format(table=table).replace("VALUES", f"/* {mark} */ VALUES"), prepare)
    h.check_eq(state, "42501", f"{mode} MERGE deleting from {table}: refused ({message})")
    h.check(h.RULE_DENY in message, f"{mode}: the refusal names the rule: {message}")
    h.check_eq(logged(log, since, mark), [], f"{mode} MERGE deleting from {table}: nothing reached the warehouse")
    h.check_eq(contents(table), [(1, 0)], f"{mode} MERGE deleting from {table}: table unchanged")
    h.check_eq(staging_tables(), 0, f"{mode} MERGE deleting from {table}: no staging table")


def check_stage_names(c, mode, log, since, prepare):
    """The proxy's first plans: a target and a text spelled like their staging tables."""
    check_deleting_refused(c, mode, log, since, prepare, DECOY)
    state, message = run(c, SPELLED, prepare)
    h.check_eq(state, "INSERT 0 1", f"{mode} upsert spelling {NEXT_STAGE}: runs ({message})")
    h.check_eq(contents()[-1], (7, 20), f"{mode} upsert spelling {NEXT_STAGE}: the row as written")
    h.check_eq(staging_tables(), 0, f"{mode} upsert spelling {NEXT_STAGE}: no staging table")


# The lake's sales of three years in the months of the parameter, as a MERGE's source.
BOUND = (f"MERGE INTO {TARGET} t USING (SELECT sale_id, amount FROM {LAKE} /* MARK */ WHERE year IN (2022, 2023, 2024) "
         "AND month = ANY(%s)) s ON t.sale_id = s.sale_id WHEN MATCHED THEN UPDATE SET amount = s.amount "
         "WHEN NOT MATCHED THEN INSERT (sale_id, amount) VALUES (s.sale_id, s.amount)")


def check_bound(c, log, since):
    """Server-side binding: the plan's steps are decided with the Bind's values."""
    before = contents()
    mark = f"steps_{uuid.uuid4().hex[:12]}"
    try:
        c.execute(BOUND.replace("MARK", mark), ([1, 2, 3, 4, 5],), prepare=True)
        state, message = c.statusmessage, ""
    except psycopg.Error as e:
        state, message = e.sqlstate, str(e)
    h.check_eq(state, "42501", f"extended MERGE of 15 partitions: refused at Bind ({message})")
    h.check(h.RULE_MAX in message, f"extended MERGE of 15 partitions: the refusal names the rule: {message}")
    h.check_eq(logged(log, since, mark), [], "extended MERGE of 15 partitions: nothing reached the warehouse")
    h.check_eq(contents(), before, "extended MERGE of 15 partitions: target unchanged")
    h.check_eq(staging_tables(), 0, "extended MERGE of 15 partitions: no staging table")
    mark = f"steps_{uuid.uuid4().hex[:12]}"
    state = c.execute(BOUND.replace("MARK", mark), ([1],), prepare=True).statusmessage
    h.check(state.startswith("MERGE"), f"extended MERGE of 3 partitions runs: {state}")
    h.check(logged(log, since, mark) != [], "extended MERGE of 3 partitions: its steps reached the warehouse")


# The lake read with SELECT * by the client's text and by its plan's staged load.
STAR = (f"INSERT INTO {TARGET} (sale_id, amount) SELECT sale_id, amount FROM (SELECT * FROM {LAKE} WHERE {FILTER}) s "
        "ON CONFLICT (sale_id) DO UPDATE SET amount = EXCLUDED.amount")
WARN_DELETE = {f"mode: enforce  # {h.RULE_DENY}": f"mode: warn  # {h.RULE_DENY}"}


def rule_records(proxy, rule):
    """The audit file's policy records with a finding of rule (the writer is asynchronous:
    read until two reads half a second apart agree)."""
    count = lambda: sum(1 for r in proxy.audit_lines() if any(f.get("rule") == rule for f in r.get("findings", [])))
    last, now = -1, count()
    while now != last:
        time.sleep(0.5)
        last, now = now, count()
    return now


def check_once(c, proxy, mode, prepare, sql, rule, tag):
    """sql runs, with one audit record of rule and one WARNING of it, before its result."""
    seen = []
    handler = lambda d: seen.append((d.severity_nonlocalized, d.sqlstate, d.message_primary))  # noqa: E731
    c.add_notice_handler(handler)
    before = rule_records(proxy, rule)
    state, message = run(c, sql, prepare)
    c.remove_notice_handler(handler)
    h.check(state.startswith(tag), f"{mode} {rule}: runs: {state} {message}")
    h.check_eq(rule_records(proxy, rule) - before, 1, f"{mode} {rule}: audit records of the statement")
    h.check_eq(len(seen), 1, f"{mode} {rule}: the client's notices: {seen}")
    h.check_warning({"S": seen[0][0], "C": seen[0][1], "M": seen[0][2]}, rule, f"{mode} {rule}")


def check_recorded_once(mode):
    setup()
    prepare = mode == "extended"
    with h.Proxy(PORTS[mode], {"policies:\n": UPSERTS, **WARN_DELETE}) as proxy, \
            psycopg.connect(f"host=127.0.0.1 port={proxy.port} dbname=dev user={USER} password={PASSWORD} "
                            "connect_timeout=10", autocommit=True, prepare_threshold=0 if prepare else None,
                            cursor_factory=psycopg.Cursor if prepare else psycopg.ClientCursor) as c:
        check_once(c, proxy, mode, prepare, STAR, h.RULE_STAR, "INSERT")
        check_once(c, proxy, mode, prepare, DELETING.format(table=PUBLIC), h.RULE_DENY, "MERGE 1")


def check_forms(mode):
    log, since = setup()
    prepare = mode == "extended"
    with h.Proxy(PORTS[mode], {"policies:\n": UPSERTS}) as proxy, \
            psycopg.connect(f"host=127.0.0.1 port={proxy.port} dbname=dev user={USER} password={PASSWORD} "
                            "connect_timeout=10", autocommit=True, prepare_threshold=0 if prepare else None,
                            cursor_factory=psycopg.Cursor if prepare else psycopg.ClientCursor) as c:
        check_stage_names(c, mode, log, since, prepare)
        for name, form in FORMS.items():
            before = contents()
            mark = f"steps_{uuid.uuid4().hex[:12]}"
            # The marker inside the lake scan, which every plan's steps copy.
            wide = form.format(where="", and_filter="").replace(LAKE, f"{LAKE} /* {mark} */")
            state, message = run(c, wide, prepare)
            h.check_eq(state, "42501", f"{mode} {name} without a partition filter: refused ({message})")
            h.check(h.RULE_FILTER in message, f"{mode} {name}: the refusal names the rule: {message}")
            h.check_eq(logged(log, since, mark), [], f"{mode} {name}: nothing of it reached the warehouse")
            h.check_eq(contents(), before, f"{mode} {name}: target unchanged")
            h.check_eq(staging_tables(), 0, f"{mode} {name}: no staging table")
            mark = f"steps_{uuid.uuid4().hex[:12]}"
            narrow = form.format(where=f" WHERE {FILTER}", and_filter=f" AND {FILTER}").replace(LAKE, f"{LAKE} /* {mark} */")
            state, message = run(c, narrow, prepare)
            h.check(state.startswith(("INSERT", "MERGE")), f"{mode} {name} with the filter runs: {state} {message}")
            h.check(logged(log, since, mark) != [], f"{mode} {name}: its steps reached the warehouse")
            h.check_eq(c.execute("SELECT 1").fetchone(), (1,), f"{mode} {name}: the session goes on")
        if prepare:
            check_bound(c, log, since)
        check_deleting_refused(c, mode, log, since, prepare, PUBLIC)
        state, message = run(c, DELETING.format(table=TARGET), prepare)
        h.check_eq(state, "MERGE 1", f"{mode} the same MERGE into the test's schema runs ({message})")


def test_simple():
    check_forms("simple")
    check_recorded_once("simple")


def test_extended():
    check_forms("extended")
    check_recorded_once("extended")


if __name__ == "__main__":
    h.run_tests({"simple": test_simple, "extended": test_extended}, sys.argv)

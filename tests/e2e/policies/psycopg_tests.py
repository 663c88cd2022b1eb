#!/usr/bin/python3
"""Policies through psycopg 3 (Debian python3-psycopg: run with /usr/bin/python3), as
analyst and etl, against a private proxy (port 6705) and directly.

Server-side prepared statements (prepare=True, prepare_threshold=0) with parameters in
psycopg's default format (binary for int) and in text; decisions at Bind (require_partition_filter
with $n values, max_partitions with `year between $1 and $2`); pipelines (compliant then
refused in one batch); refusals in and out of transactions; warn-mode notices.
Every row returned through the proxy is compared with the same statement run directly.
"""

from __future__ import annotations

import os
import sys
import unittest

import harness as h

psycopg = h.import_psycopg()
from psycopg import errors  # noqa: E402

PORT = 6705
proxy = None

BOTH = "select count(*), sum(amount) from spectrum_schema.sales where year = %s and month = %s"
BOTH_TEXT = "select count(*), sum(amount) from spectrum_schema.sales where year = %t and month = %t"
YEAR_ONLY = "select count(*) from spectrum_schema.sales where year = %s"
YEAR_RANGE = ("select count(*), sum(amount) from spectrum_schema.sales "
              "where year between %s and %s and month between 1 and 12")


def connect(port, user="analyst", **kw):
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname=dev user={user} password={h.USERS[user]} "
                           "connect_timeout=10 application_name=e2e_policies_psycopg", **kw)


def direct(sql, params=(), user="analyst"):
    with connect(h.dev_port(), user, autocommit=True) as c:
        return c.execute(sql, params).fetchall()


class Policies(unittest.TestCase):
    def setUp(self):
        self.conn = connect(proxy.port, autocommit=True)
        self.conn.prepare_threshold = 0  # every statement is prepared server-side on first use

    def tearDown(self):
        self.conn.close()

    def assertRefused(self, exc, rule, table="spectrum_schema.sales"):
        e = exc.exception
        self.assertIsInstance(e, errors.InsufficientPrivilege)
        self.assertEqual(e.sqlstate, "42501")
        self.assertTrue(e.diag.message_primary.startswith("blueshift:"), e.diag.message_primary)
        self.assertIn(f'rule "{rule}"', e.diag.message_primary)
        self.assertIn(table, e.diag.message_primary)
        self.assertTrue(e.diag.message_detail, "DETAIL")
        self.assertTrue(e.diag.message_hint, "HINT")
        return e

    def assertSameAsDirect(self, sql, params, conn=None, prepare=True):
        got = (conn or self.conn).execute(sql, params, prepare=prepare).fetchall()
        self.assertEqual(got, direct(sql, params))
        self.assertTrue(got)
        return got

    # --- compliant, with parameters
    def test_prepared_text_params(self):
        for params in ((2024, 3), (2023, 12), (2022, 1)):
            self.assertSameAsDirect(BOTH_TEXT, params)

    def test_prepared_default_params(self):
        # psycopg sends Python ints in binary (int2/int4/int8, declared in Parse).
        for params in ((2024, 3), (2023, 12), (2022, 1)):
            self.assertSameAsDirect(BOTH, params)

    def test_prepared_string_params(self):
        self.assertSameAsDirect(BOTH, ("2024", "03"))

    def test_max_partitions_at_bind(self):
        self.assertSameAsDirect(YEAR_RANGE.replace("%s", "%t"), (2024, 2024))   # 12 partitions
        with self.assertRaises(psycopg.Error) as exc:
            self.conn.execute(YEAR_RANGE.replace("%s", "%t"), (2023, 2024), prepare=True)  # 24
        e = self.assertRefused(exc, h.RULE_MAX)
        self.assertIn("24 partitions match, the limit is 12", e.diag.message_detail)
        # The same prepared statement, other values: passes again.
        self.assertSameAsDirect(YEAR_RANGE.replace("%s", "%t"), (2022, 2022))

    def test_max_partitions_at_bind_default_params(self):
        self.assertSameAsDirect(YEAR_RANGE, (2024, 2024))
        with self.assertRaises(psycopg.Error) as exc:
            self.conn.execute(YEAR_RANGE, (2022, 2024), prepare=True)
        self.assertRefused(exc, h.RULE_MAX)

    # --- refused
    def test_year_only_refused(self):
        for params in ((2024,), ("2024",)):
            with self.assertRaises(psycopg.Error) as exc:
                self.conn.execute(YEAR_ONLY, params, prepare=True)
            e = self.assertRefused(exc, h.RULE_FILTER)
            self.assertIn("month is not", e.diag.message_detail)
        self.assertSameAsDirect(BOTH_TEXT, (2024, 5))  # the connection is still usable

    def test_unprepared_refused(self):
        with self.assertRaises(psycopg.Error) as exc:
            self.conn.execute("select count(*) from spectrum_schema.sales", prepare=False)
        self.assertRefused(exc, h.RULE_FILTER)
        self.assertSameAsDirect("select count(*) from spectrum_schema.sales where year = 2024 and month = 6", (),
                                prepare=False)

    def test_refusal_in_transaction(self):
        with connect(proxy.port) as conn:  # autocommit off: psycopg opens a transaction
            self.assertSameAsDirect(BOTH_TEXT, (2024, 3), conn=conn)
            with self.assertRaises(psycopg.Error) as exc:
                conn.execute(YEAR_ONLY, (2024,), prepare=True)
            self.assertRefused(exc, h.RULE_FILTER)
            self.assertEqual(conn.info.transaction_status, psycopg.pq.TransactionStatus.INERROR)
            with self.assertRaises(errors.InFailedSqlTransaction):
                conn.execute("select 1")
            conn.rollback()
            self.assertEqual(conn.info.transaction_status, psycopg.pq.TransactionStatus.IDLE)
            self.assertSameAsDirect(BOTH_TEXT, (2024, 4), conn=conn)

    def test_executemany(self):
        # executemany sends one Bind/Execute per row of parameters (pipelined when libpq can).
        ins = "insert into side select count(*) from spectrum_schema.sales where year = %t and month = %t"
        rows = [(2024, 1), (2024, 2), (2023, 5)]
        with connect(proxy.port) as conn:
            conn.execute("create temp table side (n bigint)")
            conn.cursor().executemany(ins, rows)
            got = conn.execute("select n from side order by n").fetchall()
            want = sorted(direct("select count(*) from spectrum_schema.sales where year = %t and month = %t", p)[0]
                          for p in rows)
            self.assertEqual(got, want)
            conn.commit()
            # A row whose values break max_partitions: refused at its Bind, the batch fails.
            wide = ("insert into side select count(*) from spectrum_schema.sales "
                    "where year between %t and %t and month between 1 and 12")
            with self.assertRaises(psycopg.Error) as exc:
                conn.cursor().executemany(wide, [(2024, 2024), (2022, 2024)])
            self.assertRefused(exc, h.RULE_MAX)
            conn.rollback()
            self.assertEqual(conn.execute("select n from side order by n").fetchall(), want)
            # A statement no value can save: refused before any row runs.
            with self.assertRaises(psycopg.Error) as exc:
                conn.cursor().executemany("insert into side select count(*) from spectrum_schema.sales "
                                          "where year = %t", [(2024,), (2023,)])
            self.assertRefused(exc, h.RULE_FILTER)
            conn.rollback()
            self.assertEqual(conn.execute("select n from side order by n").fetchall(), want)

    @unittest.skipUnless(psycopg.Pipeline.is_supported(), "libpq without pipeline mode")
    def test_pipeline_compliant_then_refused(self):
        with connect(proxy.port, autocommit=True) as conn:
            conn.prepare_threshold = 0
            with self.assertRaises(psycopg.Error) as exc:
                with conn.pipeline():
                    c1 = conn.execute(BOTH_TEXT, (2024, 3), prepare=True)
                    # psycopg may raise the refusal here already or only at the end of the
                    # pipeline, depending on when it reads the results.
                    conn.execute(YEAR_ONLY.replace("%s", "%t"), (2024,), prepare=True)
                    conn.execute(BOTH_TEXT, (2024, 4), prepare=True)
            self.assertRefused(exc, h.RULE_FILTER)
            self.assertEqual(c1.fetchall(), direct(BOTH_TEXT, (2024, 3)))
            self.assertSameAsDirect(BOTH_TEXT, (2024, 5), conn=conn)

    @unittest.skipUnless(psycopg.Pipeline.is_supported(), "libpq without pipeline mode")
    def test_pipeline_failing_then_refused(self):
        # The server's error comes first and the rest of the batch is skipped: the client
        # sees that error, not the refusal.
        with connect(proxy.port, autocommit=True) as conn:
            conn.prepare_threshold = 0
            with self.assertRaises(psycopg.Error) as exc:
                with conn.pipeline():
                    conn.execute("select 1 / %t", (0,), prepare=True)
                    conn.execute(YEAR_ONLY.replace("%s", "%t"), (2024,), prepare=True)
            self.assertIsInstance(exc.exception, errors.DivisionByZero)
            self.assertSameAsDirect(BOTH_TEXT, (2024, 7), conn=conn)

    # --- probes that read nothing (Metabase, dbt): not refused, no row, the columns
    def test_metabase_probe(self):
        for prepare in (False, True):
            cur = self.conn.execute("SELECT TRUE FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0", prepare=prepare)
            self.assertEqual(cur.fetchall(), [], f"prepare={prepare}")
            self.assertEqual(len(cur.description), 1)
            cur = self.conn.execute("select sale_id, amount from spectrum_schema.sales where false", prepare=prepare)
            self.assertEqual([d.name for d in cur.description], ["sale_id", "amount"])
            self.assertEqual(cur.fetchall(), [])

    def test_dbt_probe(self):
        with connect(proxy.port, autocommit=True) as conn:  # a temp table of its own
            conn.execute('create temporary table "sales__dbt_tmp" as (select * from spectrum_schema.sales where 1 = 0)')
            cols = conn.execute("select * from sales__dbt_tmp limit 0").description
            self.assertEqual([d.name for d in cols], ["sale_id", "customer_id", "amount", "sale_date", "year", "month"])

    def test_not_a_probe_refused(self):
        for sql in ("select count(*) from spectrum_schema.sales where 1 <> 1 or true",
                    "select count(*) from spectrum_schema.sales where year in "
                    "(select year from spectrum_schema.sales where 1 = 0)"):
            for prepare in (False, True):
                with self.assertRaises(psycopg.Error) as exc:
                    self.conn.execute(sql, prepare=prepare)
                self.assertRefused(exc, h.RULE_FILTER)

    # --- the cost cap (max_scan_bytes 50000 for application_name e2e_cost): refused before
    # running, the DETAIL's bytes being the lake files' sizes on disk
    def test_cost_cap(self):
        lake = os.path.join(os.environ["BLUESHIFT_DEV_DIR"], "lake", "sales")
        def size(year, month):
            folder = os.path.join(lake, f"year={year}", f"month={month:02d}")
            return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        with psycopg.connect(f"host=127.0.0.1 port={proxy.port} dbname=dev user=analyst "
                             f"password={h.USERS['analyst']} application_name=e2e_cost", autocommit=True) as conn:
            for prepare in (False, True):
                with self.assertRaises(psycopg.Error) as exc:
                    conn.execute("select * from spectrum_schema.sales where year = %s and month between 1 and 12",
                                 (2024,), prepare=prepare)
                e = self.assertRefused(exc, "cost-e2e-max-50000-bytes")
                total = sum(size(2024, m) for m in range(1, 13))
                self.assertIn(f"spectrum_schema.sales: 12 of 36 partitions", e.diag.message_detail)
                self.assertIn(f"({total} bytes)", e.diag.message_detail)
                self.assertIn("the limit is", e.diag.message_detail)
                self.assertIn("(year, month)", e.diag.message_hint)
                self.assertIn("instead of *", e.diag.message_hint)
        # (A fresh connection: on the same one, an unnamed statement Parse'd after a refused
        # Bind is checked at its Bind against the refused statement, a proxy bug reported apart.)
        with psycopg.connect(f"host=127.0.0.1 port={proxy.port} dbname=dev user=analyst "
                             f"password={h.USERS['analyst']} application_name=e2e_cost", autocommit=True) as conn:
            if size(2024, 1) <= 50000:  # one month is under the cap
                got = conn.execute("select count(*) from spectrum_schema.sales where year = %s and month = %s",
                                   (2024, 1)).fetchall()
                self.assertEqual(got, direct("select count(*) from spectrum_schema.sales where year = 2024 and month = 1"))
            # A probe costs nothing.
            self.assertEqual(conn.execute("select * from spectrum_schema.sales where 1 <> 1 limit 0").fetchall(), [])

    # --- warn mode and exemptions
    def test_select_star_warning(self):
        notices = []  # a Diagnostic is valid only inside the handler: copy its fields
        self.conn.add_notice_handler(
            lambda d: notices.append((d.severity_nonlocalized, d.sqlstate, d.message_primary, d.message_detail)))
        sql = "select * from spectrum_schema.sales where year = %t and month = %t order by sale_id"
        self.assertSameAsDirect(sql, (2024, 3))
        self.assertEqual(len(notices), 1, notices)
        severity, sqlstate, message, detail = notices[0]
        self.assertEqual((severity, sqlstate), ("WARNING", "01000"))
        self.assertIn(f'breaks rule "{h.RULE_STAR}"', message)
        self.assertIn("SELECT *", detail)
        # Not prepared (simple protocol): the same warning.
        self.assertSameAsDirect(sql.replace("%t", "%s"), ("2023", "7"), prepare=False)
        self.assertEqual(len(notices), 2, notices)

    def test_etl_exempt(self):
        with connect(proxy.port, "etl", autocommit=True) as conn:
            conn.prepare_threshold = 0
            notices = []
            conn.add_notice_handler(lambda d: notices.append(d.message_primary))
            for sql, params in (("select count(*), sum(amount) from spectrum_schema.sales", ()),
                                (YEAR_ONLY, (2024,)), (YEAR_RANGE, (2022, 2024)),
                                ("select * from spectrum_schema.sales where year = %s and month = %s order by 1",
                                 (2022, 2))):
                got = conn.execute(sql, params, prepare=True).fetchall()
                self.assertEqual(got, direct(sql, params, user="etl"), sql)
            self.assertEqual(notices, [])
            ids = [r[0] for r in direct("select sale_id from public.sales_fact order by 1 limit 3", user="etl")]
            before = direct("select count(*) from public.sales_fact", user="etl")
            with conn.transaction(force_rollback=True):  # the data stays
                cur = conn.execute("delete from public.sales_fact where sale_id = any(%s)", (ids,), prepare=True)
                self.assertEqual(cur.rowcount, len(ids))
            self.assertEqual(direct("select count(*) from public.sales_fact", user="etl"), before)

    def test_analyst_delete_refused(self):
        with self.assertRaises(psycopg.Error) as exc:
            self.conn.execute("delete from public.sales_fact where sale_id = %s", (1,), prepare=True)
        self.assertRefused(exc, h.RULE_DENY, table="public.sales_fact")

    def test_show_blueshift_settings(self):
        # Answered by the proxy, unprepared and prepared (Parse/Bind/Describe/Execute).
        for prepare in (False, True):
            version = self.conn.execute("SHOW blueshift.version", prepare=prepare).fetchone()[0]
            self.assertTrue(version, f"prepare={prepare}")
            cur = self.conn.execute("show blueshift.rules", prepare=prepare)
            self.assertEqual([d.name for d in cur.description], ["name", "type", "mode", "tables"])
            self.assertIn(h.RULE_FILTER, [row[0] for row in cur.fetchall()])

    def test_unknown_and_read_only_blueshift_settings(self):
        with self.assertRaises(errors.UndefinedObject):
            self.conn.execute("show blueshift.no_such_setting")
        with self.assertRaises(errors.CantChangeRuntimeParam):
            self.conn.execute("set blueshift.version = '1'")
        self.assertEqual(self.conn.execute("select 1").fetchone()[0], 1)

    def test_show_blueshift_in_a_transaction(self):
        self.conn.autocommit = False
        try:
            self.conn.execute("select 1")
            self.assertTrue(self.conn.execute("show blueshift.version").fetchone()[0])
            self.conn.rollback()
        finally:
            self.conn.autocommit = True


if __name__ == "__main__":
    h.require_env()
    h.exit_on_sigterm()
    proxy = h.Proxy(PORT)
    try:
        proxy.start()
        result = unittest.main(exit=False, verbosity=2).result
        ok = result.wasSuccessful()
        if not ok:
            print("---- proxy log (last 40 lines) ----")
            print("\n".join(proxy.log_text().splitlines()[-40:]))
    finally:
        proxy.cleanup()
    sys.exit(0 if ok else 1)

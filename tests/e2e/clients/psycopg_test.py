#!/usr/bin/python3
"""psycopg 3 (Debian python3-psycopg) directly on the warehouse and through the proxy.

Each scenario runs on both connections and returns a transcript; transcripts must be equal,
and each test also asserts what the scenario must have seen. Covers server-side prepared
statements (prepare=True, prepare_threshold=0), many parameter types in text and binary,
executemany (pipelined by psycopg), COPY both ways (text and binary), transactions and
savepoints, notice handlers, notifications, and errors inside a transaction.
Needs the environment tests/run.sh exports (run through run_checked.sh).
"""
import datetime as dt
import decimal
import os
import select
import sys
import threading
import time
import unittest
import uuid

import psycopg
from psycopg import errors, sql
from psycopg.types.json import Jsonb
from psycopg.types.range import Range

DB = os.environ.get("E2E_DB", "blueshift_e2e_clients")


def conninfo(port, user="analyst", password="analyst-dev-pw"):
    return (f"host=127.0.0.1 port={port} dbname={DB} user={user} password={password} "
            "connect_timeout=10 application_name=e2e_clients_psycopg")


DIRECT = os.environ["BLUESHIFT_DEV_PORT"]
PROXY = os.environ["BLUESHIFT_TEST_PROXY_PORT"]


class Both(unittest.TestCase):
    def run_both(self, scenario, **connect_args):
        """Runs scenario(conn) direct and through the proxy; asserts equal transcripts."""
        out = {}
        for side, port in (("direct", DIRECT), ("proxy", PROXY)):
            with psycopg.connect(conninfo(port), **connect_args) as conn:
                out[side] = scenario(conn)
        self.maxDiff = None
        self.assertEqual(out["direct"], out["proxy"], "direct and proxied transcripts differ")
        return out["proxy"]


def error_info(e):
    d = e.diag
    return (type(e).__name__, e.sqlstate, d.severity_nonlocalized, d.message_primary, d.message_detail,
            d.message_hint, d.statement_position)


class PreparedStatements(Both):
    def test_server_side_prepared(self):
        def scenario(conn):
            conn.prepare_threshold = 0  # prepare every statement on first use
            rows = []
            with conn.cursor() as cur:
                for i in range(20):
                    cur.execute("SELECT %s::int * 2 AS doubled, %s::text AS label, %s::numeric + 0.5 AS n",
                                (i, f"row {i} ✓", decimal.Decimal(i)), prepare=True)
                    rows.append(cur.fetchone())
                # psycopg names its statements _pg3_N; the server must list them.
                cur.execute("SELECT count(*), bool_and(name LIKE '\\_pg3\\_%%'), "
                            "bool_or(statement LIKE 'SELECT $1::int * 2%%') FROM pg_prepared_statements")
                listed = cur.fetchone()
                try:
                    cur.execute("SELECT %s::int AS bad", ("not a number",), prepare=True)
                    bad = None
                except errors.InvalidTextRepresentation as e:
                    bad = error_info(e)
                conn.rollback()  # prepared statements outlive the failed transaction
                # After the error, the connection still works and reuses its prepared statement.
                cur.execute("SELECT %s::int * 2 AS doubled, %s::text AS label, %s::numeric + 0.5 AS n",
                            (100, "again", decimal.Decimal(1)), prepare=True)
                again = cur.fetchone()
            conn.rollback()
            return rows, listed, bad, again

        rows, listed, bad, again = self.run_both(scenario)
        self.assertEqual(rows[7], (14, "row 7 ✓", decimal.Decimal("7.5")))
        self.assertGreaterEqual(listed[0], 1)
        self.assertTrue(listed[1])
        self.assertTrue(listed[2])
        self.assertEqual(bad[1], "22P02")
        self.assertEqual(again, (200, "again", decimal.Decimal("1.5")))

    def test_prepare_threshold_zero_connection_wide(self):
        def scenario(conn):
            with conn.cursor() as cur:
                for i in range(3):
                    cur.execute("SELECT %s::int + 1", (i,))
                cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1'")
                return cur.fetchone()[0]

        self.assertEqual(self.run_both(scenario, prepare_threshold=0), 1)


VALUES = [
    ("int", 42), ("bigint", -9_000_000_000_000), ("float", 3.25), ("nan", float("nan")),
    ("numeric", decimal.Decimal("12345678901234567890.123456789")), ("text", "héllo 日本 🚀"),
    ("empty", ""), ("null", None), ("bool", True), ("bytes", b"\x00\x01\xffabc"),
    ("date", dt.date(2024, 2, 29)), ("timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 678901)),
    ("timestamptz", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
    ("time", dt.time(23, 59, 58, 1)), ("interval", dt.timedelta(days=3, seconds=7, microseconds=9)),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("jsonb", Jsonb({"a": [1, 2, None], "ü": "✓"})), ("int[]", [1, None, 3]), ("text[]", ["a", "b,c", None, "✓"]),
    ("range", Range(1, 10, "[)")),
]


class ParameterTypes(Both):
    def test_round_trip_text_and_binary(self):
        def scenario(conn):
            conn.execute("SET timezone = 'UTC'")
            out = []
            for binary in (False, True):
                with conn.cursor(binary=binary) as cur:
                    for name, value in VALUES:
                        placeholder = "%b" if binary else "%t"
                        cur.execute(f"SELECT {placeholder} AS v", (value,))
                        (got,) = cur.fetchone()
                        typ = (cur.description[0].type_code, cur.pgresult.fformat(0))
                        if isinstance(got, float) and got != got:
                            got = "NaN"
                        if isinstance(got, Jsonb):
                            got = got.obj
                        out.append((binary, name, repr(got), typ))
            return out

        out = self.run_both(scenario)
        by = {(b, n): (v, t) for b, n, v, t in out}
        for binary in (False, True):
            self.assertEqual(by[(binary, "int")][0], "42")
            self.assertEqual(by[(binary, "text")][0], repr("héllo 日本 🚀"))
            self.assertEqual(by[(binary, "bytes")][0], repr(b"\x00\x01\xffabc"))
            self.assertEqual(by[(binary, "null")][0], "None")
            self.assertEqual(by[(binary, "numeric")][0], repr(decimal.Decimal("12345678901234567890.123456789")))
            self.assertEqual(by[(binary, "int[]")][0], repr([1, None, 3]))
            self.assertEqual(by[(binary, "timestamptz")][0],
                             repr(dt.datetime(2024, 1, 1, 21, 34, 5, tzinfo=dt.timezone.utc)))

    def test_wide_row_and_many_params(self):
        def scenario(conn):
            params = list(range(1000))
            placeholders = ", ".join(["%s"] * len(params))
            row = conn.execute(f"SELECT ARRAY[{placeholders}]::int[]", params).fetchone()[0]
            big = "x" * (2 << 20)
            length = conn.execute("SELECT length(%s), md5(%s)", (big, big)).fetchone()
            return sum(row), len(row), length

        total, n, (length, _) = self.run_both(scenario)
        self.assertEqual((total, n, length), (499500, 1000, 2 << 20))


class ExecuteMany(Both):
    def test_executemany_and_returning(self):
        def scenario(conn):
            conn.execute("DROP TABLE IF EXISTS pg3_many")
            conn.execute("CREATE TABLE pg3_many (id int PRIMARY KEY, name text, amount numeric)")
            conn.commit()
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO pg3_many VALUES (%s, %s, %s)",
                                [(i, f"name {i} ü", decimal.Decimal(i) / 4) for i in range(1, 1001)])
                inserted = cur.rowcount
                cur.executemany("UPDATE pg3_many SET amount = amount + %s WHERE id = %s RETURNING id, amount",
                                [(1, 10), (2, 20), (3, 30)], returning=True)
                returned = []
                while True:
                    returned.append(cur.fetchall())
                    if not cur.nextset():
                        break
                conn.commit()
                try:
                    cur.executemany("INSERT INTO pg3_many VALUES (%s, %s, %s)", [(5000, "ok", 1), (1, "dup", 1)])
                    dup = None
                except errors.UniqueViolation as e:
                    dup = error_info(e)
            conn.rollback()
            summary = conn.execute("SELECT count(*), sum(amount), count(DISTINCT name) FROM pg3_many").fetchone()
            conn.execute("DROP TABLE pg3_many")
            conn.commit()
            return inserted, returned, dup, summary

        inserted, returned, dup, summary = self.run_both(scenario)
        self.assertEqual(inserted, 1000)
        self.assertEqual(returned, [[(10, decimal.Decimal("3.50"))], [(20, decimal.Decimal("7.00"))],
                                    [(30, decimal.Decimal("10.50"))]])
        self.assertEqual(dup[1], "23505")
        # The failed executemany ran in the connection's transaction, rolled back by commit().
        self.assertEqual(summary, (1000, decimal.Decimal("125131.00"), 1000))


class Copy(Both):
    def test_copy_in_and_out(self):
        rows = [(i, f"text {i}\twith tab\nand newline ✓" if i % 3 else None, dt.date(2024, 1, 1) + dt.timedelta(days=i))
                for i in range(1, 5001)]

        def scenario(conn):
            conn.execute("DROP TABLE IF EXISTS pg3_copy")
            conn.execute("CREATE TABLE pg3_copy (id int, t text, d date)")
            with conn.cursor() as cur:
                with cur.copy("COPY pg3_copy FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
                n_in = cur.rowcount
                with cur.copy("COPY pg3_copy (id, t, d) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int4", "text", "date"])
                    for r in rows[:100]:
                        copy.write_row((r[0] + 10000, r[1], r[2]))
                # Raw blocks, split mid-row.
                raw = "".join(f"{i}\traw {i}\t2020-01-01\n" for i in range(20000, 20500)).encode()
                with cur.copy("COPY pg3_copy FROM STDIN") as copy:
                    for start in range(0, len(raw), 777):
                        copy.write(raw[start:start + 777])
                out_rows = []
                with cur.copy("COPY (SELECT id, t, d FROM pg3_copy ORDER BY id) TO STDOUT") as copy:
                    for row in copy.rows():
                        out_rows.append(row)
                binary_rows = []
                with cur.copy("COPY (SELECT id, t, d FROM pg3_copy WHERE id > 10000 ORDER BY id) TO STDOUT (FORMAT BINARY)") as copy:
                    copy.set_types(["int4", "text", "date"])
                    for row in copy.rows():
                        binary_rows.append(row)
                with cur.copy("COPY (SELECT g FROM generate_series(1, 3000) g) TO STDOUT") as copy:
                    blocks = b"".join(bytes(b) for b in copy)
                # An exception inside the block aborts the COPY: the server reports it.
                try:
                    with cur.copy("COPY pg3_copy FROM STDIN") as copy:
                        copy.write_row((1, "x", None))
                        raise RuntimeError("client gave up")
                except errors.QueryCanceled as e:
                    aborted = error_info(e)[:2]
                except Exception as e:  # noqa: BLE001 (transcript, compared with direct)
                    aborted = (type(e).__name__, str(e))
            conn.rollback()
            return n_in, out_rows, binary_rows, blocks, aborted

        n_in, out_rows, binary_rows, blocks, aborted = self.run_both(scenario)
        self.assertEqual(n_in, 5000)
        self.assertEqual(len(out_rows), 5600)
        self.assertEqual(out_rows[0], ("1", "text 1\twith tab\nand newline ✓", "2024-01-02"))
        self.assertEqual(out_rows[2], ("3", None, "2024-01-04"))
        self.assertEqual(binary_rows[:2], [(10001, rows[0][1], rows[0][2]), (10002, rows[1][1], rows[1][2])])
        self.assertEqual(blocks, "".join(f"{i}\n" for i in range(1, 3001)).encode())
        self.assertEqual(aborted[1], "57014")


class Transactions(Both):
    def test_transactions_savepoints_and_errors(self):
        def scenario(conn):
            log = []
            conn.execute("DROP TABLE IF EXISTS pg3_tx")
            conn.execute("CREATE TABLE pg3_tx (k int PRIMARY KEY)")
            conn.commit()
            conn.autocommit = True
            with conn.transaction():
                conn.execute("INSERT INTO pg3_tx VALUES (1)")
                try:
                    with conn.transaction():  # a savepoint
                        conn.execute("INSERT INTO pg3_tx VALUES (2)")
                        conn.execute("INSERT INTO pg3_tx VALUES (1)")
                except errors.UniqueViolation as e:
                    log.append(error_info(e))
                conn.execute("INSERT INTO pg3_tx VALUES (3)")
                log.append(conn.info.transaction_status.name)
            try:
                with conn.transaction():
                    conn.execute("INSERT INTO pg3_tx VALUES (4)")
                    raise KeyError("application error")
            except KeyError:
                log.append("rolled back by the application")
            conn.autocommit = False
            # An error inside a transaction: the block is aborted until ROLLBACK.
            conn.execute("INSERT INTO pg3_tx VALUES (5)")
            try:
                conn.execute("SELECT 1 / 0")
            except errors.DivisionByZero as e:
                log.append(error_info(e))
            log.append(conn.info.transaction_status.name)
            try:
                conn.execute("SELECT 1")
            except errors.InFailedSqlTransaction as e:
                log.append(error_info(e))
            conn.rollback()
            log.append(conn.info.transaction_status.name)
            log.append(conn.execute("SELECT array_agg(k ORDER BY k) FROM pg3_tx").fetchone()[0])
            conn.execute("SET TRANSACTION READ ONLY")
            try:
                conn.execute("INSERT INTO pg3_tx VALUES (6)")
            except errors.ReadOnlySqlTransaction as e:
                log.append(error_info(e))
            conn.rollback()
            conn.execute("DROP TABLE pg3_tx")
            conn.commit()
            return log

        log = self.run_both(scenario)
        self.assertEqual(log[0][1], "23505")
        self.assertEqual(log[1], "INTRANS")
        self.assertEqual(log[2], "rolled back by the application")
        self.assertEqual(log[3][1], "22012")
        self.assertEqual(log[4], "INERROR")
        self.assertEqual(log[5][1], "25P02")
        self.assertEqual(log[6], "IDLE")
        self.assertEqual(log[7], [1, 3])
        self.assertEqual(log[8][1], "25006")


class NoticesAndNotifies(Both):
    def test_notice_handler(self):
        def scenario(conn):
            seen = []
            conn.add_notice_handler(lambda d: seen.append(
                (d.severity_nonlocalized, d.sqlstate, d.message_primary, d.message_detail, d.message_hint)))
            conn.execute("""DO $$ BEGIN
                RAISE NOTICE 'hello %', 'world';
                RAISE WARNING 'careful ✓' USING DETAIL = 'a detail', HINT = 'a hint';
                RAISE INFO 'fyi' USING ERRCODE = 'P0001';
              END $$""")
            conn.execute("DROP TABLE IF EXISTS pg3_never_there")
            return seen

        seen = self.run_both(scenario, autocommit=True)
        self.assertEqual(seen, [
            ("NOTICE", "00000", "hello world", None, None),
            ("WARNING", "01000", "careful ✓", "a detail", "a hint"),
            ("INFO", "P0001", "fyi", None, None),
            ("NOTICE", "00000", 'table "pg3_never_there" does not exist, skipping', None, None),
        ])

    def test_notifications_between_sessions(self):
        def scenario(conn):
            conn.execute("LISTEN pg3_channel")
            got = []
            conn.add_notify_handler(lambda n: got.append((n.channel, n.payload)))

            def notify_later():
                time.sleep(0.3)
                with psycopg.connect(conninfo(PROXY), autocommit=True) as other:
                    other.execute("SELECT pg_notify('pg3_channel', 'payload ' || g) FROM generate_series(1, 3) g")

            t = threading.Thread(target=notify_later)
            t.start()
            # Wait idle on the socket: the notifications must arrive unprompted; a no-op
            # statement then lets psycopg read them and call the handler.
            deadline = time.monotonic() + 5
            while len(got) < 3 and time.monotonic() < deadline:
                readable, _, _ = select.select([conn.fileno()], [], [], 0.5)
                if readable:
                    conn.execute("SELECT 1")
            t.join()
            return got

        got = self.run_both(scenario, autocommit=True)
        self.assertEqual(got, [("pg3_channel", f"payload {i}") for i in (1, 2, 3)])


class Errors(Both):
    def test_errors_keep_every_field(self):
        def scenario(conn):
            out = []
            for stmt in ["SELECT * FROM no_such_table", "SELECT 1 +", "SELECT 'x'::int",
                         "DO $$ BEGIN RAISE EXCEPTION 'mine' USING ERRCODE = 'P0099', DETAIL = 'd', HINT = 'h'; END $$"]:
                try:
                    conn.execute(stmt)
                except psycopg.Error as e:
                    d = e.diag
                    out.append(error_info(e) + (d.context, d.internal_query, d.source_function))
            return out

        out = self.run_both(scenario, autocommit=True)
        self.assertEqual([o[1] for o in out], ["42P01", "42601", "22P02", "P0099"])
        self.assertEqual(out[0][6], "15")  # the error position in the statement
        self.assertEqual(out[3][3:6], ("mine", "d", "h"))

    def test_wrong_password(self):
        messages = {}
        for side, port in (("direct", DIRECT), ("proxy", PROXY)):
            with self.assertRaises(psycopg.OperationalError) as cm:
                psycopg.connect(conninfo(port, password="wrong"))
            text = str(cm.exception)
            messages[side] = text[text.find("failed: ") + 8:] if "failed: " in text else text
        self.assertEqual(messages["direct"], messages["proxy"])
        self.assertIn('password authentication failed for user "analyst"', messages["proxy"])


if __name__ == "__main__":
    print(f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}), libpq {psycopg.pq.version()}")
    unittest.main(verbosity=2)

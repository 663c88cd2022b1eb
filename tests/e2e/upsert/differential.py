#!/usr/bin/python3
"""Staged upserts against PostgreSQL's native ON CONFLICT as the oracle (issue 12).

A seeded random workload of INSERT ... ON CONFLICT statements (duplicate keys within and
across statements, NULL keys, partial SET lists, t.col / EXCLUDED.col expressions,
conditional WHERE, DO NOTHING, aliases, VALUES and SELECT sources, blocks that commit,
roll back or fail midway; conflict targets as columns, ON CONSTRAINT name, or none, whose
keys Blueshift reads from the catalog, on tables with one key, two keys and none) runs natively on one database and through Blueshift on another.
Fixed cases add NOT NULL and CHECK violations on new and existing keys (DO UPDATE, DO
NOTHING, MERGE): SQLSTATE, constraint and column equal to native's.
Per statement the tags and SQLSTATEs must be equal, and at the end the tables' contents;
the warehouse's statement log must show no ON CONFLICT from the proxied database.
Through psycopg (simple protocol; with --extended, prepare=True and executemany) and psql.
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh); else skips (77).
Usage: differential.py [--seed N] [--statements N]
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter

import psycopg

OUTCOMES = Counter()  # native outcomes seen, printed so a run shows what it covered
NATIVE, PROXIED = "blueshift_e2e_upsert_native", "blueshift_e2e_upsert_proxied"
TABLES = {
    "upsert_t1": "k int UNIQUE, a int, b text, c int DEFAULT 7",
    "upsert_t2": "k1 int, k2 text, v int, w text, UNIQUE (k1, k2)",
    "upsert_t3": "id int PRIMARY KEY, code text UNIQUE, n int",
    "upsert_t4": "k int, v int",
}
# How each conflict target may be written: columns, the constraint, none (DO NOTHING only),
# and a constraint that does not exist (42704 on both sides).
TARGETS = {"upsert_t1": ["(k)", "ON CONSTRAINT upsert_t1_k_key", ""],
           "upsert_t2": ["(k1, k2)", "ON CONSTRAINT upsert_t2_k1_k2_key", ""]}


def conn(port, db, user="analyst", password="analyst-dev-pw"):
    return psycopg.connect(f"host=127.0.0.1 port={port} dbname={db} user={user} password={password}",
                           autocommit=True)


def setup(dev_port):
    with psycopg.connect(f"host=127.0.0.1 port={dev_port} dbname=postgres user=postgres", autocommit=True) as su:
        for db in (NATIVE, PROXIED):
            su.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            su.execute(f"CREATE DATABASE {db} OWNER analyst")
        su.execute(f"ALTER DATABASE {PROXIED} SET log_statement = 'all'")
        log = su.execute("SELECT current_setting('data_directory') || '/server.log'").fetchone()[0]
        size = su.execute("SELECT (pg_stat_file(%s)).size", (log,)).fetchone()[0]
    return log, size


def reset_tables(c):
    for name, columns in TABLES.items():
        c.execute(f"DROP TABLE IF EXISTS {name}")
        c.execute(f"CREATE TABLE {name} ({columns})")


# ------------------------------------------------------------------ the workload
class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def key(self):
        return "NULL" if self.r.random() < 0.1 else str(self.r.randint(0, 9))

    def text(self):
        return "NULL" if self.r.random() < 0.1 else f"'{self.r.choice('xyz')}{self.r.randint(0, 99)}'"

    def target(self, table, nothing):
        """A conflict target; none only for DO NOTHING, and a wrong one seldom."""
        if self.r.random() < 0.03:
            return f"ON CONSTRAINT {table}_nope"
        return self.r.choice(TARGETS[table][:3 if nothing else 2])

    def t1(self, params):
        r = self.r
        cols = r.choice([["k", "a", "b"], ["k", "a", "b", "c"], None, ["b", "k"]])
        names = cols or ["k", "a", "b", "c"]
        rows = [[{"k": self.key, "a": lambda: str(r.randint(-5, 60)), "b": self.text,
                  "c": lambda: str(r.randint(0, 9))}[n]() for n in names] for _ in range(r.randint(1, 5))]
        tgt, q = ("upsert_t1 AS x", "x") if r.random() < 0.3 else ("upsert_t1", "upsert_t1")
        divide = r.random() < 0.15
        if divide:
            # Known difference: a statement with both a duplicate key and a failing SET
            # expression reports 21000 through Blueshift where PostgreSQL may report the
            # SET's error first (the check runs before the UPDATE). Keys are distinct here.
            for row, key in zip(rows, r.sample(range(10), len(rows))):
                row[names.index("k")] = str(key)
        source = self.source(rows, params)
        head = f"INSERT INTO {tgt} {'(' + ', '.join(cols) + ') ' if cols else ''}{source}"
        if r.random() < 0.3 and not divide:
            return head + f" ON CONFLICT {self.target('upsert_t1', True)} DO NOTHING"
        sets = {"a": ["100 / (EXCLUDED.a - 3)"] if divide else [f"EXCLUDED.a", f"{q}.a + EXCLUDED.a", f"coalesce({q}.a, 0) - 1"],
                "b": ["EXCLUDED.b", f"{q}.b || EXCLUDED.b", "'upd'"],
                "c": ["EXCLUDED.c", f"{q}.c * 2"]}
        chosen = (["a"] if divide else []) + r.sample(sorted(set(sets) - {"a"} if divide else sets), r.randint(0 if divide else 1, 2))
        stmt = head + f" ON CONFLICT {self.target('upsert_t1', False)} DO UPDATE SET " + ", ".join(f"{c} = {r.choice(sets[c])}" for c in chosen)
        if r.random() < 0.4:
            stmt += " WHERE " + r.choice([f"{q}.a < 30", "EXCLUDED.a > 10", f"{q}.b IS DISTINCT FROM EXCLUDED.b"])
        return stmt

    def t2(self, params):
        r = self.r
        rows = [[self.key(), r.choice(["'p'", "'q'", "NULL"]), str(r.randint(0, 50)), self.text()]
                for _ in range(r.randint(1, 4))]
        stmt = f"INSERT INTO upsert_t2 (k1, k2, v, w) {self.source(rows, params)} ON CONFLICT "
        if r.random() < 0.4:
            return stmt + f"{self.target('upsert_t2', True)} DO NOTHING"
        return stmt + self.target("upsert_t2", False) + " " + "DO UPDATE SET v = upsert_t2.v + EXCLUDED.v" + (" WHERE EXCLUDED.v > 20" if r.random() < 0.4 else "")

    def t3(self, params):
        """Two keys (id, code): DO NOTHING without target meets either. Rows of a statement
        have distinct ids and codes or are copies (chains over both keys are refused, see
        chain_check); a code may be the next id's, so rows meet the table on one key only.
        Copies only under DO NOTHING: under DO UPDATE, PostgreSQL may meet a code of the
        table (23505) before the copy (21000), which Blueshift checks first."""
        r = self.r
        nothing = r.random() < 0.6
        rows, codes = [], set()
        for i in r.sample(range(10), r.randint(1, 4)):
            code = "NULL" if r.random() < 0.1 else f"'c{i + 1 if r.random() < 0.3 else i}'"
            if code in codes:
                continue
            codes.add(code)
            rows.append([str(i), code, str(r.randint(0, 9))])
        if nothing and r.random() < 0.3:
            rows.append(list(r.choice(rows)))
        head = f"INSERT INTO upsert_t3 (id, code, n) {self.source(rows, params)} ON CONFLICT "
        if nothing:
            return head + "DO NOTHING"
        return head + "ON CONSTRAINT upsert_t3_pkey DO UPDATE SET n = upsert_t3.n + EXCLUDED.n"

    def t4(self, params):
        """No key at all: DO NOTHING without target inserts every row."""
        rows = [[self.key(), str(self.r.randint(0, 9))] for _ in range(self.r.randint(1, 3))]
        return f"INSERT INTO upsert_t4 {self.source(rows, params)} ON CONFLICT DO NOTHING"

    def source(self, rows, params):
        if params is not None:  # extended protocol: every value a parameter
            out = []
            for row in rows:
                cells = []
                for v in row:
                    params.append(None if v == "NULL" else (v.strip("'") if v.startswith("'") else int(v)))
                    cells.append("%s")  # psycopg sends it as $n
                out.append("(" + ", ".join(cells) + ")")
            return "VALUES " + ", ".join(out)
        values = "VALUES " + ", ".join("(" + ", ".join(row) + ")" for row in rows)
        if self.r.random() < 0.25:
            return f"SELECT * FROM ({values}) AS v"
        return values

    def other(self):
        return self.r.choice(["UPDATE upsert_t1 SET a = a + 1 WHERE k < 3", "DELETE FROM upsert_t1 WHERE k = 5",
                              "DELETE FROM upsert_t2 WHERE v > 40", "SELECT 1 / 0"])

    def statement(self, params=None):
        r = self.r.random()
        if r < 0.08 and params is None:
            return self.other()
        return self.t1(params) if r < 0.55 else self.t2(params) if r < 0.75 else self.t3(params) if r < 0.93 \
            else self.t4(params)

    def script(self, n, extended=False):
        """Statements (text, params), with blocks that commit, roll back or fail midway."""
        out = []
        while len(out) < n:
            block = self.r.random() < 0.3
            if block:
                out.append(("BEGIN", None))
            for _ in range(self.r.randint(1, 4)):
                params = [] if extended else None
                out.append((self.statement(params), params))
            if block:
                out.append((self.r.choice(["COMMIT", "ROLLBACK", "COMMIT"]), None))
        return out


# ------------------------------------------------------------------ running
def run(c, text, params, prepare):
    try:
        with c.cursor() as cur:
            if params is None:
                cur.execute(text)
            else:
                cur.execute(text, params, prepare=prepare)
            return cur.statusmessage
    except psycopg.Error as e:
        if e.sqlstate is None:
            raise
        return f"ERROR {e.sqlstate}"


def known_precedence(text, want, got):
    """Both refuse, for different faults of one statement: PostgreSQL types the VALUES
    (42804, e.g. a column of NULLs only, typed text, into an integer column) before it looks
    up the conflict constraint; Blueshift finds the constraint missing (42704) while planning,
    before anything is sent. Nothing runs either way (seed 622795449)."""
    return "_nope" in text and want == "ERROR 42804" and got == "ERROR 42704"


def psql_errors(stderr):
    """psql's error lines grouped by the script line they are for (an error and its LINE,
    caret, DETAIL and HINT lines)."""
    blocks = []
    for line in stderr.splitlines(keepends=True):
        at = re.match(r"psql:[^:]*:(\d+): ", line)
        if at or not blocks:
            blocks.append([int(at.group(1)) if at else 0, line])
        else:
            blocks[-1][1] += line
    return blocks


def precedence_settled(native, proxied, script):
    """Both sides' psql errors with known_precedence's pairs left out of each: the same
    statement, native's 42804 (its message) against Blueshift's missing constraint."""
    ours = {line: text for line, text in psql_errors(proxied)}
    settled = set()
    for line, text in psql_errors(native):
        statement = script[line - 1][0] if 0 < line <= len(script) else ""
        if ("is of type" in text and "but expression is of type" in text and
                "does not exist" in ours.get(line, "") and
                known_precedence(statement, "ERROR 42804", "ERROR 42704")):
            settled.add(line)
    return ["".join(text for line, text in psql_errors(side) if line not in settled) for side in (native, proxied)]


def wait_for_keys(c, tables=tuple(TABLES)):
    """Blueshift reads a database's keys off its I/O threads and refuses (55000) until they
    are read or while a table is newer than its snapshot: wait for every table's."""
    probes = [f"INSERT INTO {t} SELECT * FROM {t} WHERE false ON CONFLICT DO NOTHING" for t in tables]
    for _ in range(100):
        if all(run(c, p, None, False).startswith("INSERT") for p in probes):
            return
        time.sleep(0.2)
    raise RuntimeError("Blueshift did not read the tables' keys within 20 s: " +
                       ", ".join(run(c, p, None, False) for p in probes))


def contents(c):
    return {t: sorted(map(repr, c.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def psycopg_side(ports, script, extended):
    native, proxied = conn(ports[0], NATIVE), conn(ports[1], PROXIED)
    for c in (native, proxied):
        reset_tables(c)
    wait_for_keys(proxied)
    failures = []
    for i, (text, params) in enumerate(script):
        want, got = run(native, text, params, extended), run(proxied, text, params, extended)
        OUTCOMES[want.split(" 0 ")[0] if want.startswith("INSERT") else want] += 1
        if want != got and not known_precedence(text, want, got):
            failures.append(f"statement {i}: {text} {params or ''}\n  native:  {want}\n  proxied: {got}")
    for c in (native, proxied):
        if c.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            c.execute("ROLLBACK")
    if contents(native) != contents(proxied):
        failures.append(f"contents differ:\n  native:  {contents(native)}\n  proxied: {contents(proxied)}")
    return failures, native, proxied


def executemany_side(ports, rnd):
    """psycopg executemany (one prepared statement, many Bind/Execute) with $n parameters."""
    native, proxied = conn(ports[0], NATIVE), conn(ports[1], PROXIED)
    sql = "INSERT INTO upsert_t1 (k, a, b) VALUES (%s, %s, %s) ON CONFLICT (k) DO UPDATE SET a = upsert_t1.a + EXCLUDED.a"
    failures = []
    for _ in range(5):
        rows = [(rnd.randint(0, 30), rnd.randint(0, 9), f"m{rnd.randint(0, 9)}") for _ in range(rnd.randint(1, 20))]
        for c in (native, proxied):
            with c.cursor() as cur:
                cur.executemany(sql, rows)
    if contents(native) != contents(proxied):
        failures.append("executemany: contents differ")
    return failures


def unnest_side(ports, rnd):
    """Django 5.2's bulk_create(update_conflicts=True): one row per array element, the arrays
    as $n parameters (prepared), and a DO UPDATE of the named columns."""
    native, proxied = conn(ports[0], NATIVE), conn(ports[1], PROXIED)
    sql = ("INSERT INTO upsert_t1 (k, a, b) SELECT * FROM UNNEST(%s::integer[], %s::integer[], %s::text[]) "
           "ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a, b = EXCLUDED.b")
    failures = []
    for i in range(6):
        n = rnd.randint(1, 8)
        params = [[rnd.randint(0, 30) for _ in range(n)], [rnd.randint(0, 9) for _ in range(n)],
                  [f"u{rnd.randint(0, 9)}" for _ in range(n)]]
        want, got = run(native, sql, params, True), run(proxied, sql, params, True)
        OUTCOMES["unnest " + want.split(" 0 ")[0]] += 1
        if want != got:
            failures.append(f"unnest {i}: {params}\n  native:  {want}\n  proxied: {got}")
    if contents(native) != contents(proxied):
        failures.append("unnest: contents differ")
    return failures


def psql_side(ports, script):
    """The same statements as one psql script on each side: output and errors equal."""
    outs = []
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write("\n".join(text + ";" for text, _ in script) + "\nSELECT * FROM upsert_t1 ORDER BY 1, 2, 3, 4;\n"
                "SELECT * FROM upsert_t2 ORDER BY 1, 2, 3, 4;\nSELECT * FROM upsert_t3 ORDER BY 1, 2, 3;\n"
                "SELECT * FROM upsert_t4 ORDER BY 1, 2;\n")
        f.flush()
        for port, db in ((ports[0], NATIVE), (ports[1], PROXIED)):
            c = conn(port, db)
            reset_tables(c)
            if port == ports[1]:
                wait_for_keys(c)
            c.close()
            p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-v", "QUIET=0", "-h", "127.0.0.1",
                                "-p", str(port), "-U", "analyst", "-d", db, "-f", f.name], capture_output=True,
                               text=True, env=dict(os.environ, PGPASSWORD="analyst-dev-pw"))
            # Blueshift's hint on an unknown constraint says its catalog may be stale.
            outs.append((p.stdout, re.sub(r"HINT:  Blueshift reads constraints.*\n", "", p.stderr)))
    errors = precedence_settled(outs[0][1], outs[1][1], script)
    outs = [(outs[0][0], errors[0]), (outs[1][0], errors[1])]
    if outs[0] != outs[1]:
        return [f"psql output differs:\n--- native\n{outs[0][0]}{outs[0][1]}\n--- proxied\n{outs[1][0]}{outs[1][1]}"]
    if "INSERT 0" not in outs[0][0]:
        return ["psql printed no INSERT tags"]
    return []


def chain_check(port):
    """Rows that meet each other on different keys in a chain (1 meets 2 on code, 2 meets 3
    on id, 1 and 3 meet on neither): PostgreSQL inserts 1 and 3; Blueshift cannot order them
    exactly and refuses with 0A000, changing nothing, rather than guess."""
    c = conn(port, PROXIED)
    reset_tables(c)
    wait_for_keys(c)
    sql = "INSERT INTO upsert_t3 VALUES (1, 'c1', 0), (2, 'c1', 0), (2, 'c3', 0) ON CONFLICT DO NOTHING"
    got, rows = run(c, sql, None, False), c.execute("SELECT count(*) FROM upsert_t3").fetchone()[0]
    c.close()
    return [] if (got, rows) == ("ERROR 0A000", 0) else [f"chain: {got}, {rows} rows (want ERROR 0A000, 0 rows)"]


# PostgreSQL checks the proposed row of an INSERT ... ON CONFLICT (DO UPDATE and DO
# NOTHING) against NOT NULL and CHECK before it looks for a conflict, so a bad row errs on an
# existing key too; MERGE checks the rows it writes. Each statement on the seeded table
# (keys 1 and 2), native and through Blueshift: SQLSTATE, constraint, column, table, message
# and DETAIL equal (the staging table that fails first is named as the target, its failing
# row without the staging table's row number: proxy/stage_error.h).
CONSTRAINED = ("upsert_t5", "k int PRIMARY KEY, a int NOT NULL CHECK (a >= 0), b text CONSTRAINT upsert_t5_b_good "
               "CHECK (b <> 'bad')")
CONSTRAINT_CASES = [
    "INSERT INTO upsert_t5 VALUES (1, -1, 'x') ON CONFLICT (k) DO UPDATE SET b = EXCLUDED.b",
    "INSERT INTO upsert_t5 VALUES (3, -1, 'x') ON CONFLICT (k) DO UPDATE SET b = EXCLUDED.b",
    "INSERT INTO upsert_t5 AS t VALUES (4, 4, 'n'), (2, 2, 'bad') ON CONFLICT (k) DO UPDATE SET a = t.a + 1",
    "INSERT INTO upsert_t5 VALUES (1, NULL, 'x') ON CONFLICT (k) DO UPDATE SET b = EXCLUDED.b",
    "INSERT INTO upsert_t5 (k, b) VALUES (5, 'x') ON CONFLICT (k) DO UPDATE SET b = EXCLUDED.b",
    "INSERT INTO upsert_t5 AS t VALUES (1, 1, 'x') ON CONFLICT (k) DO UPDATE SET a = t.a - 100",
    "INSERT INTO upsert_t5 VALUES (2, -5, 'y') ON CONFLICT (k) DO NOTHING",
    "INSERT INTO upsert_t5 VALUES (2, 2, 'bad') ON CONFLICT DO NOTHING",
    "INSERT INTO upsert_t5 VALUES (6, -6, 'y') ON CONFLICT (k) DO NOTHING",
    "INSERT INTO upsert_t5 (k, b) VALUES (1, 'y') ON CONFLICT (k) DO NOTHING",
    "INSERT INTO upsert_t5 VALUES (7, 7, 'ok'), (1, 9, 'ok') ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a",
    "INSERT INTO upsert_t5 VALUES (8, 8, 'ok'), (2, 0, 'ok') ON CONFLICT (k) DO NOTHING",
    "MERGE INTO upsert_t5 AS t USING (VALUES (1, -1, 'x')) AS s(k, a, b) ON t.k = s.k "
    "WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.a, s.b)",
    "MERGE INTO upsert_t5 AS t USING (VALUES (9, NULL::int, 'x')) AS s(k, a, b) ON t.k = s.k "
    "WHEN MATCHED THEN DO NOTHING WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.a, s.b)",
    "MERGE INTO upsert_t5 AS t USING (VALUES (2, 2, 'bad'), (10, 1, 'bad')) AS s(k, a, b) ON t.k = s.k "
    "WHEN MATCHED AND s.a > 0 THEN UPDATE SET b = s.b WHEN NOT MATCHED THEN DO NOTHING",
    "MERGE INTO upsert_t5 AS t USING (VALUES (2, 3, 'm'), (11, 11, 'm')) AS s(k, a, b) ON t.k = s.k "
    "WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.a, s.b)",
]


def constrained_outcome(c, text, prepare):
    try:
        with c.cursor() as cur:
            cur.execute(text, [] if prepare else None, prepare=prepare)
            return cur.statusmessage
    except psycopg.Error as e:
        if e.sqlstate is None:
            raise
        return (f"ERROR {e.sqlstate} constraint {e.diag.constraint_name} column {e.diag.column_name} "
                f"table {e.diag.table_name} message {e.diag.message_primary!r} detail {e.diag.message_detail!r}")


def constraints_check(ports):
    failures = []
    for prepare in (False, True):
        sides = (conn(ports[0], NATIVE), conn(ports[1], PROXIED))
        for c in sides:
            c.execute(f"DROP TABLE IF EXISTS {CONSTRAINED[0]}")
            c.execute(f"CREATE TABLE {CONSTRAINED[0]} ({CONSTRAINED[1]})")
            c.execute(f"INSERT INTO {CONSTRAINED[0]} VALUES (1, 1, 'one'), (2, 2, 'two')")
        wait_for_keys(sides[1], (CONSTRAINED[0],))
        for i, text in enumerate(CONSTRAINT_CASES):
            want, got = (constrained_outcome(c, text, prepare) for c in sides)
            OUTCOMES[f"constraint {want.split(' constraint')[0]}"] += 1
            if want != got:
                failures.append(f"constraints {i} (prepared: {prepare}): {text}\n  native:  {want}\n  proxied: {got}")
        native, proxied = (sorted(c.execute(f"SELECT * FROM {CONSTRAINED[0]}").fetchall()) for c in sides)
        if native != proxied:
            failures.append(f"constraints (prepared: {prepare}): contents differ\n  native:  {native}\n  proxied: {proxied}")
        for c in sides:
            c.close()
    return failures


def proxied_statements(dev_port, log, start):
    """The server log's statement entries from the proxied database since `start`."""
    with psycopg.connect(f"host=127.0.0.1 port={dev_port} dbname=postgres user=postgres", autocommit=True) as su:
        text = su.execute("SELECT pg_read_file(%s, %s, (pg_stat_file(%s)).size - %s)", (log, start, log, start)).fetchone()[0]
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", text)
    return [e for e in entries if f"@{PROXIED} " in e and ("statement:" in e or "execute" in e)]


def ports_and_seed(env_seed, statements):
    """Command line and environment: (args, (dev port, proxy port)), or None to skip."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=int(os.environ.get(env_seed, random.randrange(1 << 30))))
    ap.add_argument("--statements", type=int, default=statements)
    args = ap.parse_args()
    if "BLUESHIFT_DEV_PORT" not in os.environ or "BLUESHIFT_TEST_PROXY_PORT" not in os.environ:
        print("skipped: needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT")
        return None
    print(f"seed {args.seed} (rerun with --seed {args.seed})", flush=True)
    return args, (int(os.environ["BLUESHIFT_DEV_PORT"]), int(os.environ["BLUESHIFT_TEST_PROXY_PORT"]))


def log_check(dev_port, log, start):
    mine = proxied_statements(dev_port, log, start)
    failures = [f"the warehouse received ON CONFLICT: {e[:300]}" for e in mine if re.search(r"on\s+conflict", e, re.I)]
    if not any("blueshift_upsert_" in e for e in mine):
        failures.append("the statement log shows no staged upsert from the proxied database")
    return failures


def main():
    setup_args = ports_and_seed("UPSERT_SEED", 300)
    if setup_args is None:
        return 77
    args, ports = setup_args
    log, start = setup(ports[0])
    rnd = random.Random(args.seed)
    failures = []
    simple = Gen(rnd).script(args.statements)
    failures += psycopg_side(ports, simple, False)[0]
    failures += psql_side(ports, simple)
    failures += psycopg_side(ports, Gen(rnd).script(args.statements, extended=True), True)[0]
    failures += executemany_side(ports, rnd)
    failures += unnest_side(ports, rnd)
    failures += chain_check(ports[1])
    failures += constraints_check(ports)
    failures += log_check(ports[0], log, start)
    return verdict(failures, OUTCOMES, len(simple))


def verdict(failures, outcomes, statements):
    """Prints the first failures and the outcome counts; the exit status."""
    for f in failures[:20]:
        print("FAIL:", f)
    print("outcomes:", dict(outcomes))
    print(f"{statements} statements a side; {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

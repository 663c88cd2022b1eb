#!/usr/bin/python3
"""Batches of one upsert statement against PostgreSQL's native ON CONFLICT as the oracle
(issue 12): JDBC batches (one prepared statement, many Bind/Execute, one Sync), with and
without reWriteBatchedInserts (which turns a batch into multi-row statements), and psycopg's
executemany (pipelined Bind/Execute), run natively on one database and through Blueshift on
another. Seeded random batches: DO UPDATE with t.col + EXCLUDED.col, DO UPDATE ... WHERE, a
partial SET list, DO NOTHING; keys repeated within a batch (across its Executes, and within
one rewritten statement: 21000) or not, NULL keys; a row in the middle whose value does not
fit its column (22001);
autocommit, or a transaction the client commits or rolls back. Per batch what the client sees must be equal (JDBC's update counts,
or the SQLSTATE and the counts of the Executes before the failing one; executemany's row
count or SQLSTATE), and at the end the table's contents; the warehouse's statement log must
show no ON CONFLICT from the proxied database, and runs of Executes must go up as few staged
transactions (fold_check). A folded run that fails is replayed row by row, so that its error
lands where it does natively (replay_check: keys equal in the database but not in bytes,
'1' and '01', give no 21000; a set-wise step's error and a DO NOTHING row that fails to
load land on their own Execute, through psycopg and JDBC); so does a failing row in the
middle of every kind of run (placement_check: JDBC with and without autocommit, whose BEGIN
goes in the batch itself, with and without reWriteBatchedInserts; psycopg's executemany in a
transaction it began in the same pipeline and after another statement of the pipeline; a
repeated DO UPDATE key, a NOT NULL and a CHECK violation, a value that does not fit); so
does one in a run cut before its Sync (cut_check: libpq's pipeline, as psycopg's executemany
sends it, cut by the 1,000-row cap, by another statement's Parse, by a Flush, by a repeated
DO UPDATE key; in autocommit and in a block: each Execute's tag or error, the contents).
A run after other work of its implicit transaction stays folded, ended by its Sync
(after_other_work_check: one staged transaction; the outcome, message, DETAIL and contents
as natively, nothing of a failed implicit transaction left).
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh) and java; else skips (77).
Usage: batch_differential.py [--seed N] [--statements N]   (N: batches a side)
"""
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter

import psycopg
from psycopg import pq

import differential as d

# Its own databases (differential.py's functions read these module names).
d.NATIVE, d.PROXIED = "blueshift_e2e_batch_native", "blueshift_e2e_batch_proxied"
# (The random batches keep a >= 0 and b set; placement_check breaks both constraints.)
d.TABLES = {"upsert_b": "k int UNIQUE, a int CHECK (a >= 0), b varchar(4) NOT NULL",
            "upsert_b_other": "k int"}  # other work of an implicit transaction (after_other_work_check)
OUTCOMES = Counter()
JAR = "/usr/share/java/postgresql.jar"
HEAD = "INSERT INTO upsert_b (k, a, b) VALUES (?, ?, ?) ON CONFLICT (k) "
FORMS = [
    "DO UPDATE SET a = upsert_b.a + EXCLUDED.a, b = EXCLUDED.b",
    "DO UPDATE SET a = EXCLUDED.a WHERE upsert_b.a < 5",
    "DO UPDATE SET b = EXCLUDED.b",
    "DO NOTHING",
]


def batches(rnd, n):
    """(autocommit, end, sql, rows): rows as (k or None, a, b)."""
    out = []
    for _ in range(n):
        size = rnd.randint(1, 12)
        distinct = rnd.random() < 0.5
        ks = rnd.sample(range(20), size) if distinct else [rnd.randint(0, 15) for _ in range(size)]
        rows = [(None if rnd.random() < 0.1 else k, rnd.randint(0, 9), f"b{rnd.randint(0, 99)}") for k in ks]
        form = rnd.choice(FORMS)
        autocommit = rnd.random() < 0.6
        if size > 2 and rnd.random() < 0.25:  # 22001 at that row
            bad = rnd.randint(1, size - 1)
            rows[bad] = (rows[bad][0], rows[bad][1], "toolong")
        out.append((autocommit, rnd.choice(["commit", "rollback"]), HEAD + form, rows))
    return out


def jdbc_line(batch):
    autocommit, end, sql, rows = batch
    cells = [f"{'NULL' if k is None else k},{a},{'NULL' if b is None else b}" for k, a, b in rows]
    return "\t".join(["1" if autocommit else "0", end, sql] + cells)


def jdbc(port, db, rewrite, script):
    """Every batch's outcome line, through one JDBC connection."""
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(["java", "-cp", JAR, os.path.join(here, "UpsertBatch.java"), str(port), db,
                        "true" if rewrite else "false"], input="\n".join(map(jdbc_line, script)) + "\n",
                       capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        raise RuntimeError(f"UpsertBatch.java failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout.splitlines()


def jdbc_side(ports, script, rewrite):
    native, proxied = d.conn(ports[0], d.NATIVE), d.conn(ports[1], d.PROXIED)
    for c in (native, proxied):
        d.reset_tables(c)
    want, got = jdbc(ports[0], d.NATIVE, rewrite, script), jdbc(ports[1], d.PROXIED, rewrite, script)
    failures = []
    for i, (w, g) in enumerate(zip(want, got)):
        OUTCOMES[f"jdbc{' rewritten' if rewrite else ''} " + (" ".join(w.split()[:2]) if "error" in w else "ok")] += 1
        if w != g:
            failures.append(f"jdbc rewrite={rewrite} batch {i}: {jdbc_line(script[i])}\n  native:  {w}\n  proxied: {g}")
    if len(want) != len(script) or len(got) != len(script):
        failures.append(f"jdbc rewrite={rewrite}: {len(want)} native and {len(got)} proxied outcomes for "
                        f"{len(script)} batches")
    if d.contents(native) != d.contents(proxied):
        failures.append(f"jdbc rewrite={rewrite}: contents differ:\n  native:  {d.contents(native)}\n"
                        f"  proxied: {d.contents(proxied)}")
    return failures


def executemany(c, batch):
    autocommit, end, sql, rows = batch
    try:
        if not autocommit:
            c.execute("BEGIN")
        with c.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), rows)
            outcome = f"rows {cur.rowcount}"
    except psycopg.Error as e:
        outcome = f"error {e.sqlstate}"
    if not autocommit:
        c.execute("COMMIT" if end == "commit" else "ROLLBACK")
        outcome += " " + end
    return outcome


def side_conns(ports):
    return d.conn(ports[0], d.NATIVE), d.conn(ports[1], d.PROXIED)


def fresh_after_error(ports, conns, outcomes):
    """The connections to go on with after an executemany on each side. Debian's psycopg
    (3.1.7) records a statement as prepared when it sends its Parse in a pipeline, before the
    server confirms it: after a failed batch it may go on naming one the server never made
    (26000), natively too, as its results' timing has it. After a failure both sides go on
    with new connections, which have nothing prepared."""
    if not any(o.startswith("error") for o in outcomes):
        return conns
    for c in conns:
        c.close()
    return side_conns(ports)


def executemany_side(ports, script):
    native, proxied = side_conns(ports)
    for c in (native, proxied):
        d.reset_tables(c)
    failures = []
    for i, batch in enumerate(script):
        want, got = executemany(native, batch), executemany(proxied, batch)
        OUTCOMES["executemany " + want.split(" ")[0]] += 1
        if want != got:
            failures.append(f"executemany batch {i}: {batch}\n  native:  {want}\n  proxied: {got}")
        native, proxied = fresh_after_error(ports, (native, proxied), (want, got))
    if d.contents(native) != d.contents(proxied):
        failures.append(f"executemany: contents differ:\n  native:  {d.contents(native)}\n"
                        f"  proxied: {d.contents(proxied)}")
    return failures


def settings_check(ports):
    """The staged joins' planner settings are the plan's own: the rest of the client's
    transaction plans as before (its block; the extended protocol's implicit one)."""
    failures = []
    for port, db in ((ports[0], d.NATIVE), (ports[1], d.PROXIED)):
        c = d.conn(port, db)
        c.execute("BEGIN")
        c.execute(HEAD.replace("?", "%s") + FORMS[0], (1, 1, "s"))
        seen = c.execute("SHOW enable_hashjoin").fetchone()[0]
        c.execute("ROLLBACK")
        with c.pipeline():  # one Sync: the upsert and the SHOW share the implicit transaction
            c.execute(HEAD.replace("?", "%s") + FORMS[0], (1, 1, "s"))
            cur = c.execute("SHOW enable_mergejoin")
        seen += " " + cur.fetchone()[0]
        c.close()
        if seen != "on on":
            failures.append(f"{db}: the planner settings after an upsert are {seen}, not on on")
    return failures


def fold_check(ports, log):
    """executemany of 300 rows (distinct keys) per foldable form: a few staged transactions
    each, not one a row (each staged transaction creates one staging table), and the same
    contents as natively."""
    failures = []
    native, proxied = d.conn(ports[0], d.NATIVE), d.conn(ports[1], d.PROXIED)
    for form in (FORMS[0], FORMS[3]):
        for c in (native, proxied):
            d.reset_tables(c)
            c.execute("INSERT INTO upsert_b SELECT k, 1, 'old' FROM generate_series(0, 598, 2) AS k")
        start = log_size(ports[0], log)
        rows = [(k, k % 7, f"n{k % 10}") for k in range(300)]
        for c in (native, proxied):
            with c.cursor() as cur:
                cur.executemany(HEAD.replace("?", "%s") + form, rows)
        staged = sum("CREATE TEMP TABLE" in e for e in d.proxied_statements(ports[0], log, start))
        print(f"fold_check {form}: 300 Executes, {staged} staged transactions", flush=True)
        if not 1 <= staged <= 3:
            failures.append(f"executemany of 300 rows ({form}) ran as {staged} staged transactions")
        if d.contents(native) != d.contents(proxied):
            failures.append(f"fold_check {form}: contents differ")
    return failures


def replay_check(ports):
    """Folded runs that fail, each alone in its implicit transaction and in a client block
    (psycopg's executemany): keys equal in the database but not in bytes ('1' and '01', sent
    as text of unknown type) run natively as an update of the row the first inserted, with no
    21000; a row whose a overflows in the set-wise UPDATE fails the batch with 22003; a DO
    NOTHING row that does not fit fails it with 22001. Outcome (row count or SQLSTATE) and
    contents as natively."""
    failures = []
    native, proxied = side_conns(ports)
    cases = [(FORMS[0], [("1", 1, "x"), ("2", 1, "y"), ("01", 2, "z")]),
             (FORMS[0], [("5", 1, "x"), ("6", 1, "y"), ("7", 2147483647, "z"), ("8", 1, "w")]),
             (FORMS[3], [("9", 1, "x"), ("9", 2, "y"), ("10", 1, "toolong"), ("11", 1, "w")])]
    for block in (False, True):
        for form, rows in cases:
            outcomes = []
            for c in (native, proxied):
                d.reset_tables(c)
                c.execute("INSERT INTO upsert_b VALUES (7, 5, 'old')")
                outcomes.append(executemany(c, (not block, "commit", HEAD + form, rows)))
            OUTCOMES["replay " + outcomes[0].split(" ")[0]] += 1
            if outcomes[0] != outcomes[1] or d.contents(native) != d.contents(proxied):
                failures.append(f"replay_check block={block} {form} {rows}:\n  native:  {outcomes[0]} "
                                f"{d.contents(native)}\n  proxied: {outcomes[1]} {d.contents(proxied)}")
            native, proxied = fresh_after_error(ports, (native, proxied), outcomes)
    # JDBC's update counts say on which Execute the error landed (autocommit: alone in its
    # implicit transaction).
    for form, rows in cases[1:]:
        batch = (True, "commit", HEAD + form, [(int(k), a, b) for k, a, b in rows])
        for rewrite in (False, True):
            lines = []
            for port, db, c in ((ports[0], d.NATIVE, native), (ports[1], d.PROXIED, proxied)):
                d.reset_tables(c)
                c.execute("INSERT INTO upsert_b VALUES (7, 5, 'old')")
                lines.append(jdbc(port, db, rewrite, [batch]))
            OUTCOMES["replay jdbc " + lines[0][0].split(" ")[0]] += 1
            if lines[0] != lines[1] or d.contents(native) != d.contents(proxied):
                failures.append(f"replay_check jdbc rewrite={rewrite} {form} {rows}:\n  native:  {lines[0]} "
                                f"{d.contents(native)}\n  proxied: {lines[1]} {d.contents(proxied)}")
    return failures


# A failing row in the middle (the third of five) of each kind of run; rows (k, a, b) with k
# offset per case, so that one table holds every case (k + 1 is there before, a = 5).
MIDDLE = [
    ("repeated key", FORMS[0], [(1, 1, "a"), (2, 1, "b"), (1, 2, "c"), (3, 1, "d"), (4, 1, "e")]),
    ("repeated key, then 22001", FORMS[0], [(1, 1, "a"), (2, 1, "b"), (1, 2, "c"), (3, 1, "long!"), (4, 1, "e")]),
    ("not null", FORMS[0], [(1, 1, "a"), (2, 1, "b"), (3, 1, None), (4, 1, "d"), (5, 1, "e")]),
    ("check", FORMS[3], [(1, 1, "a"), (2, 1, "b"), (3, -1, "c"), (4, 1, "d"), (5, 1, "e")]),
    ("check, set-wise", FORMS[0], [(1, 1, "a"), (2, 1, "b"), (3, -1, "c"), (4, 1, "d"), (5, 1, "e")]),
    ("too long", FORMS[3], [(1, 1, "a"), (2, 1, "b"), (3, 1, "long!"), (4, 1, "d"), (5, 1, "e")]),
    ("overflow", FORMS[0], [(1, 1, "a"), (2, 1, "b"), (2, 2147483647, "c"), (4, 1, "d"), (5, 1, "e")]),
]


def middle_cases():
    """(name, sql, rows) with each case's keys in a range of its own."""
    return [(name, HEAD + form, [(k + 10 * i, a, b) for k, a, b in rows])
            for i, (name, form, rows) in enumerate(MIDDLE)]


def preload(c):
    d.reset_tables(c)
    for i in range(len(MIDDLE)):
        c.execute("INSERT INTO upsert_b VALUES (%s, 5, 'old')", (10 * i + 2,))


def executemany_in(c, how, sql, rows):
    """executemany with psycopg sending BEGIN in the same pipeline ("begun"), or after another
    statement of the same pipeline ("after"); its outcome (row count, or SQLSTATE and the
    failing row's key where the error names the row)."""
    try:
        with c.pipeline():
            if how == "after":
                c.execute("INSERT INTO upsert_b VALUES (%s, 0, 'pre')", (rows[0][0] + 1000,))
            with c.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)
                outcome = f"rows {cur.rowcount}"
    except psycopg.Error as e:
        # A constraint's DETAIL names the failing row; its key says which (the staging
        # table's row has one more column, its load order).
        failing = re.match(r"Failing row contains \((\w+)", e.diag.message_detail or "")
        outcome = f"error {e.sqlstate}" + (f" at k={failing.group(1)}" if failing else "")
    if how == "begun":
        c.rollback() if outcome.startswith("error") else c.commit()
    return outcome


def placement_check(ports):
    """Each MIDDLE case through JDBC (autocommit on and off, reWriteBatchedInserts false and
    true: update counts, SQLSTATE, the failing entry) and psycopg (a BEGIN in the pipeline,
    another statement before it in the pipeline): outcomes and contents as natively."""
    failures = []
    cases = middle_cases()
    sides = ((ports[0], d.NATIVE), (ports[1], d.PROXIED))
    for rewrite in (False, True):
        script = [(autocommit, "commit", sql, rows) for autocommit in (False, True) for _, sql, rows in cases]
        results, contents = [], []
        for port, db in sides:
            c = d.conn(port, db)
            preload(c)
            results.append(jdbc(port, db, rewrite, script))
            contents.append(d.contents(c))
            c.close()
        for i, (w, g) in enumerate(zip(*results)):
            OUTCOMES[f"placement jdbc {' '.join(w.split()[:2]) if 'error' in w else 'ok'}"] += 1
            if w != g:
                failures.append(f"placement_check jdbc rewrite={rewrite} {cases[i % len(cases)][0]} "
                                f"autocommit={script[i][0]}:\n  native:  {w}\n  proxied: {g}")
        if contents[0] != contents[1]:
            failures.append(f"placement_check jdbc rewrite={rewrite}: contents differ:\n  native:  {contents[0]}\n"
                            f"  proxied: {contents[1]}")
    for how in ("begun", "after"):
        outcomes, contents = [], []
        for port, db in sides:
            c = d.conn(port, db)
            preload(c)
            if how == "begun":
                c.autocommit = False
            outcomes.append([executemany_in(c, how, sql, rows) for _, sql, rows in cases])
            c.autocommit = True
            contents.append(d.contents(c))
            c.close()
        for (name, _, _), w, g in zip(cases, *outcomes):
            OUTCOMES["placement executemany " + w.split(" ")[0]] += 1
            if w != g:
                failures.append(f"placement_check executemany {how} {name}:\n  native:  {w}\n  proxied: {g}")
        if contents[0] != contents[1]:
            failures.append(f"placement_check executemany {how}: contents differ:\n  native:  {contents[0]}\n"
                            f"  proxied: {contents[1]}")
    return failures


# Runs cut before their Sync (upsert_batch.h): (name, form, rows, cut, block). rows: (k, a,
# b) with the failing value at its index; cut: ("cap", None) (over 1,000 rows), ("parse", i)
# (another statement prepared and run before row i, as psycopg does when a row's types
# change), ("flush", i) (a Flush before row i). Run i of each case keys from 100,000 * (i + 1).
def cut_rows(n, bad_at, bad):
    rows = [(k, 1, f"r{k % 10}") for k in range(n)]
    rows[bad_at] = (bad_at,) + bad
    return rows


CUT_CASES = [
    ("cap, set-wise overflow, alone", FORMS[0], cut_rows(1100, 700, (2147483647, "x")), ("cap", None), False),
    ("cap, DO NOTHING not null, block", FORMS[3], cut_rows(1100, 600, (1, None)), ("cap", None), True),
    ("cap, DO NOTHING too long, alone", FORMS[3], cut_rows(1100, 400, (1, "toolong")), ("cap", None), False),
    ("parse, overflow, alone", FORMS[0], cut_rows(10, 3, (2147483647, "x")), ("parse", 5), False),
    ("parse, check, block", FORMS[3], cut_rows(10, 3, (-1, "x")), ("parse", 5), True),
    ("flush, DO NOTHING too long, alone", FORMS[3], cut_rows(10, 2, (1, "toolong")), ("flush", 5), False),
    ("flush, overflow, block", FORMS[0], cut_rows(10, 2, (2147483647, "x")), ("flush", 5), True),
    ("repeated key, overflow before it, alone", FORMS[0],
     [(0, 1, "a"), (1, 2147483647, "b"), (2, 1, "c"), (0, 1, "d"), (3, 1, "e")], ("none", None), False),
    ("repeated key, not null before it, block", FORMS[0],
     [(0, 1, "a"), (1, 1, None), (2, 1, "c"), (0, 1, "d"), (3, 1, "e")], ("none", None), True),
]


def pipeline(port, db, sql, rows, cut, block):
    """Each message's outcome, through libpq's pipeline as psycopg's executemany sends it
    (one Parse, then Bind/Describe/Execute a row, one Sync): a tag, an error's SQLSTATE (and the
    failing row's key, where its DETAIL names it), "aborted" for what the server skipped."""
    pg = pq.PGconn.connect(f"host=127.0.0.1 port={port} dbname={db} user=analyst password=analyst-dev-pw".encode())
    if pg.status != pq.ConnStatus.OK:
        raise RuntimeError(f"connect to {port}: {pg.error_message!r}")
    pg.enter_pipeline_mode()
    if block:
        pg.send_query_params(b"BEGIN", [])
    pg.send_prepare(b"up", sql.replace("?", "$1", 1).replace("?", "$2", 1).replace("?", "$3", 1).encode())
    for i, (k, a, b) in enumerate(rows):
        if cut[1] == i and cut[0] == "parse":
            pg.send_prepare(b"other", b"SELECT $1::int + 1")
            pg.send_query_prepared(b"other", [b"1"])
        elif cut[1] == i and cut[0] == "flush":
            pg.send_flush_request()
        pg.send_query_prepared(b"up", [str(k).encode(), str(a).encode(), None if b is None else b.encode()])
    pg.pipeline_sync()
    pg.flush()
    outcomes = []
    while not outcomes or outcomes[-1] != "sync":
        r = pg.get_result()
        if r is None:
            continue
        if r.status == pq.ExecStatus.FATAL_ERROR:
            detail = (r.error_field(pq.DiagnosticField.MESSAGE_DETAIL) or b"").decode()
            failing = re.match(r"Failing row contains \((\w+)", detail)
            outcomes.append(f"error {r.error_field(pq.DiagnosticField.SQLSTATE).decode()}"
                            + (f" at k={failing.group(1)}" if failing else ""))
        elif r.status == pq.ExecStatus.PIPELINE_ABORTED:
            outcomes.append("aborted")
        elif r.status == pq.ExecStatus.PIPELINE_SYNC:
            outcomes.append("sync")
        else:
            outcomes.append((r.command_status or b"").decode() or "ok")
    pg.exit_pipeline_mode()
    if block:
        pg.exec_(b"ROLLBACK" if any(o.startswith("error") for o in outcomes) else b"COMMIT")
    pg.finish()
    return outcomes


def runs(outcomes):
    """Outcomes as runs: "INSERT 0 1 x699, error 22003, aborted x400, sync"."""
    out = []
    for o in outcomes:
        if out and out[-1][0] == o:
            out[-1][1] += 1
        else:
            out.append([o, 1])
    return ", ".join(o if n == 1 else f"{o} x{n}" for o, n in out)


def cut_check(ports):
    """Each CUT_CASES case natively and through Blueshift: every Execute's tag or error (so
    the failing Execute and the counts before it) and the final contents must be equal."""
    failures = []
    sides = ((ports[0], d.NATIVE), (ports[1], d.PROXIED))
    conns = [d.conn(port, db) for port, db in sides]
    for c in conns:
        d.reset_tables(c)
    for i, (name, form, rows, cut, block) in enumerate(CUT_CASES):
        rows = [(k + 100000 * (i + 1), a, b) for k, a, b in rows]
        # Keys the table has: the last row's (DO UPDATE updates it, DO NOTHING skips it) and
        # an overflowing row's (its update overflows).
        for k in {rows[-1][0]} | {k for k, a, _ in rows if a == 2147483647}:
            for c in conns:
                c.execute("INSERT INTO upsert_b VALUES (%s, 5, 'old')", (k,))
        got = [runs(pipeline(port, db, HEAD + form, rows, cut, block)) for port, db in sides]
        OUTCOMES["cut " + ("error" if "error" in got[0] else "ok")] += 1
        print(f"cut_check {name}: {got[0]}", flush=True)
        if got[0] != got[1]:
            failures.append(f"cut_check {name}:\n  native:  {got[0]}\n  proxied: {got[1]}")
    if d.contents(conns[0]) != d.contents(conns[1]):
        failures.append("cut_check: contents differ")
    return failures


# executemany after another table's INSERT in the same pipeline (one implicit transaction,
# which the run cannot be undone without): (name, form, rows, preloaded (k, a)). 300 rows,
# keys and values small enough that psycopg keeps one statement (no cut), half of the keys
# there before; a failing row in the middle: its load's CHECK or 22001, a set-wise overflow.
def other_work_rows(bad=None):
    rows = [(k, 1, f"r{k % 10}") for k in range(300)]
    if bad:
        rows[150] = (150,) + bad
    return rows


OTHER_WORK_CASES = [
    ("do update", FORMS[0], other_work_rows(), ()),
    ("do nothing", FORMS[3], other_work_rows(), ()),
    ("do update, check", FORMS[0], other_work_rows((-1, "x")), ()),
    ("do update, set-wise overflow", FORMS[0], other_work_rows((1000, "x")), ((150, 2147483000),)),
    ("do nothing, too long", FORMS[3], other_work_rows((1, "toolong")), ()),
]


def after_other_work(c, sql, rows):
    """The pipeline's row count (its Sync's), or its error's SQLSTATE, message and DETAIL."""
    try:
        with c.pipeline(), c.cursor() as cur:
            c.execute("INSERT INTO upsert_b_other VALUES (1)")
            cur.executemany(sql, rows)
        return f"rows {cur.rowcount}"
    except psycopg.Error as e:
        return f"error {e.sqlstate} {e.diag.message_primary!r} {e.diag.message_detail!r}"


def after_other_work_check(ports, log):
    """Each OTHER_WORK_CASES case as one psycopg pipeline (an INSERT into another table, then
    executemany, one Sync), natively and through Blueshift: the row count, or the SQLSTATE,
    message and DETAIL; the contents (nothing of a failed implicit transaction stays, the
    other table's row included); and through Blueshift one staged transaction, not one a row
    (upsert_batch.h: such a run stays folded)."""
    failures = []
    sides = ((ports[0], d.NATIVE), (ports[1], d.PROXIED))
    conns = [d.conn(port, db) for port, db in sides]
    for name, form, rows, preloaded in OTHER_WORK_CASES:
        for c in conns:
            d.reset_tables(c)
            c.execute("INSERT INTO upsert_b SELECT k, 1, 'old' FROM generate_series(0, 298, 2) AS k")
            for k, a in preloaded:
                c.execute("UPDATE upsert_b SET a = %s WHERE k = %s", (a, k))
        start = log_size(ports[0], log)
        outcomes = [after_other_work(c, HEAD.replace("?", "%s") + form, rows) for c in conns]
        staged = sum("CREATE TEMP TABLE" in e for e in d.proxied_statements(ports[0], log, start))
        others = [c.execute("SELECT count(*) FROM upsert_b_other").fetchone()[0] for c in conns]
        OUTCOMES["after other work " + outcomes[0].split(" ")[0]] += 1
        print(f"after_other_work_check {name}: {outcomes[0]}; {staged} staged transactions", flush=True)
        if outcomes[0] != outcomes[1]:
            failures.append(f"after_other_work_check {name}:\n  native:  {outcomes[0]}\n  proxied: {outcomes[1]}")
        if staged != 1:
            failures.append(f"after_other_work_check {name}: {staged} staged transactions, not 1")
        if others != ([0, 0] if "error" in outcomes[0] else [1, 1]):
            failures.append(f"after_other_work_check {name}: the other table has {others} rows")
        if d.contents(conns[0]) != d.contents(conns[1]):
            failures.append(f"after_other_work_check {name}: contents differ")
    return failures


def log_size(dev_port, log):
    with psycopg.connect(f"host=127.0.0.1 port={dev_port} dbname=postgres user=postgres", autocommit=True) as su:
        return su.execute("SELECT (pg_stat_file(%s)).size", (log,)).fetchone()[0]


def main():
    setup_args = d.ports_and_seed("BATCH_SEED", 40)
    if setup_args is None:
        return 77
    if shutil.which("java") is None or not os.path.exists(JAR):
        print(f"skipped: needs java and {JAR}")
        return 77
    args, ports = setup_args
    log, start = d.setup(ports[0])
    rnd = random.Random(args.seed)
    script = batches(rnd, args.statements)
    failures = executemany_side(ports, script)
    for rewrite in (False, True):
        failures += jdbc_side(ports, script, rewrite)
    failures += settings_check(ports)
    failures += fold_check(ports, log)
    failures += replay_check(ports)
    failures += placement_check(ports)
    failures += cut_check(ports)
    failures += after_other_work_check(ports, log)
    failures += d.log_check(ports[0], log, start)
    return d.verdict(failures, OUTCOMES, len(script))


if __name__ == "__main__":
    sys.exit(main())

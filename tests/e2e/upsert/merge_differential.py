#!/usr/bin/python3
"""Staged MERGE against PostgreSQL's native MERGE as the oracle (issue 12).

A seeded random workload of MERGE statements that Redshift cannot run (a subquery or VALUES
source, WHEN ... AND conditions on source and target columns, several MATCHED and NOT
MATCHED clauses, DELETE, DO NOTHING, source keys given twice: 21000, NULL keys, blocks that
commit, roll back or fail midway) runs natively on one database and through Blueshift on
another, with the simple protocol and prepared (the VALUES as $n parameters). Per statement
the tags and SQLSTATEs must be equal, and at the end the tables' contents. A few MERGEs of
the form Redshift runs pass through: the warehouse's statement log must show those and no
other MERGE from the proxied database.
Needs BLUESHIFT_DEV_PORT and BLUESHIFT_TEST_PROXY_PORT (tests/run.sh); else skips (77).
Usage: merge_differential.py [--seed N] [--statements N]
"""
import random
import re
import sys
from collections import Counter

import psycopg

import differential as d

# Its own databases (differential.py's functions read these module names).
d.NATIVE, d.PROXIED = "blueshift_e2e_merge_native", "blueshift_e2e_merge_proxied"
d.TABLES = {"upsert_m": "k int, n int, v text", "upsert_msrc": "k int, n int, v text"}
OUTCOMES = Counter()
SEED_ROWS = "INSERT INTO upsert_m VALUES (1, 1, 'a'), (2, 8, 'b'), (3, 3, NULL), (NULL, 4, 'n'), (5, 9, 'e')"


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def rows(self, repeat):
        """Source rows; keys repeat sometimes (two source rows meeting one target row)."""
        r = self.r
        keys = r.sample(range(0, 9), r.randint(1, 4))
        if repeat and r.random() < 0.2:
            keys.append(r.choice(keys))
        return [[("NULL" if r.random() < 0.08 else str(k)), str(r.randint(0, 12)),
                 ("NULL" if r.random() < 0.1 else f"'{r.choice('xyz')}{r.randint(0, 9)}'")] for k in keys]

    def source(self, params, repeat):
        r = self.r
        rows = self.rows(repeat)
        if params is not None:
            cells = []
            for row in rows:
                for v, cast in zip(row, ("int", "int", "text")):
                    params.append(None if v == "NULL" else (v.strip("'") if cast == "text" else int(v)))
                cells.append("(%s::int, %s::int, %s::text)")
            return "(VALUES " + ", ".join(cells) + ") AS s(k, n, v)"
        values = "(VALUES " + ", ".join(f"({row[0]}::int, {row[1]}, {row[2]}::text)" for row in rows) + ")"
        choice = r.random()
        if choice < 0.5:
            return values + " AS s(k, n, v)"
        if choice < 0.75:
            return f"(SELECT * FROM {values} AS v(k, n, v) WHERE n > 1) AS s"
        return "upsert_msrc AS s"

    def matched(self, q, last):
        """Only the last clause of its kind may be unconditional (else PostgreSQL's 42601)."""
        r = self.r
        cond = r.choice(([""] if last else []) + [f" AND s.n > {q}.n", " AND s.v IS NULL", f" AND {q}.n < 5",
                                                  " AND mod(s.n, 2) = 0"])
        action = r.choice(["DELETE", "DO NOTHING",
                           f"UPDATE SET n = {q}.n + s.n", "UPDATE SET v = s.v, n = 0",
                           f"UPDATE SET v = coalesce({q}.v, '') || 'm'", f"UPDATE SET n = 100 / ({q}.n - 4)"])
        return f"WHEN MATCHED{cond} THEN {action}"

    def not_matched(self, last):
        r = self.r
        cond = r.choice(([""] if last else []) + [" AND s.n > 5", " AND s.v IS NOT NULL"])
        action = r.choice(["INSERT VALUES (s.k, s.n, s.v)", "INSERT (k, v) VALUES (s.k, 'new')",
                           "INSERT (n, k) VALUES (s.n * 2, s.k)", "DO NOTHING"])
        return f"WHEN NOT MATCHED{cond} THEN {action}"

    def merge(self, params=None):
        r = self.r
        target, q = ("upsert_m AS t", "t") if r.random() < 0.5 else ("upsert_m", "upsert_m")
        nm, nn = r.randint(0, 3), r.randint(0, 2)
        matched = [self.matched(q, i == nm - 1) for i in range(nm)] or [self.matched(q, True)]
        not_matched = [self.not_matched(i == nn - 1) for i in range(nn)]
        # The two kinds interleaved, each in its order; seldom any order (42601 both sides).
        clauses = [c for _, c in sorted([(r.random(), c) for c in not_matched]
                                        + list(zip(sorted(r.random() for _ in matched), matched)))]
        if r.random() < 0.05:
            r.shuffle(clauses)
        # Known difference: with a key given twice and a failing SET expression, Blueshift
        # reports 21000 (its check runs first) where PostgreSQL may fail on the SET first.
        # (The failing SET divides by a target column: PostgreSQL folds one of parameters or
        # literals while planning, and fails even where the clause is never taken.)
        repeat = not any("100 /" in c for c in clauses)
        return f"MERGE INTO {target} USING {self.source(params, repeat)} ON {q}.k = s.k " + " ".join(clauses)

    def other(self):
        return self.r.choice(["DELETE FROM upsert_m WHERE n > 50", "UPDATE upsert_msrc SET n = n + 1",
                              "INSERT INTO upsert_msrc SELECT max(k) + 1, 3, 'q' FROM upsert_msrc", "SELECT 1 / 0"])

    def script(self, n, extended=False):
        out = []
        while len(out) < n:
            block = self.r.random() < 0.3
            if block:
                out.append(("BEGIN", None))
            for _ in range(self.r.randint(1, 4)):
                if self.r.random() < 0.1 and not extended:
                    out.append((self.other(), None))
                    continue
                params = [] if extended else None
                out.append((self.merge(params), params))
            if block:
                out.append((self.r.choice(["COMMIT", "ROLLBACK", "COMMIT"]), None))
        return out


# The forms Redshift runs: passed through untouched under `merge: native`.
NATIVE_FORMS = [
    "MERGE INTO upsert_m USING upsert_msrc ON upsert_m.k = upsert_msrc.k WHEN MATCHED THEN UPDATE SET n = "
    "upsert_msrc.n WHEN NOT MATCHED THEN INSERT VALUES (upsert_msrc.k, upsert_msrc.n, upsert_msrc.v)",
    "MERGE INTO upsert_m USING upsert_msrc AS s ON upsert_m.k = s.k WHEN MATCHED THEN DELETE "
    "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)",
]


def side(ports, script, extended):
    native, proxied = d.conn(ports[0], d.NATIVE), d.conn(ports[1], d.PROXIED)
    for c in (native, proxied):
        d.reset_tables(c)
        c.execute(SEED_ROWS)
        c.execute("INSERT INTO upsert_msrc VALUES (1, 6, 's1'), (4, 2, NULL), (6, 7, 's6'), (NULL, 1, 'sn')")
    failures = []
    for i, (text, params) in enumerate(script + [(f, None) for f in NATIVE_FORMS]):
        want, got = d.run(native, text, params, extended), d.run(proxied, text, params, extended)
        OUTCOMES[want if want.startswith("ERROR") or not want.startswith("MERGE") else
                 "MERGE 0" if want == "MERGE 0" else "MERGE n"] += 1
        if want != got:
            failures.append(f"statement {i}: {text} {params or ''}\n  native:  {want}\n  proxied: {got}")
    for c in (native, proxied):
        if c.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            c.execute("ROLLBACK")
    if d.contents(native) != d.contents(proxied):
        failures.append(f"contents differ:\n  native:  {d.contents(native)}\n  proxied: {d.contents(proxied)}")
    return failures


# A random statement may itself have a native form's shape (a table source, one WHEN MATCHED
# THEN UPDATE/DELETE and one WHEN NOT MATCHED THEN INSERT, no conditions): it passes too.
NATIVE_SHAPE = re.compile(r"MERGE INTO \w+ USING \w+(?: AS \w+)? ON [^()]+? WHEN MATCHED THEN (?:UPDATE SET .+?|DELETE) "
                          r"WHEN NOT MATCHED THEN INSERT [^;]*$", re.I)


def native_shaped(entry):
    m = NATIVE_SHAPE.search(entry)
    return m is not None and len(re.findall(r"\bWHEN\b", m.group(0), re.I)) == 2


def log_check(dev_port, log, start):
    """Only the native forms reached the warehouse as MERGE; the staged ones did run."""
    mine = d.proxied_statements(dev_port, log, start)
    merges = [e for e in mine if re.search(r"\bmerge\s+into\b", e, re.I)]
    failures = [f"the warehouse received a staged form's MERGE: {e[:300]}" for e in merges
                if not any(f in e for f in NATIVE_FORMS) and not native_shaped(e)]
    if len(merges) - len(failures) < 2 * len(NATIVE_FORMS):
        failures.append("the native forms did not reach the warehouse as MERGE")
    if not any("blueshift_merge_" in e for e in mine):
        failures.append("the statement log shows no staged MERGE from the proxied database")
    return failures


def main():
    setup_args = d.ports_and_seed("MERGE_SEED", 200)
    if setup_args is None:
        return 77
    args, ports = setup_args
    log, start = d.setup(ports[0])
    rnd = random.Random(args.seed)
    failures = side(ports, Gen(rnd).script(args.statements), False)
    failures += side(ports, Gen(rnd).script(args.statements, extended=True), True)
    failures += log_check(ports[0], log, start)
    return d.verdict(failures, OUTCOMES, args.statements)


if __name__ == "__main__":
    sys.exit(main())

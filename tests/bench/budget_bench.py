"""pgbench through the proxy with a budget on (every statement a governed, billed scan)
and the same without it, paired and interleaved (paired_pgbench.py: both proxies up, each
round runs both in alternating order, verdict = median of the per-round ratios), and how
many ledger rows the budgeted proxy wrote: the budget check costs no warehouse round trip
per query (leases, policies/budgets.h).

  BLUESHIFT_BIN=build/blueshift BLUESHIFT_DEV_PORT=5440 \
    python3 tests/bench/budget_bench.py [seconds per run] [clients] [rounds]

Proxies on 127.0.0.1:6797 (budget) and 6798 (none), the test policies
(tests/e2e/policies/policies.test.yaml); the ledger is a table in `public` dropped at the
end. Defaults: 10 s runs, 4 clients, 6 rounds.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "policies"))
import harness as h  # noqa: E402
from paired_pgbench import paired_rounds, report  # noqa: E402

SCRIPT = "\\set m random(1, 12)\nSELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = :m;\n"


def ledger_inserts(table):
    with h.Conn(h.dev_port(), "etl") as c:
        r = c.query(f"SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = '{table}'")
        return int(r.rows[0][0]) if r.rows else 0


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    h.require_env()
    table = f"budget_bench_{os.getpid()}"
    budget = ("  catalog_tables: true\n  budgets:\n"
              f"    ledger: {{schema: public, table: {table}}}\n"
              "    limits:\n      - {name: bench, user: analyst, period: day, usd: 1000000}\n")
    try:
        with h.Proxy(6797, {"  catalog_tables: true\n": budget}) as budgeted, h.Proxy(6798) as plain:
            pairs, budget_tx = paired_rounds(budgeted.port, plain.port, SCRIPT, rounds, seconds, clients)
        time.sleep(1)  # let the stats collector count the final give-back
        rows = ledger_inserts(table)
        print(f"pgbench -c {clients} -T {seconds} x {rounds} rounds, one billed partition scan per transaction")
        report("budget", "none", pairs)
        print(f"  ledger rows written by the budgeted proxy (all rounds, incl. the final give-back): {rows}"
              f" = {rows / max(budget_tx, 1):.5f} per query ({budget_tx} queries)")
    finally:
        with h.Conn(h.dev_port(), "etl") as c:
            c.query(f"DROP TABLE IF EXISTS public.{table}")


if __name__ == "__main__":
    main()

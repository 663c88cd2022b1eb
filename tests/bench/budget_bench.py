"""pgbench through the proxy with a budget on (every statement a governed, billed scan)
and the same without it, and how many ledger transactions the budgeted run made: the
budget check costs no warehouse round trip per query (leases, policies/budgets.h).

  BLUESHIFT_BIN=build/blueshift BLUESHIFT_DEV_PORT=5440 python3 tests/bench/budget_bench.py [seconds] [clients]

Proxies on 127.0.0.1:6797 (budget) and 6798 (none), the test policies
(tests/e2e/policies/policies.test.yaml); the ledger is a table in `public` dropped at the
end. Prints TPS of both runs and the ledger rows written (each ledger transaction writes
at least one row).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "policies"))
import harness as h  # noqa: E402

SCRIPT = "\\set m random(1, 12)\nSELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = :m;\n"


def pgbench(port, seconds, clients, script):
    env = dict(os.environ, PGPASSWORD=h.USERS["analyst"])
    out = subprocess.run(["pgbench", "-n", "-h", h.HOST, "-p", str(port), "-U", "analyst", "-c", str(clients),
                          "-j", str(clients), "-T", str(seconds), "-f", script, h.DB],
                         capture_output=True, text=True, env=env, timeout=seconds + 60)
    h.check(out.returncode == 0, f"pgbench failed: {out.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))
    tx = int(re.search(r"number of transactions actually processed: (\d+)", out.stdout).group(1))
    return tps, tx


def ledger_inserts(table):
    with h.Conn(h.dev_port(), "etl") as c:
        r = c.query(f"SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = '{table}'")
        return int(r.rows[0][0]) if r.rows else 0


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    h.require_env()
    table = f"budget_bench_{os.getpid()}"
    budget = ("  catalog_tables: true\n  budgets:\n"
              f"    ledger: {{schema: public, table: {table}}}\n"
              "    limits:\n      - {name: bench, user: analyst, period: day, usd: 1000000}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".pgbench", delete=False) as f:
        f.write(SCRIPT)
    try:
        with h.Proxy(6798) as plain:
            plain_tps, plain_tx = pgbench(plain.port, seconds, clients, f.name)
        with h.Proxy(6797, {"  catalog_tables: true\n": budget}) as budgeted:
            budget_tps, budget_tx = pgbench(budgeted.port, seconds, clients, f.name)
        # Let the stats collector catch up before reading the insert count.
        import time
        time.sleep(1)
        rows = ledger_inserts(table)
        print(f"pgbench -c {clients} -T {seconds}, one billed partition scan per transaction")
        print(f"  without budget: {plain_tps:.1f} TPS ({plain_tx} transactions)")
        print(f"  with budget:    {budget_tps:.1f} TPS ({budget_tx} transactions), ratio {budget_tps / plain_tps:.3f}")
        print(f"  ledger rows written during the budgeted run (incl. the final give-back): {rows}"
              f" = {rows / max(budget_tx, 1):.4f} per query")
    finally:
        os.unlink(f.name)
        with h.Conn(h.dev_port(), "etl") as c:
            c.query(f"DROP TABLE IF EXISTS public.{table}")


if __name__ == "__main__":
    main()

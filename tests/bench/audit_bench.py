"""The cost of the passed-statement audit lines: pgbench through two proxies up at the same
time, one writing an audit line (with its estimate) for every governed scan that passes
(`audit.file`), the other writing none (no audit file, log level warn, so the lines go
nowhere), paired and interleaved (paired_pgbench.py: each round runs both in alternating
order; verdict = median of the per-round ratios). The statement mix is governed: scans of
one and of two partitions of spectrum_schema.sales that the policies pass (each one audit
line, with its estimate), and an ungoverned SELECT 1 (no line).

  BLUESHIFT_BIN=build/blueshift BLUESHIFT_DEV_PORT=5440 \
    python3 tests/bench/audit_bench.py [seconds per run] [clients] [rounds]

Proxies on 127.0.0.1:6795 (audit on) and 6796 (off). Defaults: 10 s runs, 4 clients,
6 rounds. Prints every round, the median ratio and the audit lines written per query.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "policies"))
import harness as h  # noqa: E402
from paired_pgbench import paired_rounds, report  # noqa: E402

SCRIPT = ("\\set m random(1, 11)\n"
          "\\set n :m + 1\n"
          "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month = :m;\n"
          "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND month IN (:m, :n);\n"
          "SELECT 1;\n")
# No audit file (its line commented out), and info lines (where the audit goes without
# one) dropped.
AUDIT_OFF = {"audit:\n": "audit: {}\n#", "  level: info\n": "  level: warn\n"}


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    h.require_env()
    with h.Proxy(6795) as on, h.Proxy(6796, AUDIT_OFF) as off:
        pairs, on_tx = paired_rounds(on.port, off.port, SCRIPT, rounds, seconds, clients)
        lines = len(on.audit_lines())
        off_lines = off.log_text().count("policies audit")
    print(f"pgbench -c {clients} -T {seconds} x {rounds} rounds; a transaction: two governed scans "
          f"(passed, one audit line each) and SELECT 1")
    report("audit-on", "audit-off", pairs)
    print(f"  audit lines written with audit on: {lines} = {lines / max(on_tx, 1):.2f} per transaction "
          f"({on_tx} transactions); with audit off: {off_lines}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The throughput runs' TPS (bench_stats.steady_tps): pgbench's per-second progress after the
warm-up second, so that new warehouse backends warming up do not count against the targets
that open them. Fed pgbench 15's own output, as bench.py reads it (stderr after stdout)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_stats import steady_tps  # noqa: E402
from verdict import report  # noqa: E402

RUN = """pgbench (15.18 (Debian 15.18-0+deb12u1))
progress: 1.0 s, 12794.3 tps, lat 0.961 ms stddev 1.520, 0 failed
progress: 2.0 s, 17566.9 tps, lat 0.892 ms stddev 0.408, 0 failed
progress: 3.0 s, 17557.5 tps, lat 0.891 ms stddev 0.358, 0 failed
progress: 4.0 s, 17156.1 tps, lat 0.907 ms stddev 0.450, 0 failed
transaction type: <builtin: select only>
number of transactions actually processed: 65123
initial connection time = 214.978 ms
tps = 17188.818070 (without initial connection time)
"""
SHORT = """progress: 1.0 s, 9000.0 tps, lat 1.000 ms stddev 1.000, 0 failed
progress: 2.0 s, 18000.0 tps, lat 1.000 ms stddev 1.000, 0 failed
tps = 13500.000000 (without initial connection time)
"""


def main():
    failures = []

    def expect(what, got, want):
        wrong = got is not None if want is None else got is None or abs(got - want) > 0.05
        if wrong:
            failures.append(f"{what}: {got} (expected {want})")

    expect("warm-up second left out", steady_tps(RUN, 1), (17566.9 + 17557.5 + 17156.1) / 3)
    expect("two seconds left out", steady_tps(RUN, 2), (17557.5 + 17156.1) / 2)
    expect("every second when none is warm-up", steady_tps(RUN, 0), (12794.3 + 17566.9 + 17557.5 + 17156.1) / 4)
    expect("one second left: no steady figure", steady_tps(SHORT, 1), None)
    expect("no progress lines", steady_tps("tps = 100.0 (without initial connection time)\n", 1), None)
    return report(failures)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The throughput runs' tail figures (bench_stats.tx_log, tail_figures, slowest_share): records
read from pgbench 15's per-transaction log as bench.py reads it, the warm-up second left out as
for TPS, and the slowest client's share that shows a proxy letting some sessions fall behind."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_stats import slowest_share, tail_figures, tx_log  # noqa: E402
from verdict import report  # noqa: E402

# pgbench -l: "client_id tx_no latency_us script_no epoch_s epoch_us"; a failed transaction
# has a word where the latency is.
LOG = """0 1 20273 0 1796592419 483970
1 1 17579 0 1796592419 484001
0 2 310 0 1796592420 484311
2 1 13369 0 1796592419 484006
0 3 295 0 1796592420 584607
1 2 failed 0 1796592420 684700
2 2 402 0 1796592421 485011

"""


def main():
    failures = []

    def expect(what, got, want):
        if got != want and not (isinstance(want, float) and got is not None and abs(got - want) < 1e-9):
            failures.append(f"{what}: {got!r} (expected {want!r})")

    records = tx_log(LOG.splitlines())
    expect("records, failed and blank lines left out", [(c, lat) for c, lat, _ in records],
           [("0", 20273), ("1", 17579), ("0", 310), ("2", 13369), ("0", 295), ("2", 402)])
    expect("end time", records[2][2], 1796592420.484311)
    # The first second (to 1796592420.483970) left out: client 0 has 2 left, 2 has 1, 1 none.
    expect("after the warm-up second, a client with none left counts", tail_figures(records, 1), (402, 0.0))
    expect("a client never logged counts", tail_figures(records, 0, clients=4), (20273, 0.0))
    expect("clients all logged", tail_figures(records, 0, clients=3), (20273, 0.5))
    expect("whole run", tail_figures(records, 0), (20273, 0.5))
    expect("nothing after the warm-up", tail_figures(records, 5), (None, None))
    expect("no records", tail_figures([], 1), (None, None))
    expect("slowest over median client", slowest_share({"0": 3, "1": 1, "2": 2}), 0.5)
    expect("every client alike", slowest_share({"0": 40, "1": 40, "2": 40}), 1.0)
    expect("one starved client of four", slowest_share({"0": 5, "1": 100, "2": 100, "3": 100}), 0.05)
    expect("one client: no share", slowest_share({"0": 7}), None)
    expect("most clients starved", slowest_share({"0": 0, "1": 0, "2": 9}), 0.0)
    return report(failures)


if __name__ == "__main__":
    sys.exit(main())

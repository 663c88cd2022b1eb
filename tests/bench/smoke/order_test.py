#!/usr/bin/env python3
"""The throughput phase's run order (bench.tps_order): every target runs in every round and
mode, and no target keeps one place in a round, so that a drift within rounds cannot favour
it. Until session 19 every round ran the targets in one fixed order."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench import tps_order  # noqa: E402
from verdict import report  # noqa: E402

NAMES = ["direct", "pgbouncer", "pgbouncer-fresh", "blueshift", "blueshift+policies", "blueshift+example"]
MODES = ["simple", "extended", "prepared"]


def places(order, mode, name):
    """The place of `name` within each round of `mode`."""
    out = []
    for rnd in sorted({r for r, _, _ in order}):
        run = [n for r, m, n in order if r == rnd and m == mode]
        out.append(run.index(name))
    return out


def main():
    failures = []
    for rounds in (3, 5):
        order = tps_order(NAMES, rounds, MODES)
        if len(order) != rounds * len(MODES) * len(NAMES) or len(set(order)) != len(order):
            failures.append(f"{rounds} rounds: not every (round, mode, target) exactly once")
        for mode in MODES:
            for name in NAMES:
                if len(set(places(order, mode, name))) != rounds:
                    failures.append(f"{rounds} rounds, {mode}: {name} at places {places(order, mode, name)}")
            before = [a < b for a, b in zip(places(order, mode, "blueshift"), places(order, mode, "pgbouncer"))]
            if all(before) or not any(before):
                failures.append(f"{rounds} rounds, {mode}: blueshift always on one side of pgbouncer")
    return report(failures)


if __name__ == "__main__":
    sys.exit(main())

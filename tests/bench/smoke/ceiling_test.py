#!/usr/bin/env python3
"""The proxy-ceiling phase's verdict (placement._ceiling_lines): Blueshift on a core of its own
(CEILING_TARGET) against direct on the warehouse's cores, paired by round, judged on the
median of the per-round ratios against 0.85."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from placement import CEILING_TARGET, _ceiling_lines  # noqa: E402
from verdict import report  # noqa: E402


def runs(*tps):
    return [{"tps": t, "txs": int(t * 6), "cpu": t * 6 * 30e-6} for t in tps]


def verdict(lines):
    found = [line for line in lines if line.startswith("TARGET")]
    return found[0] if len(found) == 1 else f"{len(found)} verdict lines"


def main():
    failures = []

    def expect(what, ceiling, start, figure):
        got = verdict(_ceiling_lines(ceiling, 6))
        if not got.startswith(start) or figure not in got:
            failures.append(f"{what}: {got!r} (expected {start!r} with {figure!r})")

    direct = runs(10000, 20000, 10000)
    # Paired by round: 9,000 / 10,000, 18,000 / 20,000 and 9,500 / 10,000; unpaired medians
    # (9,500 / 10,000) would say 0.950.
    expect("median of the paired ratios", {CEILING_TARGET: runs(9000, 18000, 9500), "direct": direct},
           "TARGET MET", "0.900")
    expect("below 0.85 missed", {CEILING_TARGET: runs(8400, 16800, 8400), "direct": direct},
           "TARGET MISSED", "0.840")
    expect("a failed direct run leaves its round out",
           {CEILING_TARGET: runs(8000, 18000, 9500), "direct": [direct[0] | {"error": "x"}, *direct[1:]]},
           "TARGET MET", "0.925")
    expect("no direct run: no figure, missed", {CEILING_TARGET: runs(9000), "direct": []},
           "TARGET MISSED", "n/a")
    # Other proxies get a ratio column but no verdict.
    lines = _ceiling_lines({"pgbouncer": runs(9000), "direct": runs(10000)}, 6)
    if any(line.startswith("TARGET") for line in lines) or not any("0.900" in line for line in lines):
        failures.append(f"pgbouncer alone: {lines}")
    return report(failures)


if __name__ == "__main__":
    sys.exit(main())

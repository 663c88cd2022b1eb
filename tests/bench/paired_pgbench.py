"""Paired, interleaved pgbench rounds against two proxies up at the same time: each round
runs both, back to back, in alternating order (A B, B A, ...), so that the drift of a shared
machine hits both alike; the verdict is the median of the per-round TPS ratios. Used by
budget_bench.py and audit_bench.py."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

import harness as h
from bench_stats import median


def pgbench(port, seconds, clients, script):
    """(TPS, transactions) of one pgbench run as analyst through 127.0.0.1:port."""
    env = dict(os.environ, PGPASSWORD=h.USERS["analyst"])
    out = subprocess.run(["pgbench", "-n", "-h", h.HOST, "-p", str(port), "-U", "analyst", "-c", str(clients),
                          "-j", str(clients), "-T", str(seconds), "-f", script, h.DB],
                         capture_output=True, text=True, env=env, timeout=seconds + 60)
    h.check(out.returncode == 0, f"pgbench failed: {out.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))
    tx = int(re.search(r"number of transactions actually processed: (\d+)", out.stdout).group(1))
    return tps, tx


def paired_rounds(port_a, port_b, script_text, rounds, seconds, clients):
    """Runs `rounds` interleaved rounds; returns per-round (tps_a, tps_b) and the total
    transactions of A."""
    with tempfile.NamedTemporaryFile("w", suffix=".pgbench", delete=False) as f:
        f.write(script_text)
    pairs, tx_a = [], 0
    try:
        for r in range(rounds):
            tps = {}
            for port in ((port_a, port_b) if r % 2 == 0 else (port_b, port_a)):
                tps[port], tx = pgbench(port, seconds, clients, f.name)
                tx_a += tx if port == port_a else 0
            pairs.append((tps[port_a], tps[port_b]))
    finally:
        os.unlink(f.name)
    return pairs, tx_a


def report(name_a, name_b, pairs):
    """Prints every round and the median of the A/B ratios; returns that median."""
    ratios = [a / b for a, b in pairs]
    for i, (a, b) in enumerate(pairs, 1):
        order = f"{name_a} first" if i % 2 else f"{name_b} first"
        print(f"  round {i} ({order}): {name_a} {a:.1f} TPS, {name_b} {b:.1f} TPS, ratio {a / b:.3f}")
    m = median(ratios)
    print(f"  median {name_a}/{name_b} ratio over {len(ratios)} rounds: {m:.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    return m

#!/usr/bin/env python3
"""A governed statement whose analysis takes seconds (megabytes of OR branches, under
policies.max_statement_bytes) must not stall the other sessions of its I/O thread: with
io_threads: 1, another session's `select 1` keeps answering while the long one is analysed
on the blocking pool (limits.offload_analysis_bytes). The same run with the offload off
first shows the stall the test guards against, so the gap it asserts is real.

Usage: long_analysis_tests.py [offload|all]     (port 6742)
Environment: LONG_ANALYSIS_BRANCHES (default 80000) sets the statement's size.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import harness as h
from harness import check

PORT = 6742
BRANCHES = int(os.environ.get("LONG_ANALYSIS_BRANCHES", "80000"))
LIMIT = 16 << 20  # policies.max_statement_bytes for this test
h.WAIT = max(h.WAIT, 120.0)  # the long statement's answer comes after its analysis


def big_statement():
    # No partition filter: refused once analysed, so its time is the analysis alone.
    ors = " or ".join(f"sale_id = {i}" for i in range(BRANCHES))
    return f"select count(*) from spectrum_schema.sales where ({ors})"


def overrides(offload_bytes):
    return {
        "log:\n  level: info": f"io_threads: 1\nlimits:\n  offload_analysis_bytes: {offload_bytes}\nlog:\n  level: info",
        "catalog_tables: true": f"catalog_tables: true\n  max_statement_bytes: {LIMIT}",
    }


def run(offload_bytes, big):
    """(seconds the long statement took, worst select 1 of another session meanwhile)."""
    with h.Proxy(PORT, overrides(offload_bytes)) as p, h.Conn(p.port, "analyst") as other, \
            h.Conn(p.port, "analyst") as c:
        worst = [0.0]
        stop = threading.Event()
        started = threading.Event()

        def ping():
            while not stop.is_set():
                start = time.monotonic()
                r = other.query("select 1")
                worst[0] = max(worst[0], time.monotonic() - start)
                check(not r.errors, f"select 1 on the other session: {r.errors}")
                started.set()
                time.sleep(0.01)

        pinger = threading.Thread(target=ping)
        pinger.start()
        try:
            started.wait(10)
            start = time.monotonic()
            r = c.query(big)
            took = time.monotonic() - start
            check(r.error and r.error.get("C") == "42501", f"the unfiltered statement: {r.codes} {r.errors}")
            # The session goes on after its long statement.
            check(c.query("select 2").rows == [("2",)], "the long statement's session goes on")
        finally:
            stop.set()
            pinger.join()
        return took, worst[0]


def test_offload():
    big = big_statement()
    check(len(big) < LIMIT, f"the statement is {len(big)} bytes, over max_statement_bytes")
    took_inline, worst_inline = run(0, big)
    print(f"{len(big)} bytes analysed on the I/O thread: {took_inline:.2f} s; another session's worst "
          f"select 1 meanwhile: {worst_inline * 1000:.0f} ms")
    took, worst = run(64 << 10, big)
    print(f"{len(big)} bytes analysed off it: {took:.2f} s; another session's worst select 1 meanwhile: "
          f"{worst * 1000:.0f} ms")
    check(took_inline >= 1.0, f"the analysis took {took_inline:.2f} s: too short to show a stall")
    check(worst_inline >= took_inline / 2, f"with the offload off, the other session stalled only "
          f"{worst_inline:.2f} s of {took_inline:.2f} s: the test shows nothing")
    check(took >= 1.0, f"the offloaded analysis took {took:.2f} s: too short to show anything")
    check(worst < min(0.5, took / 3), f"another session stalled {worst:.2f} s during an offloaded analysis of {took:.2f} s")


def main():
    h.run_tests({"offload": test_offload}, sys.argv)


if __name__ == "__main__":
    main()

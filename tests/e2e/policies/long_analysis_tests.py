#!/usr/bin/env python3
"""Long governed texts must not stall the other sessions of their I/O thread (issue 10).
Each test runs with io_threads: 1 and another session's `select 1` in a loop meanwhile.

offload    a statement whose analysis takes seconds (megabytes of OR branches, under
           policies.max_statement_bytes) is analysed on the blocking pool
           (limits.offload_analysis_bytes). The same run with the offload off first shows
           the stall the test guards against, so the gap it asserts is real. Port 6742.
oversized  a compliant statement over policies.max_statement_bytes, in a Query and in a
           Parse, is refused at once (42501, "could not analyse", DETAIL "statement too large
           to analyse"), the session goes on, and the other session is not stalled (with the
           offload on, as by default: refused inline, 3 MB cost the thread 2 s at load 12). Port
           6744.
prepare    a long SQL `PREPARE p(int, int) AS ...` (its whole text, its statements scanned and
           its body checked) is analysed off the I/O thread as a Query of that size is; the run
           with the offload off shows the stall. An EXECUTE of it is decided on the thread (its
           values against the body's facts): its time is printed, not bounded. Port 6745.

Usage: long_analysis_tests.py [offload|oversized|prepare|all]
Environment: LONG_ANALYSIS_BRANCHES (default 80000) sets the statements' size.
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


class Pinger:
    """Another session's `select 1` in a loop on a thread: the worst wait it saw."""

    def __init__(self, conn):
        self.conn = conn
        self.worst = 0.0
        self.stop = threading.Event()
        self.started = threading.Event()
        self.thread = threading.Thread(target=self.ping)

    def ping(self):
        while not self.stop.is_set():
            start = time.monotonic()
            r = self.conn.query("select 1")
            self.worst = max(self.worst, time.monotonic() - start)
            check(not r.errors, f"select 1 on the other session: {r.errors}")
            self.started.set()
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        self.started.wait(10)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        return False


def timed(fn):
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def run(offload_bytes, big):
    """(seconds the long statement took, worst select 1 of another session meanwhile)."""
    with h.Proxy(PORT, overrides(offload_bytes)) as p, h.Conn(p.port, "analyst") as other, \
            h.Conn(p.port, "analyst") as c:
        with Pinger(other) as pinger:
            took, r = timed(lambda: c.query(big))
            check(r.error and r.error.get("C") == "42501", f"the unfiltered statement: {r.codes} {r.errors}")
            # The session goes on after its long statement.
            check(c.query("select 2").rows == [("2",)], "the long statement's session goes on")
        return took, pinger.worst


def check_offloaded(what, inline, offloaded):
    """inline, offloaded: (seconds the statement took, another session's worst select 1)."""
    (took_inline, worst_inline), (took, worst) = inline, offloaded
    print(f"{what} on the I/O thread: {took_inline:.2f} s; another session's worst select 1 meanwhile: "
          f"{worst_inline * 1000:.0f} ms")
    print(f"{what} off it: {took:.2f} s; another session's worst select 1 meanwhile: {worst * 1000:.0f} ms")
    check(took_inline >= 1.0, f"the analysis took {took_inline:.2f} s: too short to show a stall")
    check(worst_inline >= took_inline / 2, f"with the offload off, the other session stalled only "
          f"{worst_inline:.2f} s of {took_inline:.2f} s: the test shows nothing")
    check(took >= 1.0, f"the offloaded analysis took {took:.2f} s: too short to show anything")
    check(worst < min(0.5, took / 3), f"another session stalled {worst:.2f} s during an offloaded analysis of {took:.2f} s")


def test_offload():
    big = big_statement()
    check(len(big) < LIMIT, f"the statement is {len(big)} bytes, over max_statement_bytes")
    check_offloaded(f"{len(big)} bytes analysed", run(0, big), run(64 << 10, big))


OVERSIZED_PORT = 6744
OVERSIZED_LIMIT = 1 << 20


def check_too_large(r, what):
    e = r.error or {}
    check(e.get("C") == "42501" and "could not analyse" in e.get("M", ""),
          f"{what}: expected a refusal as unanalysable, got {r.codes} {r.errors}")
    check("statement too large to analyse" in e.get("D", ""), f"{what}: DETAIL does not say why: {e}")
    check(r.status == "I", f"{what}: ReadyForQuery {r.status!r}")


def test_oversized():
    # Compliant but for its size: with no limit it would run.
    ors = " or ".join(f"sale_id = {i}" for i in range(BRANCHES * 2))
    big = f"select count(*) from spectrum_schema.sales where year = 2024 and month = 1 and ({ors})"
    check(len(big) > 2 * OVERSIZED_LIMIT, f"the statement is only {len(big)} bytes")
    config = overrides(64 << 10)
    config["catalog_tables: true"] = f"catalog_tables: true\n  max_statement_bytes: {OVERSIZED_LIMIT}"
    with h.Proxy(OVERSIZED_PORT, config) as p, h.Conn(p.port, "analyst") as other, \
            h.Conn(p.port, "analyst") as c:
        with Pinger(other) as pinger:
            took, r = timed(lambda: c.query(big))
            check_too_large(r, "Query")
            check(c.query("select 2").rows == [("2",)], "the session goes on after its refused Query")
            c.send(h.parse_msg("", big) + h.bind_msg("", "") + h.execute_msg() + h.sync_msg())
            took_parse, r = timed(c.read_until_ready)
            check_too_large(r, "Parse")
            check(c.query("select 3").rows == [("3",)], "the session goes on after its refused Parse")
        print(f"{len(big)} bytes over a limit of {OVERSIZED_LIMIT}: refused in {took:.2f} s (Query), "
              f"{took_parse:.2f} s (Parse); another session's worst select 1 meanwhile: {pinger.worst * 1000:.0f} ms")
        check(pinger.worst < 0.5, f"another session stalled {pinger.worst:.2f} s behind an oversized statement")


PREPARE_PORT = 6745


def run_prepare(offload_bytes, ors):
    """(seconds, another session's worst select 1) for the PREPARE, then for an EXECUTE."""
    # Its bound comes from the EXECUTE's values: 2022..2024 is 36 partitions, refused.
    prepare = f"prepare p(int, int) as select count(*) from spectrum_schema.sales " \
              f"where year between $1 and $2 and month between 1 and 12 and ({ors})"
    with h.Proxy(PREPARE_PORT, overrides(offload_bytes)) as p, h.Conn(p.port, "analyst") as other, \
            h.Conn(p.port, "analyst") as c:
        with Pinger(other) as pinger:
            took, r = timed(lambda: c.query(prepare))
            check(not r.errors and r.tags == ["PREPARE"], f"the PREPARE: {r.codes} {r.errors}")
        prepared = (took, pinger.worst)
        with Pinger(other) as pinger:
            took, r = timed(lambda: c.query("execute p(2022, 2024)"))
            h.check_refusal(r.error, h.RULE_MAX, what="EXECUTE p(2022, 2024)")
            check(c.query("select 2").rows == [("2",)], "the session goes on after its refused EXECUTE")
        return prepared, (took, pinger.worst)


def test_prepare():
    ors = " or ".join(f"sale_id = {i}" for i in range(BRANCHES))
    inline_prepare, inline_execute = run_prepare(0, ors)
    prepare, execute = run_prepare(64 << 10, ors)
    print(f"EXECUTE of it: {inline_execute[0]:.2f} s inline (worst select 1 {inline_execute[1] * 1000:.0f} ms), "
          f"{execute[0]:.2f} s offloaded (worst select 1 {execute[1] * 1000:.0f} ms)")
    check_offloaded(f"PREPARE of {len(ors)} bytes analysed", inline_prepare, prepare)


def main():
    h.run_tests({"offload": test_offload, "oversized": test_oversized, "prepare": test_prepare}, sys.argv)


if __name__ == "__main__":
    main()

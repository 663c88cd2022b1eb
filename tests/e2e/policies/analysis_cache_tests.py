#!/usr/bin/env python3
"""The analysis cache is bounded in bytes (issue 10): many large distinct governed texts
through one proxy leave its RSS near the configured bound (policies.analysis_cache_bytes),
not growing with what was sent. Each text is just under the 64 KiB the cache keeps at most,
distinct in a comment (a distinct template: literal lifting does not merge them), and
refused, so that the upstream does nothing and the proxy's analysis is what holds memory.
The same texts through a proxy whose bound is 1 GiB first show the growth the bound
prevents, so the test is seen to guard something.

Usage: analysis_cache_tests.py [bounded|all]     (port 6743)
"""

from __future__ import annotations

import sys

import harness as h
from harness import check

PORT = 6743
BOUND = 4 << 20         # policies.analysis_cache_bytes of the bounded run
UNBOUNDED = 1 << 30     # ... of the run that shows the growth
TEXT_BYTES = 60 << 10   # under the 64 KiB key the cache keeps at most
TEXTS = 1200            # about 70 MiB of distinct texts: many times the bound
# What RSS may grow beyond the bound: the session's buffers, the allocator's slack and
# the decision memo (7 MiB measured with a 4 MiB bound).
SLACK = 12 << 20
# Without the bound every text is kept: about 70 MiB (74 MiB of RSS measured).
SHOWN = 48 << 20


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise h.TestFailure(f"no VmRSS in /proc/{pid}/status")


def text(i):
    # No partition filter: refused once analysed (nothing runs upstream).
    head = f"select count(*) from spectrum_schema.sales /* text {i} "
    return head + "x" * (TEXT_BYTES - len(head) - 3) + " */"


def rss_growth(bound):
    """How much the proxy's RSS grew (peak) while it refused TEXTS distinct texts."""
    config = {"catalog_tables: true": f"catalog_tables: true\n  analysis_cache_bytes: {bound}"}
    with h.Proxy(PORT, config) as p, h.Conn(p.port, "analyst") as c:
        # Warm up the session, the catalog and the allocator before the baseline.
        for i in range(20):
            check(c.query(f"select {i}").rows == [(str(i),)], "a plain select answers")
        before = peak = rss_bytes(p.proc.pid)
        for i in range(TEXTS):
            r = c.query(text(i))
            check(r.error and r.error.get("C") == "42501", f"text {i}: expected a refusal, got {r.codes} {r.errors}")
            if i % 100 == 99:
                peak = max(peak, rss_bytes(p.proc.pid))
        check(c.query("select 1").rows == [("1",)], "the session goes on")
        print(f"{TEXTS} distinct texts of {TEXT_BYTES} bytes ({TEXTS * TEXT_BYTES >> 20} MiB), cache bound "
              f"{bound >> 20} MiB: RSS {before >> 20} MiB before, peak {peak >> 20} MiB")
        return peak - before


def test_bounded():
    unbounded = rss_growth(UNBOUNDED)
    check(unbounded >= SHOWN, f"with a bound of {UNBOUNDED >> 20} MiB RSS grew only {unbounded >> 20} MiB: "
          "the texts are not what holds memory, the test shows nothing")
    bounded = rss_growth(BOUND)
    check(bounded <= BOUND + SLACK, f"RSS grew {bounded >> 20} MiB for a cache bound of {BOUND >> 20} MiB "
          f"(allowed {(BOUND + SLACK) >> 20} MiB): the cache holds what was sent")


def main():
    h.run_tests({"bounded": test_bounded}, sys.argv)


if __name__ == "__main__":
    main()

"""Hostile-client and hostile-network limits (issue 10), each test with a private blueshift in
front of a scripted upstream (scripted_upstream.py): a startup packet that repeats a parameter,
and an upstream that stalls mid-result or mid-message.

Usage: python3 limits_tests.py {duplicate_startup|query_timeout|upstream_stall}
Ports (127.0.0.1): 6680-6699, a block of four per test (proxy = base, upstream = base + 1).
"""

from __future__ import annotations

import sys
import time

import pgwire as w
import scripted_upstream as su


def start(track, cleanups, base, handler, config=None):
    w.wait_port_free(base + 1)
    upstream = su.ScriptedUpstream(base + 1, handler)
    cleanups.append(upstream.stop)
    proxy = track(w.Proxy(base, base + 1, config=config))
    return upstream, proxy


def serve_ok(conn):
    if conn.read_startup() is None:
        return
    su.login_ok(conn)
    su.serve_queries(conn)


def healthy_session(base, cleanups):
    c = w.Client(base)
    cleanups.append(c.close)
    w.check(w.login(c, "healthy", "") is None, "a healthy session could not log in")
    return c


def check_healthy(c, what):
    rows, _, err = c.simple_query("select 1")
    w.check(err is None and rows == [["1"]], f"the healthy session after {what}: {rows} {err}")


# ------------------------------------------------------------------ 1. duplicate startup parameters

def test_duplicate_startup(track, cleanups):
    """PostgreSQL takes a repeated parameter's last value: a proxy that governed the first
    would decide for one identity while the server logs in another. Refused before the upstream
    is even connected."""
    base = 6680
    upstream, proxy = start(track, cleanups, base, serve_ok)
    cases = {
        "user": [("user", "nobody"), ("database", "dev"), ("user", "analyst")],
        "database": [("user", "analyst"), ("database", "dev"), ("database", "other")],
        "application_name": [("user", "analyst"), ("application_name", "a"), ("application_name", "b")],
    }
    for name, params in cases.items():
        c = w.Client(base)
        cleanups.append(c.close)
        c.send(w.startup_packet(params))
        fields = c.expect_error("08P01", timeout=4, severity="FATAL")
        w.check(f'"{name}" given more than once' in fields.get("M", ""), f"repeated {name}: {fields}")
        w.check(c.read_msg(timeout=3) is None, f"repeated {name}: the connection stayed open after FATAL")
    time.sleep(0.2)
    w.check(not upstream.connections, f"a refused startup reached the upstream: {len(upstream.connections)} connections")
    # The same parameters once each still log in.
    c = healthy_session(base, cleanups)
    check_healthy(c, "the refusals")
    w.check(upstream.connections[0].params().get("user") == "healthy", "the upstream saw another user")
    w.check(proxy.alive(), "the proxy died")


TESTS = {
    "duplicate_startup": test_duplicate_startup,
}

if __name__ == "__main__":
    w.blueshift_bin()
    sys.exit(w.run(TESTS, sys.argv[1:]))

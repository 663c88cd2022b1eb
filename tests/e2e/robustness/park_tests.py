"""Idle sessions park their pumps (proxy/readiness.h: a read wait older than a tick ends its
coroutine and leaves a Sleeper), through a private blueshift in front of the dev warehouse
($BLUESHIFT_DEV_PORT). The gauge blueshift_parked_session_tasks shows what is parked; every
way a parked session can be woken or ended must behave as if it had never parked: the next
query, a reply that takes longer than a tick, the client leaving, the warehouse ending the
backend, and a drain (SIGTERM).

Usage: python3 park_tests.py {park_wake|park_long_query|park_ends}
Ports (127.0.0.1): 6960-6971, a block of four per test (proxy = base, http = base + 1).
"""

from __future__ import annotations

import re
import signal
import sys
import time
import urllib.request

import pgwire as w
from client_tests import superuser_sql
from pgwire import ANALYST
from pgwire_codec import bind, execute, parse, sync

SESSIONS = 12
# A wait parks after one whole tick (100 ms), so within 200 ms; generous for a busy machine.
PARK_WITHIN = 6.0


def proxy_with_metrics(track, base):
    return track(w.Proxy(base, w.warehouse_port(), config=f"http:\n  listen: 127.0.0.1:{base + 1}\n"))


def gauge(base, name="blueshift_parked_session_tasks"):
    with urllib.request.urlopen(f"http://127.0.0.1:{base + 1}/metrics", timeout=w.WAIT) as r:
        body = r.read().decode()
    m = re.search(rf"^{name} ([0-9.e+-]+)$", body, re.M)
    w.check(m is not None, f"{name} is not exposed")
    return float(m.group(1))


def wait_gauge(base, wanted, within=PARK_WITHIN, name="blueshift_parked_session_tasks"):
    deadline = time.monotonic() + within
    while (value := gauge(base, name)) != wanted:
        w.check(time.monotonic() < deadline, f"{name} is {value}, expected {wanted} within {within} s")
        time.sleep(0.1)
    return value


def sessions(base, cleanups, n):
    out = []
    for i in range(n):
        c = w.Client(base)
        cleanups.append(c.close)
        error = w.login(c, ANALYST[0], ANALYST[1], extra=[("application_name", f"park{i}")])
        w.check(error is None, f"login {i} failed: {error}")
        out.append(c)
    return out


def test_park_wake(track, cleanups):
    """Idle sessions park both pumps; a query wakes them and is answered; they park again."""
    base = 6960
    proxy = proxy_with_metrics(track, base)
    clients = sessions(base, cleanups, SESSIONS)
    wait_gauge(base, 2 * SESSIONS)
    for i, c in enumerate(clients):
        rows, tags, err = c.simple_query(f"select {i} as n, current_setting('application_name')")
        w.check(err is None and rows == [[str(i), f"park{i}"]] and tags == ["SELECT 1"],
                f"parked session {i} after waking: {rows} {tags} {err}")
    # Woken by the queries (each answered, so both pumps ran), then parked again.
    wait_gauge(base, 2 * SESSIONS)
    # Extended protocol on a parked session: a statement prepared before the idle spell.
    c = clients[0]
    c.send(parse("s1", "select $1::int + 1") + sync())
    w.check(c.read_until("Z")[-1] is not None, "Parse on a woken session")
    wait_gauge(base, 2 * SESSIONS)
    c.send(bind("", "s1", ["41"]) + execute("") + sync())
    msgs = c.read_until("Z")
    rows = [w.decode_data_row(b) for code, b, _ in msgs[:-1] if code == "D"]
    w.check(rows == [["42"]], f"the statement prepared before the idle spell gave {rows}")
    w.check(proxy.alive() and "unexpected exception" not in proxy.log_text(), "the proxy logged an unexpected exception")


def test_park_long_query(track, cleanups):
    """A reply that takes many ticks: the server pump parks while the query runs and wakes for
    its result; a client waiting for it is not idle (the 1 s idle timeout does not end it)."""
    base = 6964
    proxy = track(w.Proxy(base, w.warehouse_port(),
                          config=f"http:\n  listen: 127.0.0.1:{base + 1}\nlimits:\n  idle_client_timeout_ms: 1000\n"))
    c, = sessions(base, cleanups, 1)
    t0 = time.monotonic()
    c.send(w.query("select pg_sleep(1.5), 'late'"))
    time.sleep(1.0)
    w.check(gauge(base) >= 1, "no pump parked while the 1.5 s query ran")
    rows = [w.decode_data_row(b) for code, b, _ in c.read_until("Z", timeout=10)[:-1] if code == "D"]
    w.check(rows == [["", "late"]], f"the long query's result after parking: {rows}")
    w.check(time.monotonic() - t0 >= 1.4, "the long query came back too early")
    rows, _, err = c.simple_query("select 'after'")
    w.check(err is None and rows == [["after"]], f"the session after the long query: {rows} {err}")
    w.check(proxy.alive(), "the proxy died")


def test_park_ends(track, cleanups):
    """Parked sessions end cleanly: the client leaving, the warehouse ending the backend, and a
    drain, each seen at once and counted out of the gauge."""
    base = 6968
    proxy = proxy_with_metrics(track, base)
    clients = sessions(base, cleanups, 3)
    wait_gauge(base, 6)

    # 1. The client goes: the parked client pump wakes to the end of stream.
    clients[0].close()
    wait_gauge(base, 4, within=3)
    wait_gauge(base, 2, within=3, name="blueshift_connections_active")

    # 2. The warehouse ends the backend: the parked server pump wakes, the client gets its FATAL.
    pid = clients[1].simple_query("select pg_backend_pid()")[0][0][0]
    wait_gauge(base, 4)
    superuser_sql(f"select pg_terminate_backend({pid})")
    clients[1].expect_error("57P01", timeout=5, severity="FATAL")
    w.check(clients[1].read_msg(timeout=3) is None, "the session stayed open after the backend ended")
    wait_gauge(base, 2, within=3)

    # 3. A drain ends the last parked session at once with PostgreSQL's shutdown FATAL.
    t0 = time.monotonic()
    proxy.proc.send_signal(signal.SIGTERM)
    clients[2].expect_error("57P01", timeout=5, severity="FATAL")
    w.check(time.monotonic() - t0 < 2, "the drain took more than 2 s to end a parked session")
    proxy.proc.wait(timeout=10)
    w.check(proxy.proc.returncode == 0, f"the proxy exited with {proxy.proc.returncode} after the drain")
    w.check("unexpected exception" not in proxy.log_text(), "the proxy logged an unexpected exception")


TESTS = {
    "park_wake": test_park_wake,
    "park_long_query": test_park_long_query,
    "park_ends": test_park_ends,
}

if __name__ == "__main__":
    w.blueshift_bin()
    w.warehouse_port()
    sys.exit(w.run(TESTS, sys.argv[1:]))

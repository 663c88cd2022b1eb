"""Hostile-client and hostile-network limits (issue 10), each test with a private blueshift in
front of a scripted upstream (scripted_upstream.py): a startup packet that repeats a parameter,
an upstream that stalls mid-result or mid-message, messages too large to buffer, and client
text that would forge log lines.

Usage: python3 limits_tests.py {duplicate_startup|query_timeout|upstream_stall|buffers|log_injection|cancel_flood}
Ports (127.0.0.1): 6680-6699, a block of four per test (the last two: cancel_flood; proxy = base, upstream = base + 1).
"""

from __future__ import annotations

import sys
import threading
import time

import pgwire as w
import scripted_upstream as su


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
    upstream, proxy = su.start(track, cleanups, base, serve_ok)
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


# ------------------------------------------------------------------ 2. a stalled upstream

TWO_COLUMNS = w.msg("T", w.i16(1) + w.cstr("n") + w.i32(0) + w.i16(0) + w.i32(25) + w.i16(-1) + w.i32(-1) + w.i16(0))


def stalling():
    """Per session, by application_name: "healthy" answers `select 1`; on a query,
      stall:result   RowDescription and 3 whole DataRows, then nothing
      stall:partial  the same, then half a DataRow, then nothing
      stall:stream   the same, then 100 KB of a 200 KB DataRow (the proxy streams it), then nothing
    A stalled connection waits for the proxy to close it (noted "closed"). CancelRequests are
    noted ("cancel") and ignored, as by a server too busy to act on them."""
    def handler(conn):
        if conn.read_startup() is None:
            return
        if conn.startup_version == w.CANCEL_REQUEST:
            conn.note("cancel")
            return
        mode = conn.params().get("application_name", "healthy")
        su.login_ok(conn)

        def on_query(sql):
            if mode == "healthy":
                return su.simple_result()
            conn.send(TWO_COLUMNS + b"".join(w.data_row([str(i)]) for i in range(3)))
            if mode == "stall:partial":
                row = w.data_row(["y" * 200])
                conn.send(row[:len(row) // 2])
            elif mode == "stall:stream":
                conn.send(w.data_row(["z" * 200_000])[:100_000])
            conn.note("stalled")
            while conn.read_msg(timeout=30) is not None:
                pass
            conn.note("closed")
            return None
        su.serve_queries(conn, on_query)
    return handler


def stalled_client(base, cleanups, mode):
    c = w.Client(base)
    cleanups.append(c.close)
    w.check(w.login(c, "analyst", "", extra=[("application_name", mode)]) is None, f"{mode}: login failed")
    c.send(w.query("select n from stalled"))
    return c


def upstream_events(upstream, text):
    return [c for c in upstream.connections if any(e[1] == text for e in c.events)]


def test_query_timeout(track, cleanups):
    """limits.query_timeout_ms: a query the upstream has owed an answer for that long ends the
    session with FATAL 57014, the upstream connection is closed and the server is sent a
    CancelRequest; a CancelRequest the server ignored does not change that. A healthy session
    beside it goes on."""
    base = 6684
    upstream, proxy = su.start(track, cleanups, base, stalling(), config="limits:\n  query_timeout_ms: 1500\n")
    healthy = healthy_session(base, cleanups)
    t0 = time.monotonic()
    c = stalled_client(base, cleanups, "stall:result")
    rows = c.read_until("D")
    w.check(rows[-1] is not None, "no rows before the stall")
    time.sleep(0.3)
    k = w.Client(base)
    cleanups.append(k.close)
    k.send(w.cancel_request(*c.backend_key))
    w.check(k.read_to_eof(timeout=3) == b"", "the cancel connection got bytes back")
    check_healthy(healthy, "a cancel of another session")
    fields = c.expect_error("57014", timeout=6, severity="FATAL")
    elapsed = time.monotonic() - t0
    w.check(1.4 <= elapsed <= 3.5, f"the query timed out after {elapsed:.2f} s, expected about 1.5 s")
    w.check("limits.query_timeout_ms" in fields.get("M", ""), f"the error does not name the setting: {fields}")
    w.check(c.read_msg(timeout=3) is None, "the session stayed open after the query timeout")
    deadline = time.monotonic() + 3
    while not upstream_events(upstream, "closed") or len(upstream_events(upstream, "cancel")) < 2:
        w.check(time.monotonic() < deadline, "the proxy did not close the stalled upstream connection and cancel "
                f"its query: {[(c.index, c.events) for c in upstream.connections]}")
        time.sleep(0.05)
    check_healthy(healthy, "the other session's timeout")
    # A query that answers in time is not affected, however long the session lasts.
    time.sleep(1.6)
    check_healthy(healthy, "1.6 s of idleness")
    w.check(proxy.alive(), "the proxy died")
    print(f"query timeout: {fields['M']} after {elapsed:.2f} s")


def test_upstream_stall(track, cleanups):
    """upstream.read_timeout_ms: a server message begun and not finished for that long ends the
    session with FATAL 08006 (or, mid-streamed row, a close) and closes the upstream connection;
    a result that stalls between whole messages is left to query_timeout_ms (off here)."""
    base = 6688
    upstream, proxy = su.start(track, cleanups, base, stalling(), config="upstream:\n  read_timeout_ms: 1000\n")
    healthy = healthy_session(base, cleanups)
    for mode in ("stall:partial", "stall:stream"):
        t0 = time.monotonic()
        c = stalled_client(base, cleanups, mode)
        # Mid-streamed row the client cannot be sent an error: the connection just closes.
        msgs = c.read_to_eof(timeout=6) if mode == "stall:stream" else c.read_until("E", timeout=6)
        elapsed = time.monotonic() - t0
        w.check(0.9 <= elapsed <= 3.0, f"{mode}: ended after {elapsed:.2f} s, expected about 1 s")
        if mode == "stall:partial":
            w.check(msgs[-1] is not None, f"{mode}: closed without an error")
            fields = w.parse_fields(msgs[-1][1])
            w.check(fields.get("C") == "08006" and "upstream.read_timeout_ms" in fields.get("D", ""),
                    f"{mode}: {fields}")
            w.check(c.read_msg(timeout=3) is None, f"{mode}: the session stayed open")
        check_healthy(healthy, mode)
    deadline = time.monotonic() + 3
    while len(upstream_events(upstream, "closed")) < 2:
        w.check(time.monotonic() < deadline, "the proxy did not close the stalled upstream connections")
        time.sleep(0.05)
    # Between whole messages the server may take its time: no read timeout.
    c = stalled_client(base, cleanups, "stall:result")
    c.read_until("D")
    time.sleep(2.0)
    w.check(not c.eof and not upstream_events(upstream, "closed")[2:],
            "a result stalled between whole messages was cut by the read timeout")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 3. buffers

MB = 1 << 20


def buffering():
    """Per session, by application_name: "healthy" answers queries with `select 1`;
      sasl        asks for SASL and waits for the client's answer
      huge:error  on a query: an ErrorResponse header claiming 200 MB, then 1 MB of it."""
    def handler(conn):
        if conn.read_startup() is None:
            return
        mode = conn.params().get("application_name", "healthy")
        if mode == "sasl":
            conn.send(w.auth(10, w.cstr("SCRAM-SHA-256") + b"\0"))
            conn.note("sasl answered" if conn.read_msg(timeout=10) else "closed")
            return
        su.login_ok(conn)

        def on_query(sql):
            if mode == "huge:error":
                conn.send(b"E" + w.i32(200 * MB) + b"SERROR\0" + b"x" * MB)
                while conn.read_msg(timeout=10) is not None:
                    pass
                return None
            return su.simple_result()
        su.serve_queries(conn, on_query)
    return handler



def huge_query_head(size):
    """A Query message of size bytes (length field size - 1), without its last byte."""
    sql = b"select '" + b"x" * (size - 15) + b"'\0"  # 1 + 4 + len(sql) == size
    return b"Q" + w.i32(size - 1) + sql[:-1]


def test_buffers(track, cleanups):
    """limits.max_buffered_bytes caps the large messages buffered whole across sessions: a
    client's Query minus its last byte holds its size only while it fits, the next gets FATAL
    53200; an upstream message over limits.max_message_size gets FATAL 08P01 before it is
    read; a login message is capped at 64 KB. A healthy session goes on and RSS stays within
    the budget."""
    base = 6692
    upstream, proxy = su.start(track, cleanups, base, buffering(),
                               config="limits:\n  max_message_size: 8388608\n  max_buffered_bytes: 12582912\n")
    healthy = healthy_session(base, cleanups)
    check_healthy(healthy, "warm-up")
    rss0 = proxy.rss_kb()

    holders = []
    for i in range(6):
        c = w.Client(base)
        cleanups.append(c.close)
        w.check(w.login(c, "analyst", "", extra=[("application_name", "healthy")]) is None, "login failed")
        holders.append((c, w.send_in_background(c, huge_query_head(7 * MB))))
    for _, sender in holders:
        sender.join(10)
    holders = [c for c, _ in holders]
    refused = []
    for c in holders[1:]:
        fields = c.expect_error("53200", timeout=5, severity="FATAL")
        w.check("limits.max_buffered_bytes" in fields.get("D", ""), f"budget error: {fields}")
        refused.append(c)
    rss = proxy.rss_kb()
    print(f"RSS {rss0} KB before, {rss} KB with one 7 MB message held and five refused (budget 12 MB)")
    w.check(rss - rss0 < 2 * 12 * 1024 + 8 * 1024, f"RSS grew by {rss - rss0} KB under a 12 MB budget")
    check_healthy(healthy, "the refused messages")
    # The message that fit completes, and its memory counts no more: another fits again.
    holders[0].send(b"\0")
    msgs = holders[0].read_until("Z", timeout=10)
    w.check(msgs[-1] is not None and [m[0] for m in msgs][-2:] == ["C", "Z"], f"the held query: {msgs}")
    c = w.Client(base)
    cleanups.append(c.close)
    w.check(w.login(c, "analyst", "", extra=[("application_name", "healthy")]) is None, "login failed")
    c.send(huge_query_head(7 * MB) + b"\0")
    msgs = c.read_until("Z", timeout=10)
    w.check(msgs[-1] is not None and msgs[-2][0] == "C", f"a 7 MB query after the budget was freed: {msgs}")

    # The upstream's 200 MB ErrorResponse is refused at its header.
    c = w.Client(base)
    cleanups.append(c.close)
    w.check(w.login(c, "analyst", "", extra=[("application_name", "huge:error")]) is None, "login failed")
    c.send(w.query("select 1"))
    fields = c.expect_error("08P01", timeout=5, severity="FATAL")
    w.check("limits.max_message_size" in fields.get("D", ""), f"huge ErrorResponse: {fields}")
    check_healthy(healthy, "the huge ErrorResponse")

    # Before login, an answer to SASL over 64 KB.
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(w.startup_packet([("user", "analyst"), ("application_name", "sasl")]))
    m = c.read_msg(timeout=5)
    w.check(m is not None and m[0] == "R", f"no SASL request: {m}")
    w.send_in_background(c, b"p" + w.i32(100_000) + b"SCRAM-SHA-256\0" + b"y" * 60_000)
    c.expect_error("08P01", timeout=5, severity="FATAL")
    check_healthy(healthy, "the oversized SASL message")
    rss = proxy.rss_kb()
    w.check(rss - rss0 < 2 * 12 * 1024 + 8 * 1024, f"RSS grew by {rss - rss0} KB under a 12 MB budget")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 6. log injection

def serve_raw_startup(conn):
    """Logs in whatever the startup packet holds (names need not be UTF-8), then `select 1`."""
    while len(conn.buf) < 4 or len(conn.buf) < int.from_bytes(conn.buf[:4], "big"):
        if not conn._fill(5.0):
            return
    del conn.buf[:int.from_bytes(conn.buf[:4], "big")]
    su.login_ok(conn)
    su.serve_queries(conn)


def test_log_injection(track, cleanups):
    """A newline in a startup parameter must not forge a log line, nor raw bytes reach the log:
    both in the line at connection open (before authentication) and at close."""
    base = 6696
    upstream, proxy = su.start(track, cleanups, base, serve_raw_startup)
    forged = b"[2020-01-01 00:00:00.000] [info] connection open client=10.0.0.1:1 user=admin"
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(w.startup_packet([("user", b"evil\n" + forged), ("database", b"dev\r\x1b[2J"),
                             ("application_name", b"app \xff\x01 reason=\"x\"")]))
    msgs = c.read_until("Z", timeout=5)
    w.check(msgs[-1] is not None, f"login: {msgs}")
    check_healthy(c, "login")
    c.close()
    deadline = time.monotonic() + 3
    while "connection close" not in proxy.log_text():
        w.check(time.monotonic() < deadline, "no connection close line")
        time.sleep(0.05)
    with open(proxy.log_path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    w.check(not any(l.startswith(b"[2020-01-01") for l in lines), "a log line was forged:\n" + raw.decode(errors="replace"))
    w.check(not any(b in raw for b in (b"\r", b"\x1b", b"\xff", b"\x01")), f"raw bytes reached the log: {raw!r}")
    for line in (b"connection open", b"connection close"):
        mine = [l for l in lines if line in l and b"user=evil" in l]
        w.check(len(mine) == 1 and b"user=evil\\x0a[2020-01-01\\x20" in mine[0]
                and b"database=dev\\x0d\\x1b[2J" in mine[0]
                and b"application_name=app\\x20\\xff\\x01\\x20reason=\\x22x\\x22" in mine[0],
                f"the {line.decode()} line: {mine}")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 5. cancel requests

def send_cancel(base, key):
    k = w.Client(base)
    try:
        k.send(w.cancel_request(*key))
        k.read_to_eof(timeout=5)
    finally:
        k.close()


def test_cancel_flood(track, cleanups):
    """CancelRequests are rate-limited per source address (20 a second, in bursts of 20): a
    flood with a real key reaches the server a burst's worth, not every time; unknown keys are
    counted, not logged one line each."""
    base = 6698
    upstream, proxy = su.start(track, cleanups, base, stalling())
    healthy = healthy_session(base, cleanups)
    for _ in range(60):
        send_cancel(base, healthy.backend_key)
    time.sleep(0.5)
    reached = len(upstream_events(upstream, "cancel"))
    w.check(20 <= reached <= 30, f"{reached} of 60 cancels sent at once reached the upstream, expected about 20")
    time.sleep(1.0)
    send_cancel(base, healthy.backend_key)
    time.sleep(0.3)
    w.check(len(upstream_events(upstream, "cancel")) == reached + 1, "a cancel a second later was not forwarded")
    check_healthy(healthy, "the cancel flood")
    for _ in range(60):
        send_cancel(base, (123456, 654321))
    lines = proxy.log_text().count("unknown key ignored")
    w.check(1 <= lines <= 3, f"{lines} log lines for unknown-key cancels, expected at most one a second")
    w.check(proxy.alive(), "the proxy died")


TESTS = {
    "cancel_flood": test_cancel_flood,
    "log_injection": test_log_injection,
    "buffers": test_buffers,
    "duplicate_startup": test_duplicate_startup,
    "query_timeout": test_query_timeout,
    "upstream_stall": test_upstream_stall,
}

if __name__ == "__main__":
    w.blueshift_bin()
    sys.exit(w.run(TESTS, sys.argv[1:]))

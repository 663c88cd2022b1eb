"""Robustness against bad clients, through a private blueshift in front of the dev warehouse
(PostgreSQL 15 on 127.0.0.1:$BLUESHIFT_DEV_PORT): oversized and lying message lengths, garbage
startup packets, connection limits, login and idle timeouts, protocol negotiation and cancel,
--check-config, and a seeded randomized soak that watches the proxy's memory.

Usage: python3 client_tests.py {oversize|prealloc|garbage_startup|silent_startup|max_clients|login_timeout|
                                idle_timeout|idle_busy|negotiation|check_config|soak}
Random tests print their seed; BLUESHIFT_ROBUST_SEED=<n> replays one.
Ports (127.0.0.1): 6630-6679, one block of five per test.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pgwire as w
from pgwire import ANALYST, ETL


def private_proxy(track, base, config=None, log_level="info"):
    return track(w.Proxy(base, w.warehouse_port(), config=config, log_level=log_level))


def logged_in(port, user=ANALYST, app="robust", timeout=w.WAIT):
    c = w.Client(port)
    error = w.login(c, user[0], user[1], extra=[("application_name", app)], timeout=timeout)
    w.check(error is None, f"login as {user[0]} through the proxy failed: {error}")
    return c


def seed_from_env(name):
    seed = int(os.environ.get("BLUESHIFT_ROBUST_SEED", random.SystemRandom().randrange(1 << 31)))
    print(f"{name}: seed {seed} (BLUESHIFT_ROBUST_SEED={seed} replays it)")
    return seed


def superuser_sql(sql):
    """Runs sql on the warehouse as its superuser (trusted on loopback in the dev warehouse)."""
    env = dict(os.environ, PGCONNECT_TIMEOUT="5")
    out = subprocess.run(["psql", f"host={w.HOST} port={w.warehouse_port()} user=postgres dbname=dev sslmode=disable",
                          "-X", "-At", "-c", sql], env=env, capture_output=True, text=True, timeout=20)
    w.check(out.returncode == 0, f"superuser query on the warehouse failed: {out.stderr.strip()}")
    return out.stdout.strip()



# ------------------------------------------------------------------ 7. oversized messages

def test_oversize(track, cleanups):
    base = 6630
    proxy = private_proxy(track, base, "limits:\n  max_message_size: 1048576\n")

    # Just under the limit still works.
    c = logged_in(base)
    cleanups.append(c.close)
    n = 1048576 - 200
    rows, _, error = c.simple_query("select length('" + "a" * n + "')", timeout=20)
    w.check(error is None and rows == [[str(n)]], f"a {n}-byte literal under the limit: {rows} {error}")

    # 2 MB Query: FATAL 08P01 naming the limit, then the connection closes.
    big = w.query("select length('" + "b" * (2 << 20) + "')")
    t0 = time.monotonic()
    sender = w.send_in_background(c, big)
    fields = c.expect_error("08P01", timeout=5, severity="FATAL")
    w.check("1048576" in fields.get("M", "") and "limit" in fields.get("M", ""),
            f"the error does not name the limit: {fields}")
    w.check(time.monotonic() - t0 < 3, "the oversized message was not refused promptly")
    w.check(c.read_msg(timeout=3) is None, "the connection stayed open after the FATAL error")
    sender.join(5)
    print(f"2 MB Query: {fields['M']}")

    # A lying length after login: refused from the header alone, without waiting for the body.
    c = logged_in(base)
    cleanups.append(c.close)
    c.send(b"Q" + w.i32(0x7FFFFFF0) + b"select 1")
    fields = c.expect_error("08P01", timeout=3, severity="FATAL")
    print(f"claimed 2 GB Query: {fields['M']}")

    # Huge or impossible lengths in the startup packet: closed without a byte, as PostgreSQL
    # does (nothing is reserved for what the length claims).
    for name, data in (("length 0x7fffffff", w.i32(0x7FFFFFFF) + w.i32(w.PROTOCOL_3_0)),
                       ("length -1", w.i32(-1) + b"\0" * 8),
                       ("length 10005", w.i32(10005) + w.i32(w.PROTOCOL_3_0) + b"user\0x\0\0"),
                       ("length 4", w.i32(4))):
        c = w.Client(base)
        cleanups.append(c.close)
        c.send(data)
        got = c.read_to_eof(timeout=3)
        w.check(got == b"", f"startup {name}: expected a close without a byte, got {got!r}")
        print(f"startup {name}: closed without a reply")
        c.close()

    w.check(proxy.alive(), "the proxy died")
    w.check(w.psql_ok(base) == "42", "psql through the proxy afterwards")


# ------------------------------------------------------------------ memory claimed, not sent

def test_prealloc(track, cleanups):
    """A client that has not authenticated claims a huge message length during login (here a
    32 MB SASLInitialResponse, under the default 64 MB limit) and sends nothing more. The proxy
    must not reserve memory for bytes that have not arrived: eight such clients must not cost it
    hundreds of megabytes."""
    base = 6635
    proxy = private_proxy(track, base)
    w.check(w.psql_ok(base) == "42", "psql through the proxy")
    time.sleep(0.3)
    before = proxy.rss_kb()
    clients = []
    for _ in range(8):
        c = w.Client(base)
        cleanups.append(c.close)
        c.send(w.startup_packet([("user", ANALYST[0]), ("database", "dev")]))
        m = c.read_msg()
        w.check(m is not None and m[0] == "R", f"expected an authentication request, got {m}")
        c.send(b"p" + w.i32(32 << 20) + b"SCRAM-SHA-256\0")
        clients.append(c)
    time.sleep(1.0)
    during = proxy.rss_kb()
    for c in clients:
        c.close()
    time.sleep(0.5)
    after = proxy.rss_kb()
    print(f"proxy RSS: {before} KB before, {during} KB with 8 clients each claiming 32 MB, {after} KB after they left")
    w.check(proxy.alive(), "the proxy died")
    w.check(during - before < 48 * 1024,
            f"8 unauthenticated clients that each sent 19 bytes of a message claiming 32 MB grew the proxy by "
            f"{(during - before) >> 10} MB: memory is reserved for the claimed length, not for bytes received")


# ------------------------------------------------------------------ 8. garbage startup packets

def garbage_cases(rng):
    fixed = [
        ("empty then close", b""),
        ("one byte", b"\x00"),
        ("three bytes", b"\x00\x00\x01"),
        ("length 0x7fffffff", w.i32(0x7FFFFFFF)),
        ("negative length", w.i32(-5) + b"abcd"),
        ("length 7", w.i32(7) + b"\0\3\0"),
        ("protocol 2.0", w.i32(8) + w.i32(2 << 16)),
        ("protocol 4.0", w.startup_packet([("user", "x")], version=4 << 16)),
        ("protocol 1234.5678", w.i32(8) + w.i32((1234 << 16) | 5678)),
        ("truncated startup", w.startup_packet([("user", ANALYST[0]), ("database", "dev")])[:13]),
        ("length says more than sent", w.i32(200) + w.i32(w.PROTOCOL_3_0) + b"user\0analyst\0\0"),
        ("no final NUL", w.i32(4 + 4 + 13) + w.i32(w.PROTOCOL_3_0) + b"user\0analyst\0"),
        ("name without value", w.i32(4 + 4 + 6) + w.i32(w.PROTOCOL_3_0) + b"user\0\0"),
        ("no user", w.startup_packet([("database", "dev")])),
        ("SSLRequest with trailing bytes", w.i32(12) + w.i32(w.SSL_REQUEST) + b"abcd"),
        ("short CancelRequest", w.i32(12) + w.i32(w.CANCEL_REQUEST) + w.i32(1)),
        ("HTTP request", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        ("TLS ClientHello", bytes.fromhex("16030100c4010000c00303") + bytes(rng.randrange(256) for _ in range(60))),
        ("typed message instead of startup", w.query("select 1")),
    ]
    for i in range(40):
        n = rng.randrange(1, 400)
        body = bytes(rng.randrange(256) for _ in range(n))
        if i % 2:
            # A plausible length prefix and protocol code, random parameters.
            body = w.i32(rng.randrange(8, 400)) + w.i32(w.PROTOCOL_3_0 if i % 4 == 1 else rng.randrange(1 << 31)) + body
        fixed.append((f"random #{i} ({len(body)} bytes)", body))
    return fixed


def test_garbage_startup(track, cleanups):
    base = 6640
    rng = random.Random(seed_from_env("garbage_startup"))
    proxy = private_proxy(track, base, "limits:\n  login_timeout_ms: 1000\n")
    rss0 = proxy.rss_kb()
    outcomes = {}
    for name, data in garbage_cases(rng):
        s = socket.create_connection((w.HOST, base), timeout=5)
        cleanups.append(s.close)
        t0 = time.monotonic()
        reply = b""
        half_close = rng.random() < 0.5
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)  # the proxy must notice EOF and not wait for the rest
            s.settimeout(4.5)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            raise w.TestFailure(f"{name}: the proxy neither answered nor closed within 4.5 s "
                                f"(half-close: {half_close}; sent {data[:40]!r})") from None
        except OSError:
            pass  # reset by the proxy after its answer: what arrived before counts
        finally:
            s.close()
        elapsed = time.monotonic() - t0
        msgs, rest = w.split_messages(reply)
        w.check(not rest, f"{name}: the proxy sent a partial message: {reply[:80]!r}")
        codes = "".join(m[0] for m in msgs)
        w.check(codes in ("", "E") or codes.startswith("R"), f"{name}: unexpected reply {codes!r}: {reply[:120]!r}")
        outcome = codes or "closed"
        if codes == "E":
            outcome += " " + w.parse_fields(msgs[0][1]).get("C", "?")
        outcomes[name] = (outcome, elapsed)
        w.check(proxy.alive(), f"the proxy died after {name!r}: {data[:60]!r}")

    # What PostgreSQL drops without a word (silent_startup compares them with the warehouse).
    for name in ("length 0x7fffffff", "negative length", "length 7", "protocol 1234.5678", "short CancelRequest",
                 "HTTP request", "TLS ClientHello", "typed message instead of startup"):
        w.check(outcomes[name][0] == "closed", f"{name}: expected a close without a byte, got {outcomes[name][0]}")
    for name in ("protocol 2.0", "no final NUL", "SSLRequest with trailing bytes"):
        w.check(outcomes[name][0] == "E 08P01", f"{name}: expected FATAL 08P01, got {outcomes[name][0]}")
    w.check(outcomes["no user"][0] == "E 28000", f"no user: expected 28000, got {outcomes['no user'][0]}")
    for name, (outcome, elapsed) in outcomes.items():
        print(f"  {name:40s} -> {outcome:10s} {elapsed:.2f} s")
    w.check(w.psql_ok(base) == "42", "psql through the proxy after the garbage")
    rss1 = proxy.rss_kb()
    print(f"proxy RSS {rss0} KB -> {rss1} KB")
    w.check(rss1 - rss0 < 32 * 1024, f"the proxy grew by {(rss1 - rss0) >> 10} MB over {len(outcomes)} garbage connections")


# Startup packets PostgreSQL 15 closes without sending a byte (ProcessStartupPacket: a length
# under 8 or over 10000, a CancelRequest of any length but 16, a packet cut short), each sent
# with and without a half-close; "then close" cases only with one (both sides wait for more).
SILENT_STARTUPS = [
    ("Terminate before startup", w.terminate(), False),
    ("length 0x7fffffff", w.i32(0x7FFFFFFF), False),
    ("negative length", w.i32(-5) + b"abcd", False),
    ("length 4", w.i32(4), False),
    ("length 7", w.i32(7) + b"\0\3\0", False),
    ("length 10005", w.i32(10005) + bytes(16), False),  # PostgreSQL caps the length less its own 4 bytes
    ("CancelRequest of 8 bytes", w.i32(8) + w.i32(w.CANCEL_REQUEST), False),
    ("CancelRequest of 12 bytes", w.i32(12) + w.i32(w.CANCEL_REQUEST) + w.i32(1), False),
    ("CancelRequest of 20 bytes", w.i32(20) + w.i32(w.CANCEL_REQUEST) + w.i32(1) * 3, False),
    ("HTTP request", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False),
    ("TLS ClientHello", bytes.fromhex("16030100c4010000c00303") + bytes(60), False),
    ("typed Query", w.query("select 1"), False),
    ("three bytes then close", b"\x00\x00\x01", True),
    ("truncated startup then close", w.startup_packet([("user", ANALYST[0]), ("database", "dev")])[:13], True),
    ("nothing then close", b"", True),
]


def reply_to(port, data, half_close):
    """Everything the server at port sends back to data before it closes (None: it did not close)."""
    s = socket.create_connection((w.HOST, port), timeout=5)
    reply = b""
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(4)
        while chunk := s.recv(65536):
            reply += chunk
    except socket.timeout:
        return None
    except OSError:
        pass
    finally:
        s.close()
    return reply


def test_silent_startup(track, cleanups):
    base = 6675
    proxy = private_proxy(track, base, "limits:\n  login_timeout_ms: 5000\n")
    for name, data, only_half_close in SILENT_STARTUPS:
        for half_close in (True,) if only_half_close else (False, True):
            direct = reply_to(w.warehouse_port(), data, half_close)
            proxied = reply_to(base, data, half_close)
            what = f"{name}{' (half-closed)' if half_close else ''}"
            w.check(direct == b"", f"{what}: the warehouse itself answered {direct!r}: not a silent case")
            w.check(proxied == direct, f"{what}: through the proxy {proxied!r}, directly {direct!r}")
            print(f"  {what:45s} -> no bytes, closed, as directly")
    w.check(proxy.alive(), "the proxy died")

    # Logged at info, at most a line a second per kind, with the count of those left out.
    log = proxy.log_text()
    lines = [line for line in log.splitlines() if "closed without a reply" in line]
    invalid = [line for line in lines if "invalid length" in line]
    sent = 2 * sum(1 for name, _, only_half_close in SILENT_STARTUPS if not only_half_close)  # all invalid lengths
    w.check(invalid and len(invalid) < sent // 2,
            f"{len(invalid)} 'invalid length' lines for {sent} such packets sent within seconds")
    w.check(any("incomplete startup packet" in line for line in lines), "no line for an incomplete startup packet")
    w.check("[info]" in invalid[0], f"not logged at info: {invalid[0]}")
    for i in range(5):
        reply_to(base, w.terminate(), False)
    time.sleep(1.1)
    reply_to(base, w.terminate(), False)
    time.sleep(0.2)
    last = [line for line in proxy.log_text().splitlines() if "invalid length" in line][-1]
    w.check(re.search(r"and \d+ more like it", last) is not None, f"the line after a quiet second: {last}")
    print(f"  log: {len(lines)} lines for all of the above; the last: {last.split('] ', 2)[-1]}")


# ------------------------------------------------------------------ 9. max_client_connections

def test_max_clients(track, cleanups):
    base = 6645
    proxy = private_proxy(track, base, "limits:\n  max_client_connections: 3\n")
    held = []
    for i in range(3):
        c = logged_in(base, app=f"robust-maxc-{i}")
        cleanups.append(c.close)
        held.append(c)
    c = w.Client(base)
    cleanups.append(c.close)
    error = w.login(c, ANALYST[0], ANALYST[1], extra=[("application_name", "robust-maxc-refused")])
    w.check(error is not None, "a 4th client got in with max_client_connections: 3")
    w.check(error.get("C") == "53300" and error.get("V", error.get("S")) == "FATAL"
            and "too many clients" in error.get("M", ""), f"4th client: {error}")
    w.check(c.read_msg(timeout=3) is None, "the refused client's connection stayed open")
    print(f"4th client: {error['M']} ({error.get('D', '')})")
    rows, _, err = held[0].simple_query(
        "select count(*) from pg_stat_activity where application_name = 'robust-maxc-refused'")
    w.check(err is None and rows == [["0"]], f"the refused client reached the warehouse: {rows} {err}")

    held[1].send(w.terminate())
    held[1].close()
    deadline = time.monotonic() + 3
    while True:
        c = w.Client(base)
        cleanups.append(c.close)
        error = w.login(c, ANALYST[0], ANALYST[1], extra=[("application_name", "robust-maxc-again")])
        if error is None:
            break
        w.check(error.get("C") == "53300", f"unexpected error: {error}")
        w.check(time.monotonic() < deadline, "no slot came free within 3 s after a client left")
        time.sleep(0.1)
    rows, _, err = c.simple_query("select 1")
    w.check(err is None and rows == [["1"]], f"the new client's query: {rows} {err}")
    for h in (held[0], held[2]):
        rows, _, err = h.simple_query("select 2")
        w.check(err is None and rows == [["2"]], f"a held client's query: {rows} {err}")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 10. login_timeout_ms

def test_login_timeout(track, cleanups):
    base = 6650
    proxy = private_proxy(track, base, "limits:\n  login_timeout_ms: 500\n")

    def timed_close(name, data):
        c = w.Client(base)
        cleanups.append(c.close)
        t0 = time.monotonic()
        if data:
            c.send(data)
        tail = c.read_to_eof(timeout=4)
        elapsed = time.monotonic() - t0
        w.check(0.4 <= elapsed <= 2.0, f"{name}: closed after {elapsed:.2f} s, expected about 0.5 s")
        c.close()
        return bytes(c.received), elapsed

    got, elapsed = timed_close("silent client", b"")
    msgs, rest = w.split_messages(got)
    w.check(not rest and all(m[0] == "E" for m in msgs), f"silent client: unexpected bytes {got!r}")
    print(f"silent client closed after {elapsed:.2f} s ({'no bytes' if not got else 'with an error'})")

    got, elapsed = timed_close("half a startup packet",
                               w.startup_packet([("user", ANALYST[0]), ("database", "dev")])[:10])
    print(f"half a startup packet: closed after {elapsed:.2f} s")

    # Startup sent, then the client never answers the password request.
    got, elapsed = timed_close("unanswered authentication request",
                               w.startup_packet([("user", ANALYST[0]), ("database", "dev")]))
    msgs, rest = w.split_messages(got)
    codes = [m[0] for m in msgs]
    w.check(codes[:1] == ["R"] and codes[-1:] == ["E"], f"unanswered authentication: got {codes}")
    fields = w.parse_fields(msgs[-1][1])
    w.check(fields.get("C") == "08006" and fields.get("V", fields.get("S")) == "FATAL", f"unanswered authentication: {fields}")
    print(f"unanswered authentication request: {fields['M']} after {elapsed:.2f} s")

    # A normal login finishes well inside the limit, and the session outlives the login timer.
    c = logged_in(base)
    cleanups.append(c.close)
    time.sleep(1.2)
    rows, _, err = c.simple_query("select 1")
    w.check(err is None and rows == [["1"]], f"a logged-in session was cut by the login timer: {rows} {err}")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 11. idle_client_timeout_ms

def test_idle_timeout(track, cleanups):
    base = 6655
    proxy = private_proxy(track, base, "limits:\n  idle_client_timeout_ms: 500\n")

    c = logged_in(base)
    cleanups.append(c.close)
    t0 = time.monotonic()  # the last byte in either direction was ReadyForQuery, just now
    fields = c.expect_error("57P05", timeout=4, severity="FATAL")
    elapsed = time.monotonic() - t0
    w.check(0.4 <= elapsed <= 2.0, f"idle session ended after {elapsed:.2f} s, expected about 0.5 s")
    w.check(c.read_msg(timeout=3) is None, "the idle session's connection stayed open after FATAL")
    print(f"idle session: {fields['M']} after {elapsed:.2f} s")

    # A session that keeps talking is not idle.
    c = logged_in(base)
    cleanups.append(c.close)
    for i in range(8):
        time.sleep(0.2)
        rows, _, err = c.simple_query(f"select {i}")
        w.check(err is None and rows == [[str(i)]], f"an active session was cut: {rows} {err}")
    w.check(proxy.alive(), "the proxy died")


def test_idle_busy(track, cleanups):
    """A query that runs longer than the idle timeout, with no bytes in either direction while
    it runs, is not an idle client: the session must not be cut."""
    base = 6660
    proxy = private_proxy(track, base, "limits:\n  idle_client_timeout_ms: 500\n")
    c = logged_in(base)
    cleanups.append(c.close)
    t0 = time.monotonic()
    rows, tags, err = c.simple_query("select pg_sleep(1.2), 'done'", timeout=5)
    elapsed = time.monotonic() - t0
    w.check(err is None, f"pg_sleep(1.2) was cut after {elapsed:.2f} s by the idle timeout (500 ms): "
            f"{err.get('C') if err else ''} {err.get('M') if err else ''}")
    w.check(rows == [["", "done"]] and tags == ["SELECT 1"], f"pg_sleep result: {rows} {tags}")
    # Still usable; then, once idle, the timeout applies again.
    rows, _, err = c.simple_query("select 1")
    w.check(err is None and rows == [["1"]], f"after the long query: {rows} {err}")
    c.expect_error("57P05", timeout=4, severity="FATAL")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 12. negotiation and cancel

def test_negotiation(track, cleanups):
    base = 6665
    proxy = private_proxy(track, base)

    for name, requests in (("GSSENCRequest", [w.gssenc_request()]), ("SSLRequest", [w.ssl_request()]),
                           ("GSSENCRequest then SSLRequest", [w.gssenc_request(), w.ssl_request()])):
        c = w.Client(base)
        cleanups.append(c.close)
        for r in requests:
            c.send(r)
            answer = c.read_bytes(1, timeout=3)
            w.check(answer == b"N", f"{name}: answered {answer!r}, expected 'N' (no TLS/GSS configured)")
        error = w.login(c, ANALYST[0], ANALYST[1])
        w.check(error is None, f"{name}: login after the refusal failed: {error}")
        rows, _, err = c.simple_query("select current_user")
        w.check(err is None and rows == [[ANALYST[0]]], f"{name}: {rows} {err}")
        c.close()

    # A startup packet sent with the SSLRequest, before its answer: PostgreSQL 15 answers and
    # then refuses the unencrypted bytes (they could be a man in the middle's), and so must the proxy.
    for port, who in ((w.warehouse_port(), "directly"), (base, "through the proxy")):
        got = reply_to(port, w.ssl_request() + w.terminate(), False)
        w.check(got is not None and got[:1] == b"N", f"SSLRequest with data behind it, {who}: answered {got!r}")
        msgs, rest = w.split_messages(got[1:])
        fields = w.parse_fields(msgs[0][1]) if len(msgs) == 1 and msgs[0][0] == "E" else {}
        w.check(not rest and fields.get("C") == "08P01" and "received unencrypted data after SSL request"
                in fields.get("M", ""), f"SSLRequest with data behind it, {who}: {got!r}")
    for extra in (w.terminate(), w.startup_packet([("user", ANALYST[0])])):
        got = reply_to(base, w.gssenc_request() + extra, False)
        msgs, _ = w.split_messages(got[1:] if got else b"")
        w.check(got[:1] == b"N" and len(msgs) == 1 and w.parse_fields(msgs[0][1]).get("C") == "08P01",
                f"GSSENCRequest with data behind it: {got!r}")

    # CancelRequest for a key nobody holds: closed without a byte, proxy unharmed.
    s = w.Client(base)
    cleanups.append(s.close)
    s.send(w.cancel_request(123456, 654321))
    got = s.read_to_eof(timeout=4)
    w.check(got == b"", f"unknown-key CancelRequest got bytes back: {got!r}")
    s.close()
    time.sleep(0.1)
    w.check("unknown key ignored" in proxy.log_text(), "the proxy did not log the ignored cancel request")

    # A real cancel: the pid the client holds is the warehouse's, the secret the proxy's.
    c = logged_in(base)
    cleanups.append(c.close)
    rows, _, _ = c.simple_query("select pg_backend_pid()")
    w.check(c.backend_key is not None, "no BackendKeyData")
    w.check(int(rows[0][0]) == c.backend_key[0], "the client was not given the warehouse's own backend pid")
    c.send(w.query("select pg_sleep(10)"))
    time.sleep(0.3)
    t0 = time.monotonic()
    k = w.Client(base)
    cleanups.append(k.close)
    k.send(w.cancel_request(*c.backend_key))
    fields = c.expect_error("57014", timeout=4)
    w.check(time.monotonic() - t0 < 3, "the cancel took more than 3 s")
    w.check(k.read_to_eof(timeout=3) == b"", "the cancel connection got bytes back")
    m = c.read_msg()
    w.check(m is not None and m[0] == "Z", f"after the cancel: {m}")
    rows, _, err = c.simple_query("select 1")
    w.check(err is None and rows == [["1"]], f"the session after the cancel: {rows} {err}")
    print(f"cancel: {fields['M']} {time.monotonic() - t0:.2f} s after the CancelRequest")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 13. --check-config

CHECK_CASES = [
    # (name, config text or None for no file, extra args, valid?, substrings expected in the output)
    ("minimal", 'listen: "127.0.0.1:6679"\nupstream: {host: 127.0.0.1, port: 5440}\n', [], True, ["configuration OK"]),
    ("every limit", 'listen: "127.0.0.1:6679"\nupstream: {host: 127.0.0.1, port: 5440, tls: disable}\n'
     "limits: {max_client_connections: 50, max_message_size: 1048576, login_timeout_ms: 500,"
     " idle_client_timeout_ms: 0}\nio_threads: 2\nlog: {level: warn}\n", [], True, ["configuration OK"]),
    ("empty file", "", [], True, ["configuration OK"]),
    ("listen port out of range", 'listen: "127.0.0.1:99999"\n', [], False, ["listen", "port"]),
    ("listen without port", 'listen: "127.0.0.1"\n', [], False, ["listen"]),
    ("upstream port 0", "upstream: {host: 127.0.0.1, port: 0}\n", [], False, ["upstream.port"]),
    ("upstream port not a number", "upstream: {host: 127.0.0.1, port: abc}\n", [], False, ["upstream.port"]),
    ("unknown top-level key", "listn: \"127.0.0.1:5439\"\n", [], False, ["listn", "unknown key"]),
    ("unknown nested key", "limits: {max_conections: 3}\n", [], False, ["limits.max_conections", "unknown key"]),
    ("limits not a mapping", "limits: 5\n", [], False, ["limits", "mapping"]),
    ("tls.require without certificates", "tls: {require: true}\n", [], False, ["tls.require"]),
    ("certificate file missing", "tls: {cert_file: /nonexistent/robust.crt, key_file: /nonexistent/robust.key}\n",
     [], False, ["tls.cert_file", "does not exist"]),
    ("certificate without key", "tls: {cert_file: /etc/hostname}\n", [], False, ["cert_file and key_file"]),
    ("max_message_size too small", "limits: {max_message_size: 10}\n", [], False, ["limits.max_message_size"]),
    ("max_client_connections 0", "limits: {max_client_connections: 0}\n", [], False, ["limits.max_client_connections"]),
    ("max_client_connections negative", "limits: {max_client_connections: -1}\n", [], False,
     ["limits.max_client_connections"]),
    ("login_timeout_ms 0", "limits: {login_timeout_ms: 0}\n", [], False, ["limits.login_timeout_ms"]),
    ("idle timeout negative", "limits: {idle_client_timeout_ms: -5}\n", [], False, ["limits.idle_client_timeout_ms"]),
    ("upstream.tls unknown mode", "upstream: {tls: maybe}\n", [], False, ["upstream.tls"]),
    ("verify-full without ca_file", "upstream: {tls: verify-full}\n", [], False, ["ca_file"]),
    ("log level unknown", "log: {level: loud}\n", [], False, ["log.level"]),
    ("io_threads negative", "io_threads: -3\n", [], False, ["io_threads"]),
    ("timeout not a number", "limits: {login_timeout_ms: fast}\n", [], False, ["limits.login_timeout_ms"]),
    ("timeout overflows int", "limits: {login_timeout_ms: 99999999999}\n", [], False, ["limits.login_timeout_ms"]),
    ("max_message_size over 1 GiB", "limits: {max_message_size: 2147483648}\n", [], False,
     ["limits.max_message_size"]),
    ("upstream not a mapping", "upstream: 127.0.0.1:5440\n", [], False, ["upstream", "mapping"]),
    ("not YAML", "listen: [unclosed\n", [], False, ["YAML"]),
    ("top level is a list", "- a\n- b\n", [], False, ["mapping"]),
    ("missing file", None, ["--config", "/nonexistent/robust-blueshift.yaml"], False, ["cannot read"]),
    ("bad --listen on the command line", "", ["--listen", "127.0.0.1:0"], False, ["port"]),
]


def test_check_config(track, cleanups):
    binary = w.blueshift_bin()
    tmp = tempfile.mkdtemp(prefix="blueshift-robust-config-")
    cleanups.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    failures = []
    for i, (name, text, extra, valid, expected) in enumerate(CHECK_CASES):
        args = [binary, "--check-config", *extra]
        if text is not None:
            path = os.path.join(tmp, f"case{i}.yaml")
            with open(path, "w") as f:
                f.write(text)
            args += ["--config", path]
        out = subprocess.run(args, capture_output=True, text=True, timeout=20)
        output = (out.stdout + out.stderr).strip()
        ok = (out.returncode == 0) == valid and all(s in output for s in expected)
        if valid is False and out.returncode < 0:
            ok = False  # killed by a signal is not a clean refusal
        print(f"  {'ok  ' if ok else 'FAIL'} {name:36s} exit {out.returncode}: {output.splitlines()[0] if output else ''}")
        if not ok:
            failures.append(f"{name}: exit {out.returncode}, output {output!r}, expected "
                            f"{'success' if valid else 'failure'} mentioning {expected}")
    w.check(not failures, "--check-config:\n    " + "\n    ".join(failures))


# ------------------------------------------------------------------ 14. randomized soak

class Soak:
    def __init__(self, port, seed, duration):
        self.port = port
        self.seed = seed
        self.duration = duration
        self.errors = []
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, action):
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1

    def fail(self, text):
        with self.lock:
            self.errors.append(text)

    def worker(self, index, stop_at):
        rng = random.Random(self.seed * 1000 + index)
        actions = ["query", "query", "mid_message", "mid_result", "cancel", "garbage", "startup_abort", "hold"]
        while time.monotonic() < stop_at:
            action = rng.choice(actions)
            try:
                getattr(self, "do_" + action)(rng, index)
                self.count(action)
            except w.TestFailure as e:
                self.fail(f"worker {index} {action}: {e}")
            except OSError as e:
                self.fail(f"worker {index} {action}: {type(e).__name__}: {e}")

    def login(self, rng, index):
        user = ANALYST if rng.random() < 0.5 else ETL
        return logged_in(self.port, user, app=f"robust-soak-{index}")

    def do_query(self, rng, index):
        c = self.login(rng, index)
        try:
            for _ in range(rng.randrange(1, 5)):
                n = rng.randrange(1, 2000)
                rows, tags, err = c.simple_query(f"select g, repeat('x', g % 50) from generate_series(1, {n}) g")
                w.check(err is None and len(rows) == n and tags == [f"SELECT {n}"], f"query of {n} rows: {len(rows)} {tags} {err}")
            c.send(w.terminate())
        finally:
            c.close()

    def do_mid_message(self, rng, index):
        c = self.login(rng, index)
        data = w.query("select " + "1 + " * rng.randrange(1, 3000) + "1")
        c.send(data[:rng.randrange(1, len(data))])
        c.close()

    def do_mid_result(self, rng, index):
        c = self.login(rng, index)
        c.send(w.query("select g, repeat('y', 200) from generate_series(1, 200000) g"))
        c.read_bytes(rng.randrange(1, 200_000), timeout=10)
        c.close()

    def do_cancel(self, rng, index):
        c = self.login(rng, index)
        try:
            c.send(w.query("select pg_sleep(5)"))
            time.sleep(rng.uniform(0.05, 0.3))
            # Generous deadlines: the soak is about survival and memory, and the machine running
            # it may be loaded; a cancel that never lands still fails.
            deadline = time.monotonic() + 8
            while True:  # a cancel that lands before the query starts is lost, as with a server: resend
                k = w.Client(self.port)
                k.send(w.cancel_request(*c.backend_key))
                k.read_to_eof(timeout=8)  # the proxy closes it once the warehouse has the cancel
                k.close()
                try:
                    c.expect_error("57014", timeout=1.0)
                    break
                except w.TestFailure as e:
                    w.check("timed out" in str(e) and time.monotonic() < deadline, f"cancel: {e}")
            m = c.read_msg(timeout=10)
            w.check(m is not None and m[0] == "Z", f"after cancel: {m}")
            c.send(w.terminate())
        finally:
            c.close()

    def do_garbage(self, rng, index):
        s = socket.create_connection((w.HOST, self.port), timeout=5)
        try:
            s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
        except OSError:
            pass
        s.close()

    def do_startup_abort(self, rng, index):
        c = w.Client(self.port)
        c.send(w.startup_packet([("user", ANALYST[0]), ("database", "dev"), ("application_name", f"robust-soak-{index}")]))
        if rng.random() < 0.5:
            c.read_msg()
        c.close()

    def do_hold(self, rng, index):
        c = self.login(rng, index)
        time.sleep(rng.uniform(0.1, 0.8))
        rows, _, err = c.simple_query("select 1")
        w.check(err is None and rows == [["1"]], f"hold: {rows} {err}")
        c.send(w.terminate())
        c.close()

    def run(self, workers, seconds):
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=self.worker, args=(i, stop_at), daemon=True) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 30)
        w.check(not any(t.is_alive() for t in threads), "soak workers did not finish")


def leftover_upstream_sessions():
    return int(superuser_sql("select count(*) from pg_stat_activity where application_name like 'robust-soak-%'"))


def test_soak(track, cleanups):
    base = 6670
    seed = seed_from_env("soak")
    proxy = private_proxy(track, base, "limits:\n  login_timeout_ms: 20000\n")
    soak = Soak(base, seed, 10)

    soak.run(workers=30, seconds=3)  # warm-up: pools, arenas and buffers reach their working size
    time.sleep(1.0)
    warm = proxy.rss_kb()
    w.check(not soak.errors, f"{len(soak.errors)} unexpected outcomes in the warm-up, first ones:\n    "
            + "\n    ".join(soak.errors[:10]))
    soak.counts.clear()
    t0 = time.monotonic()
    soak.run(workers=30, seconds=10)
    soak_seconds = time.monotonic() - t0
    time.sleep(1.0)
    final = proxy.rss_kb()

    print(f"soak: {sum(soak.counts.values())} actions in {soak_seconds:.1f} s: {dict(sorted(soak.counts.items()))}")
    print(f"proxy RSS: {warm} KB after warm-up, {final} KB after the soak")
    w.check(proxy.alive(), "the proxy died during the soak")
    if soak.errors:
        log = proxy.log_text().splitlines()
        for e in soak.errors[:5]:
            port = re.search(r"client port (\d+)", e)
            if port:
                print(f"proxy log for client port {port.group(1)}:")
                print("\n".join(l for l in log if f"127.0.0.1:{port.group(1)} " in l) or "  (nothing)")
    w.check(not soak.errors, f"{len(soak.errors)} unexpected outcomes, first ones:\n    " + "\n    ".join(soak.errors[:10]))
    w.check(sum(soak.counts.values()) >= 100, f"the soak did too little to mean anything: {soak.counts}")
    w.check(final <= warm + 24 * 1024, f"proxy RSS grew from {warm} KB to {final} KB during the soak")
    deadline = time.monotonic() + 5
    while (left := leftover_upstream_sessions()) > 0:
        w.check(time.monotonic() < deadline, f"{left} warehouse sessions of soak clients are still open 5 s after the soak")
        time.sleep(0.2)
    w.check(w.psql_ok(base) == "42", "psql through the proxy after the soak")
    w.check("unexpected exception" not in proxy.log_text(), "the proxy logged an unexpected exception")


TESTS = {
    "oversize": test_oversize,
    "prealloc": test_prealloc,
    "garbage_startup": test_garbage_startup,
    "silent_startup": test_silent_startup,
    "max_clients": test_max_clients,
    "login_timeout": test_login_timeout,
    "idle_timeout": test_idle_timeout,
    "idle_busy": test_idle_busy,
    "negotiation": test_negotiation,
    "check_config": test_check_config,
    "soak": test_soak,
}

if __name__ == "__main__":
    w.blueshift_bin()
    if sys.argv[1:] != ["check_config"]:
        w.warehouse_port()
    sys.exit(w.run(TESTS, sys.argv[1:]))

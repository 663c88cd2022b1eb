"""Hostile logins, through a private blueshift in front of the dev warehouse
($BLUESHIFT_DEV_PORT): connections that never finish their login (silent sockets, clients that
stop mid-SASL) held at the limits for them, while logged-in users and healthy logins go on; and
encryption requests asked twice, answered as PostgreSQL answers them.

Usage: python3 login_tests.py {login_slots|ssl_repeat}
Ports (127.0.0.1): 6770-6779. Clients connect from several loopback addresses (127.0.0.x).
"""

from __future__ import annotations

import os
import struct
import sys
import time

import pgwire as w
from pgwire import ANALYST


def upstream_connections(proxy, port):
    """The proxy's TCP connections to the warehouse (port), from /proc: exact for this proxy."""
    inodes = set()
    fd_dir = f"/proc/{proxy.proc.pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote_port = int(fields[2].split(":")[1], 16)
            if remote_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                count += 1
    return count


def mid_sasl(base, source):
    """A client that sends its startup packet and SCRAM's first message, then stops: the
    warehouse's backend waits for the proof."""
    c = w.Client(base, source=source)
    c.send(w.startup_packet([("user", ANALYST[0]), ("database", "dev"), ("application_name", "robust-mid-sasl")]))
    m = c.read_msg()
    w.check(m is not None and m[0] == "R" and w.auth_type(m[1]) == w.AUTH_SASL, f"mid-SASL client from {source}: {m}")
    c.send(w.ScramClient(ANALYST[1]).initial_response())
    m = c.read_msg()
    w.check(m is not None and m[0] == "R" and w.auth_type(m[1]) == w.AUTH_SASL_CONTINUE,
            f"mid-SASL client from {source}: {m}")
    return c


def refused(c, limit_key):
    """c sends a startup packet and must get FATAL 53300 naming limit_key, then a close."""
    c.send(w.startup_packet([("user", ANALYST[0]), ("database", "dev")]))
    fields = c.expect_error("53300", timeout=5, severity="FATAL")
    w.check("too many clients" in fields.get("M", "") and limit_key in fields.get("D", ""),
            f"refusal over {limit_key}: {fields}")
    w.check(c.read_msg(timeout=3) is None, "the refused connection stayed open")
    return fields


def test_login_slots(track, cleanups):
    """limits.max_unauthenticated_connections / _per_address / handshake_timeout_ms: silent
    sockets and mid-SASL clients fill their share and no more; a client address over its share
    is refused while another address logs in; at the total, newcomers are refused (and beyond
    the refusals' bound closed unread) while logged-in sessions go on; the warehouse backends
    held by clients that stopped mid-login never exceed the total, and all go when the
    handshake timeout ends those clients; then logins succeed again."""
    base = 6770
    wport = w.warehouse_port()
    total, per_address, handshake_ms = 8, 4, 3000
    proxy = track(w.Proxy(base, wport, config=(
        f"limits:\n  max_unauthenticated_connections: {total}\n"
        f"  max_unauthenticated_per_address: {per_address}\n  handshake_timeout_ms: {handshake_ms}\n")))

    def client(source):
        c = w.Client(base, source=source)
        cleanups.append(c.close)
        return c

    healthy = client("127.0.0.1")
    w.check(w.login(healthy, *ANALYST) is None, "the healthy session could not log in")

    # One address's share of silent sockets: its next connection is refused, another address logs in.
    t0 = time.monotonic()
    silent = [client("127.0.0.2") for _ in range(per_address)]
    time.sleep(0.3)
    refused(client("127.0.0.2"), "limits.max_unauthenticated_per_address")
    w.check(w.psql_ok(base) == "42", "psql from another address while one address is at its share")

    # Mid-SASL clients from another address fill the total: they hold warehouse backends.
    stalled = []
    for _ in range(total - per_address):
        stalled.append(mid_sasl(base, "127.0.0.3"))
        cleanups.append(stalled[-1].close)
    held = upstream_connections(proxy, wport)
    w.check(held == total - per_address + 1, f"{held} upstream connections, expected one per mid-SASL client "
            f"and one for the logged-in session")
    fields = refused(client("127.0.0.4"), "limits.max_unauthenticated_connections")
    print(f"at the total: {fields['M']} ({fields['D']})")
    # Refusals are bounded by the total too: beyond them a connection is closed before a byte is read.
    waiting = [client("127.0.0.5") for _ in range(total)]
    time.sleep(0.3)
    closed = client("127.0.0.6")
    w.check(closed.read_to_eof(timeout=3) == b"", "a connection beyond the refusals' bound got bytes")
    w.check(upstream_connections(proxy, wport) == held, "refused clients reached the warehouse")
    rows, _, err = healthy.simple_query("select 1")
    w.check(err is None and rows == [["1"]], f"the logged-in session at the limit: {rows} {err}")

    # The handshake timeout ends them all: silent ones without a word, mid-SASL ones with FATAL 08006.
    for c in stalled:
        fields = c.expect_error("08006", timeout=handshake_ms / 1000 + 3, severity="FATAL")
        w.check("limits.handshake_timeout_ms" in fields.get("M", ""), f"mid-SASL client: {fields}")
    elapsed = time.monotonic() - t0
    for c in silent + waiting:
        w.check(c.read_to_eof(timeout=handshake_ms / 1000 + 3) == b"", "a silent socket got bytes")
    w.check(elapsed < 30 * 0.5, f"the stalled logins lasted {elapsed:.1f} s, not the handshake timeout")
    deadline = time.monotonic() + 3
    while upstream_connections(proxy, wport) != 1:
        w.check(time.monotonic() < deadline, "the mid-SASL clients' warehouse backends were not released")
        time.sleep(0.1)
    w.check(w.psql_ok(base) == "42", "psql after the stalled logins timed out")
    c = client("127.0.0.2")
    w.check(w.login(c, *ANALYST) is None, "the address that was at its share could not log in again")
    rows, _, err = healthy.simple_query("select 2")
    w.check(err is None and rows == [["2"]], f"the logged-in session afterwards: {rows} {err}")
    w.check(proxy.alive(), "the proxy died")
    print(f"stalled logins ended {elapsed:.1f} s after the first; upstream connections held at most {held}")


def test_ssl_repeat(track, cleanups):
    """A second SSLRequest after the first was answered N: PostgreSQL reads it as a protocol
    version and answers FATAL 0A000; the proxy answers the same, word for word."""
    base = 6775
    proxy = track(w.Proxy(base, w.warehouse_port()))
    answers = {}
    for port, who in ((w.warehouse_port(), "the warehouse"), (base, "the proxy")):
        c = w.Client(port)
        cleanups.append(c.close)
        c.send(w.ssl_request())
        w.check(c.read_bytes(1, timeout=3) == b"N", f"{who}: first SSLRequest not answered N")
        c.send(w.ssl_request())
        fields = c.expect_error("0A000", timeout=3, severity="FATAL")
        w.check(c.read_msg(timeout=3) is None, f"{who}: the connection stayed open")
        answers[who] = fields["M"]
    w.check(answers["the proxy"].removeprefix("blueshift: ") == answers["the warehouse"],
            f"second SSLRequest: {answers}")
    # A GSSENCRequest refused, then the SSLRequest and the login go on, as on the server.
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(w.gssenc_request())
    w.check(c.read_bytes(1, timeout=3) == b"N", "GSSENCRequest not answered N")
    c.send(w.gssenc_request())
    fields = c.expect_error("0A000", timeout=3, severity="FATAL")
    w.check("1234.5680" in fields["M"], f"second GSSENCRequest: {fields}")
    print(f"second SSLRequest: {answers['the proxy']}")
    w.check(proxy.alive(), "the proxy died")


TESTS = {
    "login_slots": test_login_slots,
    "ssl_repeat": test_ssl_repeat,
}

if __name__ == "__main__":
    w.blueshift_bin()
    w.warehouse_port()
    sys.exit(w.run(TESTS, sys.argv[1:]))

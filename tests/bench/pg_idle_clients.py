#!/usr/bin/env python3
"""Opens many idle, logged-in PostgreSQL client sessions with raw sockets.

Used by the benchmark to measure a proxy's memory per idle client: a libpq or psycopg client
would cost far more memory on the measuring side than the sessions cost the proxy. Speaks just
enough of protocol v3: StartupMessage, cleartext / MD5 / SCRAM-SHA-256 authentication, one
simple Query (so that a pooler in session mode really binds a server connection to the client),
then nothing until the sessions are closed with Terminate.

As a module: open_sessions(...) / close_sessions(...). As a script it opens N sessions, prints
how long that took and the VmRSS of --pid before and after, and waits --hold seconds.
"""

import argparse
import concurrent.futures
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgwire_codec import (  # noqa: E402
    AUTH_CLEARTEXT, AUTH_MD5, AUTH_OK, AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL,
    ScramClient, auth_type, parse_fields, password_response, startup_packet, terminate,
)
from pgwire_codec import query as query_message  # noqa: E402


class PgError(Exception):
    pass


def _recv_exact(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise PgError("server closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_message(sock):
    header = _recv_exact(sock, 5)
    kind = header[:1]
    (length,) = struct.unpack("!i", header[1:])
    if length < 4 or length > (1 << 24):
        raise PgError(f"bad message length {length}")
    return kind, _recv_exact(sock, length - 4)


def _error_text(body):
    fields = parse_fields(body)
    return f"{fields.get('S', 'ERROR')} {fields.get('C', '')}: {fields.get('M', '')}"


def _scram(sock, password, body):
    mechanisms = [m for m in body.split(b"\0") if m]
    if b"SCRAM-SHA-256" not in mechanisms:
        raise PgError(f"no supported SASL mechanism in {mechanisms}")
    scram = ScramClient(password)
    sock.sendall(scram.initial_response())
    kind, body = _read_message(sock)
    if kind == b"E":
        raise PgError(_error_text(body))
    if kind != b"R" or auth_type(body) != AUTH_SASL_CONTINUE:
        raise PgError("expected SASLContinue")
    server_first = body[4:].decode()
    if not scram.nonce_extended(server_first):
        raise PgError("server nonce does not extend ours")
    sock.sendall(scram.final_response(server_first))
    kind, body = _read_message(sock)
    if kind == b"E":
        raise PgError(_error_text(body))
    if kind != b"R" or auth_type(body) != AUTH_SASL_FINAL:
        raise PgError("expected SASLFinal")


def _wait_ready(sock):
    while True:
        kind, body = _read_message(sock)
        if kind == b"Z":
            return
        if kind == b"E":
            raise PgError(_error_text(body))


def open_session(host, port, user, password, database, application_name, timeout=30.0,
                 query="SELECT 1"):
    """Returns a connected socket that is logged in and idle (after `query`, if any)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall(startup_packet([("user", user), ("database", database),
                                     ("application_name", application_name)]))
        while True:
            kind, body = _read_message(sock)
            if kind == b"E":
                raise PgError(_error_text(body))
            if kind != b"R":
                raise PgError(f"unexpected message {kind!r} during authentication")
            code = auth_type(body)
            if code == AUTH_OK:
                break
            if code in (AUTH_CLEARTEXT, AUTH_MD5):
                sock.sendall(password_response(user, password, body))
            elif code == AUTH_SASL:
                _scram(sock, password, body[4:])
            else:
                raise PgError(f"unsupported authentication request {code}")
        _wait_ready(sock)
        if query:
            sock.sendall(query_message(query))
            _wait_ready(sock)
        sock.settimeout(None)
        return sock
    except BaseException:
        sock.close()
        raise


def open_sessions(n, host, port, user, password, database, application_name="bench_idle",
                  workers=8, deadline_s=120.0):
    """Opens n sessions with a few logins in flight at once. Returns (sockets, errors)."""
    sockets, errors = [], []
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(open_session, host, port, user, password, database, application_name)
                   for _ in range(n)]
        for f in futures:
            remaining = max(0.1, deadline_s - (time.monotonic() - start))
            try:
                sockets.append(f.result(timeout=remaining))
            except Exception as e:  # keep counting: one refused login should not hide the rest
                errors.append(str(e) or type(e).__name__)
    return sockets, errors


def close_sessions(sockets):
    for s in sockets:
        try:
            s.sendall(terminate())
        except OSError:
            pass
        s.close()


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="etl")
    ap.add_argument("--password", default=os.environ.get("PGPASSWORD", "etl-dev-pw"))
    ap.add_argument("--database", default="bench")
    ap.add_argument("-n", "--clients", type=int, default=100)
    ap.add_argument("--pid", type=int, help="process whose VmRSS to report before and after")
    ap.add_argument("--hold", type=float, default=0.0, help="seconds to keep the sessions open")
    args = ap.parse_args()
    before = vm_rss_kib(args.pid) if args.pid else None
    t0 = time.monotonic()
    socks, errors = open_sessions(args.clients, args.host, args.port, args.user, args.password,
                                  args.database)
    print(f"opened {len(socks)} sessions in {time.monotonic() - t0:.2f} s, {len(errors)} errors")
    for e in sorted(set(errors))[:5]:
        print("  error:", e)
    if args.pid:
        time.sleep(1.0)
        after = vm_rss_kib(args.pid)
        per = (after - before) / len(socks) if socks else float("nan")
        print(f"pid {args.pid} VmRSS {before} -> {after} KiB, {per:.1f} KiB per session")
    time.sleep(args.hold)
    close_sessions(socks)
    return 0 if socks and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

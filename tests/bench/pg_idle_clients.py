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
import base64
import concurrent.futures
import hashlib
import hmac
import os
import socket
import struct
import sys
import time


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


def _send(sock, kind, body):
    sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)


def _error_text(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[part[:1].decode()] = part[1:].decode(errors="replace")
    return f"{fields.get('S', 'ERROR')} {fields.get('C', '')}: {fields.get('M', '')}"


def _scram(sock, user, password, body):
    mechanisms = [m for m in body.split(b"\0") if m]
    if b"SCRAM-SHA-256" not in mechanisms:
        raise PgError(f"no supported SASL mechanism in {mechanisms}")
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n=,r={nonce}"
    first = ("n,," + first_bare).encode()
    _send(sock, b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
    kind, body = _read_message(sock)
    if kind == b"E":
        raise PgError(_error_text(body))
    if kind != b"R" or struct.unpack("!i", body[:4])[0] != 11:
        raise PgError("expected SASLContinue")
    server_first = body[4:].decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    if not attrs["r"].startswith(nonce):
        raise PgError("server nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.digest(stored_key, auth_message, "sha256")
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    _send(sock, b"p", (without_proof + ",p=" + base64.b64encode(proof).decode()).encode())
    kind, body = _read_message(sock)
    if kind == b"E":
        raise PgError(_error_text(body))
    if kind != b"R" or struct.unpack("!i", body[:4])[0] != 12:
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
        params = (b"user\0" + user.encode() + b"\0database\0" + database.encode() +
                  b"\0application_name\0" + application_name.encode() + b"\0\0")
        body = struct.pack("!i", 196608) + params
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        while True:
            kind, body = _read_message(sock)
            if kind == b"E":
                raise PgError(_error_text(body))
            if kind != b"R":
                raise PgError(f"unexpected message {kind!r} during authentication")
            (code,) = struct.unpack("!i", body[:4])
            if code == 0:
                break
            if code == 3:
                _send(sock, b"p", password.encode() + b"\0")
            elif code == 5:
                inner = hashlib.md5((password + user).encode()).hexdigest()
                outer = hashlib.md5(inner.encode() + body[4:8]).hexdigest()
                _send(sock, b"p", b"md5" + outer.encode() + b"\0")
            elif code == 10:
                _scram(sock, user, password, body[4:])
            else:
                raise PgError(f"unsupported authentication request {code}")
        _wait_ready(sock)
        if query:
            _send(sock, b"Q", query.encode() + b"\0")
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
            s.sendall(b"X\0\0\0\4")
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

"""Shared helpers for the robustness suite: PostgreSQL v3 wire messages built by hand (from
tests/lib/pgwire_codec.py, re-exported), a raw client socket that keeps every byte it received,
SCRAM-SHA-256 (the server half here, the client half from the codec), a private blueshift
process, and the environment checks every test starts with.

Python standard library only. Everything listens on and connects to 127.0.0.1.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

# The wire pieces are shared with the other suites (tests/lib/pgwire_codec.py) and re-exported
# here, so that a test says w.msg(...) whichever module a piece lives in.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from pgwire_codec import (  # noqa: E402,F401
    AUTH_CLEARTEXT, AUTH_MD5, AUTH_OK, AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL,
    CANCEL_REQUEST, GSSENC_REQUEST, PROTOCOL_3_0, SSL_REQUEST,
    auth, auth_type, backend_key_data, cancel_request, command_complete, cstr, data_row,
    decode_data_row, error_response, gssenc_request, hmac_sha256, i16, i32, msg,
    parameter_status, parse_fields, password_response, query, ready_for_query, scram_attrs,
    scram_keys, sha256, split_messages, ssl_request, startup_packet, terminate, u32, xor_bytes,
)
import pgwire_codec  # noqa: E402

HOST = "127.0.0.1"

# ctest treats this exit code as "skipped" (SKIP_RETURN_CODE in CMakeLists.txt).
SKIP = 77

# How long a wait for an expected reply may take before it counts as a hang. Not a latency
# bound (tests assert those explicitly): generous, because the suite shares a small machine.
WAIT = float(os.environ.get("BLUESHIFT_ROBUST_WAIT", "10"))


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


# ------------------------------------------------------------------ SCRAM-SHA-256

class ScramClient(pgwire_codec.ScramClient):
    """The shared client half, failing the test when the server nonce does not extend ours."""

    def client_final(self, server_first):
        check(self.nonce_extended(server_first), "SCRAM server nonce does not extend the client's")
        return super().client_final(server_first)


class ScramServer:
    """Server half, for the scripted upstream: checks the client's proof against password."""

    def __init__(self, password, salt=b"robust-salt-0001", iterations=4096):
        self.password = password
        self.salt = salt
        self.iterations = iterations
        self.server_first = None
        self.client_first_bare = None

    def first(self, initial_response_body):
        """initial_response_body: SASLInitialResponse body. Returns the server-first text."""
        nul = initial_response_body.index(b"\0")
        mechanism = initial_response_body[:nul].decode()
        length = struct.unpack("!i", initial_response_body[nul + 1:nul + 5])[0]
        data = initial_response_body[nul + 5:nul + 5 + length].decode()
        check(data.startswith("n,,"), f"client asked for channel binding: {data!r}")
        self.client_first_bare = data[3:]
        client_nonce = scram_attrs(self.client_first_bare)["r"]
        self.server_first = (f"r={client_nonce}{base64.b64encode(os.urandom(18)).decode()},"
                             f"s={base64.b64encode(self.salt).decode()},i={self.iterations}")
        return mechanism, self.server_first

    def final(self, client_final):
        """Returns the server-final text, or None when the proof is wrong."""
        without_proof, proof_b64 = client_final.rsplit(",p=", 1)
        client_key, stored_key, server_key = scram_keys(self.password, self.salt, self.iterations)
        auth_message = ",".join([self.client_first_bare, self.server_first, without_proof]).encode()
        recovered = xor_bytes(base64.b64decode(proof_b64), hmac_sha256(stored_key, auth_message))
        if sha256(recovered) != stored_key:
            return None
        return "v=" + base64.b64encode(hmac_sha256(server_key, auth_message)).decode()


# ------------------------------------------------------------------ raw client

class Client:
    """A raw protocol client. Every byte received is kept in .received, in order."""

    def __init__(self, port, timeout=WAIT, source=None):
        """source: the local address to connect from (any 127.x.y.z on Linux loopback), so
        that a test can be several client addresses at once."""
        self.sock = socket.create_connection((HOST, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.local_port = self.sock.getsockname()[1]  # names this client in the proxy's log
        self.buf = bytearray()
        self.received = bytearray()
        self.eof = False
        self.backend_key = None
        self.parameters = {}

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TestFailure(f"timed out waiting for the proxy (client port {self.local_port})")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise TestFailure(f"timed out waiting for the proxy (client port {self.local_port})") from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        self.received += chunk
        return True

    def read_bytes(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise TestFailure(f"connection closed after {len(self.buf)} of {n} bytes")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_msg(self, timeout=WAIT):
        """(code, body, raw) of the next message, or None at end of stream."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 5:
                length = struct.unpack("!i", self.buf[1:5])[0]
                check(length >= 4, f"proxy sent a message with invalid length {length}: {bytes(self.buf[:16])!r}")
                if len(self.buf) >= 1 + length:
                    raw = bytes(self.buf[:1 + length])
                    del self.buf[:1 + length]
                    return chr(raw[0]), raw[5:], raw
            if not self._fill(deadline):
                check(not self.buf, f"connection closed inside a message: {bytes(self.buf[:32])!r}")
                return None

    def read_until(self, codes, timeout=WAIT):
        """Messages up to and including the first whose code is in codes (or None at EOF)."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            m = self.read_msg(max(0.01, deadline - time.monotonic()))
            out.append(m)
            if m is None or m[0] in codes:
                return out

    def wait_closed(self, timeout=WAIT):
        """Reads until end of stream; returns the messages that came before it."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            m = self.read_msg(max(0.01, deadline - time.monotonic()))
            if m is None:
                return out
            out.append(m)

    def read_to_eof(self, timeout=WAIT):
        """Raw bytes (unframed) until the proxy closes; fails if it does not within timeout."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def expect_error(self, sqlstate, timeout=WAIT, severity=None):
        """Reads until an ErrorResponse; checks its SQLSTATE; returns its fields."""
        msgs = self.read_until("E", timeout)
        last = msgs[-1]
        check(last is not None, f"expected ErrorResponse {sqlstate}, connection closed after {[m[0] for m in msgs[:-1]]}")
        fields = parse_fields(last[1])
        check(fields.get("C") == sqlstate, f"expected SQLSTATE {sqlstate}, got {fields}")
        if severity:
            check(fields.get("V", fields.get("S")) == severity, f"expected severity {severity}, got {fields}")
        return fields

    def simple_query(self, sql, timeout=WAIT):
        """Runs sql; returns (rows as lists of str/None, command tags, error fields or None)."""
        self.send(query(sql))
        rows, tags, error = [], [], None
        for code, body, _ in self.read_until("Z", timeout)[:-1] or []:
            if code == "D":
                rows.append(decode_data_row(body))
            elif code == "C":
                tags.append(body[:-1].decode())
            elif code == "E":
                error = parse_fields(body)
        return rows, tags, error

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def send_in_background(client, data):
    """Sends data from a thread: the proxy may stop reading, refuse the message and close midway."""
    def run():
        try:
            client.sock.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def login(client, user, password, database="dev", extra=(), timeout=WAIT):
    """Startup and authentication (SCRAM-SHA-256, MD5, cleartext or none) up to ReadyForQuery.
    Returns None on success, else the ErrorResponse fields."""
    params = [("user", user), ("database", database)] + list(extra)
    client.send(startup_packet(params))
    scram = None
    deadline = time.monotonic() + timeout
    while True:
        m = client.read_msg(max(0.01, deadline - time.monotonic()))
        check(m is not None, "connection closed during login")
        code, body, _ = m
        if code == "E":
            return parse_fields(body)
        if code == "R":
            kind = auth_type(body)
            if kind == AUTH_OK:
                continue
            if kind in (AUTH_CLEARTEXT, AUTH_MD5):
                client.send(password_response(user, password, body))
            elif kind == AUTH_SASL:
                mechanisms = [m for m in body[4:].split(b"\0") if m]
                check(b"SCRAM-SHA-256" in mechanisms, f"no SCRAM-SHA-256 among {mechanisms}")
                scram = ScramClient(password)
                client.send(scram.initial_response())
            elif kind == AUTH_SASL_CONTINUE:
                client.send(scram.final_response(body[4:].decode()))
            elif kind == AUTH_SASL_FINAL:
                check(scram.server_final_ok(body[4:].decode()), "SCRAM server signature mismatch")
            else:
                raise TestFailure(f"unexpected authentication request {kind}")
        elif code == "K":
            client.backend_key = struct.unpack("!ii", body)
        elif code == "S":
            name, value = body.split(b"\0")[:2]
            client.parameters[name.decode()] = value.decode()
        elif code == "Z":
            return None


# ------------------------------------------------------------------ environment

def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition, what):
    """Missing environment: skip locally, fail under CI."""
    if condition:
        return
    if in_ci():
        print(f"FAIL: {what} (required when CI=true)")
        sys.exit(1)
    print(f"SKIP: {what}")
    sys.exit(SKIP)


def blueshift_bin():
    path = os.environ.get("BLUESHIFT_BIN", "")
    require(path and os.access(path, os.X_OK), "BLUESHIFT_BIN is not set to an executable blueshift binary")
    return path


def warehouse_port():
    port = int(os.environ.get("BLUESHIFT_DEV_PORT", "5440"))
    try:
        socket.create_connection((HOST, port), timeout=2).close()
        ok = True
    except OSError:
        ok = False
    require(ok, f"the dev warehouse is not reachable on {HOST}:{port} (BLUESHIFT_DEV_PORT)")
    return port


ANALYST = ("analyst", "analyst-dev-pw")  # SCRAM-SHA-256 in the dev warehouse
ETL = ("etl", "etl-dev-pw")              # MD5 in the dev warehouse


def port_is_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def wait_port_free(port, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not port_is_free(port):
        check(time.monotonic() < deadline, f"port {port} is in use by another process")
        time.sleep(0.1)


# ------------------------------------------------------------------ a private proxy

class Proxy:
    """A blueshift process of its own, with its log in a temporary file."""

    def __init__(self, listen_port, upstream_port, config=None, log_level="info", extra_args=()):
        self.port = listen_port
        self.dir = tempfile.mkdtemp(prefix="blueshift-robust-")
        self.log_path = os.path.join(self.dir, "proxy.log")
        args = [blueshift_bin(), "--listen", f"{HOST}:{listen_port}", "--upstream", f"{HOST}:{upstream_port}",
                "--log-level", log_level, *extra_args]
        if config is not None:
            path = os.path.join(self.dir, "config.yaml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        wait_port_free(listen_port)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise TestFailure(f"blueshift exited with {self.proc.returncode} at start-up:\n{self.log_text()}")
            try:
                socket.create_connection((HOST, listen_port), timeout=0.5).close()
                break
            except OSError:
                check(time.monotonic() < deadline, f"blueshift did not listen on {listen_port} within 10 s")
                time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def log_text(self):
        try:
            self.log.flush()
        except ValueError:
            pass
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def psql_ok(port, user=ANALYST, sql="select 41 + 1"):
    """psql through the proxy; returns its output or raises."""
    psql = shutil.which("psql")
    check(psql is not None, "psql is not installed")
    env = dict(os.environ, PGPASSWORD=user[1], PGCONNECT_TIMEOUT="5")
    out = subprocess.run([psql, f"host={HOST} port={port} user={user[0]} dbname=dev sslmode=disable",
                          "-X", "-At", "-c", sql], env=env, capture_output=True, text=True, timeout=20)
    check(out.returncode == 0, f"psql through the proxy failed: {out.stderr.strip()}")
    return out.stdout.strip()


# ------------------------------------------------------------------ running a test

def run(tests, argv):
    """tests: {name: function(context)}; argv: [name]. Each function gets a list to which it
    appends cleanup callables (run in reverse order, also on failure)."""
    if len(argv) != 1 or argv[0] not in tests:
        print(f"usage: {sys.argv[0]} {{{'|'.join(sorted(tests))}}}")
        return 2
    name = argv[0]
    cleanups = []
    proxies = []

    def track(proxy):
        proxies.append(proxy)
        cleanups.append(proxy.stop)
        return proxy

    started = time.monotonic()
    status = 0
    try:
        tests[name](track, cleanups)
        print(f"PASS: {name} ({time.monotonic() - started:.1f} s)")
    except TestFailure as e:
        print(f"FAIL: {name}: {e}")
        status = 1
    except Exception as e:  # a crash of the test itself is a failure too, with its traceback
        import traceback
        traceback.print_exc()
        print(f"FAIL: {name}: {type(e).__name__}: {e}")
        status = 1
    finally:
        for fn in reversed(cleanups):
            try:
                fn()
            except Exception as e:  # keep cleaning up
                print(f"cleanup error: {e}")
        for p in proxies:
            if status:
                print(f"---- blueshift log ({p.log_path}) ----")
                print(p.log_text()[-6000:])
            p.cleanup()
    return status

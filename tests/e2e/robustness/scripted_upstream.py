"""A scripted PostgreSQL-v3 upstream for the robustness suite: a tiny server on 127.0.0.1 that
reads each startup packet and answers with bytes chosen by a scenario, so tests can play a
Redshift server (AUTH_REQ_DIGEST, AUTH_REQ_IDP, extended RowDescription), offer SASL mechanisms,
die in the middle of a result or a COPY, or send malformed frames. Everything it receives and
sends is recorded per connection so a test can check the proxy relayed bytes unchanged.

Used in-process by scripted_tests.py; also runnable by hand:
    python3 scripted_upstream.py --port 6601 --scenario redshift
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import struct
import threading
import time

import pgwire as w


class UpstreamConn:
    """One accepted connection, with a transcript of what crossed it."""

    def __init__(self, sock, index):
        self.sock = sock
        self.index = index
        self.buf = bytearray()
        self.received = []   # raw frames received, startup packet first
        self.sent = bytearray()
        self.startup_version = None
        self.startup_params = []
        self.events = []     # (monotonic time, text)
        self.closed_at = None

    def note(self, text):
        self.events.append((time.monotonic(), text))

    def params(self):
        return dict(self.startup_params)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 16)
        except (socket.timeout, ConnectionResetError, OSError):
            return False
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_startup(self, timeout=5.0):
        """Reads startup packets, answering SSL/GSS requests with 'N'; returns the StartupMessage
        parameters as [(name, value)], or None if the peer went away."""
        while True:
            while len(self.buf) < 4 or len(self.buf) < struct.unpack("!i", self.buf[:4])[0]:
                if not self._fill(timeout):
                    return None
            length = struct.unpack("!i", self.buf[:4])[0]
            raw = bytes(self.buf[:length])
            del self.buf[:length]
            self.received.append(raw)
            code = struct.unpack("!i", raw[4:8])[0]
            if code in (w.SSL_REQUEST, w.GSSENC_REQUEST):
                self.send(b"N")
                continue
            self.startup_version = code
            parts = raw[8:].split(b"\0")
            self.startup_params = [(parts[i].decode(), parts[i + 1].decode()) for i in range(0, len(parts) - 2, 2)
                                   if parts[i]]
            return self.startup_params

    def read_msg(self, timeout=5.0):
        """(code, body, raw) or None when the peer closed (or nothing came within timeout)."""
        while True:
            if len(self.buf) >= 5:
                length = struct.unpack("!i", self.buf[1:5])[0]
                if len(self.buf) >= 1 + length:
                    raw = bytes(self.buf[:1 + length])
                    del self.buf[:1 + length]
                    self.received.append(raw)
                    return chr(raw[0]), raw[5:], raw
            if not self._fill(timeout):
                return None

    def send(self, data):
        self.sent += data
        self.sock.sendall(data)

    def close(self):
        """Orderly close (FIN)."""
        self.closed_at = time.monotonic()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def reset(self):
        """Abortive close: SO_LINGER 0 makes close() send RST."""
        self.closed_at = time.monotonic()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class ScriptedUpstream:
    """Accepts connections on 127.0.0.1:port; each runs handler(conn) in its own thread."""

    def __init__(self, port, handler):
        self.port = port
        self.handler = handler
        self.connections = []
        self.errors = []
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((w.HOST, port))
        self.listener.listen(64)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self.stopping:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                conn = UpstreamConn(sock, len(self.connections))
                self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.handler(conn)
        except Exception as e:  # recorded, so the test reports what the scenario tripped on
            self.errors.append(f"connection {conn.index}: {type(e).__name__}: {e}")
        finally:
            try:
                conn.sock.close()
            except OSError:
                pass

    def wait_connections(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.connections) < n:
            w.check(time.monotonic() < deadline, f"the upstream saw {len(self.connections)} connections, expected {n}")
            time.sleep(0.01)

    def stop(self):
        self.stopping = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        except OSError:
            pass
        self.listener.close()
        self.thread.join(2)
        for c in list(self.connections):
            try:
                c.sock.close()
            except OSError:
                pass


# ------------------------------------------------------------------ building blocks

SERVER_PARAMS = [("server_version", "8.0.2"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
                 ("TimeZone", "UTC"), ("integer_datetimes", "on"), ("standard_conforming_strings", "on")]


def start(track, cleanups, base, handler, **proxy_args):
    """A scripted upstream on base + 1 serving handler, behind a private blueshift on base
    (proxy_args: pgwire.Proxy's config, log_level). Returns (upstream, proxy)."""
    w.wait_port_free(base + 1)
    upstream = ScriptedUpstream(base + 1, handler)
    cleanups.append(upstream.stop)
    proxy = track(w.Proxy(base, base + 1, **proxy_args))
    return upstream, proxy


def login_ok(conn, extra_params=(), key=(4242, 0x5EC2E7)):
    """AuthenticationOk, ParameterStatus..., BackendKeyData, ReadyForQuery."""
    out = w.auth(0)
    for name, value in list(SERVER_PARAMS) + list(extra_params):
        out += w.parameter_status(name, value)
    out += w.backend_key_data(*key) + w.ready_for_query("I")
    conn.send(out)


def simple_result(value="1"):
    """What `select 1` returns: RowDescription (int4), DataRow, CommandComplete."""
    field = w.cstr("?column?") + w.i32(0) + w.i16(0) + w.i32(23) + w.i16(4) + w.i32(-1) + w.i16(0)
    return w.msg("T", w.i16(1) + field) + w.data_row([value]) + w.command_complete("SELECT 1")


def serve_queries(conn, on_query=None):
    """Answers simple queries until Terminate or close. on_query(sql) returns the reply bytes
    (ReadyForQuery is appended), or None to end the connection (the callback closed it)."""
    while True:
        m = conn.read_msg(timeout=30)
        if m is None or m[0] == "X":
            conn.note("peer closed" if m is None else "terminate")
            return
        code, body, _ = m
        if code == "Q":
            sql = body[:-1].decode(errors="replace")
            conn.note(f"query {sql[:60]!r}")
            reply = on_query(sql) if on_query else simple_result()
            if reply is None:
                return
            conn.send(reply + w.ready_for_query("I"))
        elif code == "S":
            conn.send(w.ready_for_query("I"))


# ------------------------------------------------------------------ scenarios

def redshift_digest(password, salt, server_nonce):
    """AUTH_REQ_DIGEST (13): Int32 algorithm 0 (SHA-256), Int32 salt length, salt, Int32
    server-nonce length, server nonce. The client answers 'd': Int32 digest length, digest,
    Int32 client-nonce length, client nonce, where digest =
    SHA256(SHA256(password + salt) + server_nonce + client_nonce) (the AWS drivers'
    ExtensibleDigest.encode)."""
    def handler(conn):
        if conn.read_startup() is None:
            return
        conn.send(w.auth(13, w.i32(0) + w.i32(len(salt)) + salt + w.i32(len(server_nonce)) + server_nonce))
        m = conn.read_msg()
        if m is None:
            return
        code, body, _ = m
        ok = False
        if code == "d" and len(body) >= 8:
            n = struct.unpack("!i", body[:4])[0]
            digest = body[4:4 + n]
            m2 = struct.unpack("!i", body[4 + n:8 + n])[0]
            client_nonce = body[8 + n:8 + n + m2]
            expected = hashlib.sha256(hashlib.sha256(password + salt).digest() + server_nonce + client_nonce).digest()
            ok = digest == expected and 8 + n + m2 == len(body)
        conn.note(f"digest {'accepted' if ok else 'rejected'}")
        if not ok:
            conn.send(w.error_response("FATAL", "28P01", "password authentication failed"))
            return
        login_ok(conn, [("server_protocol_version", "2")])
        serve_queries(conn)
    return handler


def redshift_idp(token):
    """AUTH_REQ_IDP (14), no payload; the client answers 'i' with the token (JDBC appends a
    NUL, the Python driver does not)."""
    def handler(conn):
        if conn.read_startup() is None:
            return
        conn.send(w.auth(14))
        m = conn.read_msg()
        if m is None:
            return
        code, body, _ = m
        ok = code == "i" and body in (token, token + b"\0")
        conn.note(f"token {'accepted' if ok else 'rejected'}")
        if not ok:
            conn.send(w.error_response("FATAL", "28000", "invalid identity token"))
            return
        login_ok(conn, [("server_protocol_version", "2")])
        serve_queries(conn)
    return handler


def redshift_session(replies):
    """No password; reports server_protocol_version=2 and answers the first simple query
    with replies['simple'] and the first extended batch (up to Sync) with replies['extended']
    (ReadyForQuery appended to both)."""
    def handler(conn):
        if conn.read_startup() is None:
            return
        login_ok(conn, [("server_protocol_version", "2")])
        while True:
            m = conn.read_msg(timeout=30)
            if m is None or m[0] == "X":
                return
            if m[0] == "Q":
                conn.send(replies["simple"] + w.ready_for_query("I"))
            elif m[0] == "S":
                conn.send(replies["extended"] + w.ready_for_query("I"))
    return handler


def scram(password, mechanisms):
    """AuthenticationSASL offering mechanisms, then a real SCRAM-SHA-256 exchange."""
    def handler(conn):
        if conn.read_startup() is None:
            return
        conn.send(w.auth(10, b"".join(w.cstr(m) for m in mechanisms) + b"\0"))
        m = conn.read_msg()
        if m is None:
            return
        server = w.ScramServer(password)
        mechanism, server_first = server.first(m[1])
        conn.note(f"mechanism {mechanism}")
        conn.send(w.auth(11, server_first.encode()))
        m = conn.read_msg()
        if m is None:
            return
        server_final = server.final(m[1].decode())
        if server_final is None:
            conn.send(w.error_response("FATAL", "28P01", "password authentication failed"))
            return
        conn.send(w.auth(12, server_final.encode()))
        login_ok(conn)
        serve_queries(conn)
    return handler


def _rows(n, width=40):
    return b"".join(w.data_row([str(i), "x" * width]) for i in range(n))


TWO_COLUMNS = w.msg("T", w.i16(2)
                    + w.cstr("id") + w.i32(0) + w.i16(0) + w.i32(23) + w.i16(4) + w.i32(-1) + w.i16(0)
                    + w.cstr("pad") + w.i32(0) + w.i16(0) + w.i32(25) + w.i16(-1) + w.i32(-1) + w.i16(0))


def misbehaving(linger=0.3):
    """Behaviour per session, chosen by the client's application_name:
      normal          answers queries with `select 1`
      die:close       on a query: RowDescription + 3 DataRows, then FIN
      die:reset       same, then RST (SO_LINGER 0)
      die:partial     same, then half of a DataRow, then FIN
      die:stream      same, then 100 KB of a 200 KB DataRow (streamed by the proxy), then FIN
      die:auth        FIN right after the startup packet (during login)
      copy:close      on a query: CopyInResponse, read some CopyData, then FIN
      copy:reset      same, then RST
      garbage:len2    on a query: 'D' with length 2
      garbage:neg     on a query: 'D' with length -1
      garbage:huge    on a query: 'D' with length 0x7ffffff0 (over the proxy's 1 GiB ceiling)
      garbage:auth    instead of an authentication request: 'R' with length 2
      garbage:authshort  'R' with a 2-byte body (no Int32 auth type)
      big:result      on a query: rows (1 KB each) until the peer goes away (at most 64 MB)
      odd:framed      well-framed but odd messages: empty 'Z', 'S' without NUL, empty 'E',
                      unknown code '~', then a normal result
    linger: seconds to wait after the good bytes before dying, so they reach the client first."""
    def handler(conn):
        params = conn.read_startup()
        if params is None:
            return
        mode = conn.params().get("application_name", "normal")
        conn.note(f"mode {mode}")
        if mode == "die:auth":
            conn.close()
            return
        if mode == "garbage:auth":
            conn.send(b"R" + w.i32(2))
            time.sleep(linger)
            conn.close()
            return
        if mode == "garbage:authshort":
            conn.send(w.msg("R", b"\0\0"))
            time.sleep(linger)
            conn.close()
            return
        login_ok(conn)

        def on_query(sql):
            if mode.startswith("die:"):
                conn.send(TWO_COLUMNS + _rows(3))
                time.sleep(linger)
                if mode == "die:partial":
                    row = w.data_row(["99", "y" * 200])
                    conn.send(row[:len(row) // 2])
                    time.sleep(0.1)
                elif mode == "die:stream":
                    row = w.data_row(["99", "z" * 200_000])
                    conn.send(row[:100_000])
                    time.sleep(0.1)
                conn.note("dying")
                conn.reset() if mode == "die:reset" else conn.close()
                return None
            if mode.startswith("copy:"):
                conn.send(w.msg("G", b"\0" + w.i16(1) + w.i16(0)))
                got = 0
                deadline = time.monotonic() + 2
                while got < 64 * 1024 and time.monotonic() < deadline:
                    m = conn.read_msg(timeout=2)
                    if m is None:
                        break
                    if m[0] == "d":
                        got += len(m[1])
                conn.note(f"dying after {got} bytes of COPY data")
                conn.reset() if mode == "copy:reset" else conn.close()
                return None
            if mode == "big:result":
                conn.send(TWO_COLUMNS)
                batch = _rows(64, width=1000)
                for _ in range(1000):
                    try:
                        conn.send(batch)
                    except OSError:
                        conn.note("peer closed")
                        return None
                return w.command_complete("SELECT 64000")
            if mode == "garbage:len2":
                conn.send(TWO_COLUMNS + b"D" + w.i32(2))
            elif mode == "garbage:neg":
                conn.send(TWO_COLUMNS + b"D" + w.u32(0xFFFFFFFF))
            elif mode == "garbage:huge":
                conn.send(TWO_COLUMNS + b"D" + w.i32(0x7FFFFFF0) + b"\0" * 64)
            elif mode == "odd:framed":
                return (w.msg("Z") + w.msg("S", b"no-terminator") + w.msg("E") + w.msg("~", b"?")
                        + simple_result("7"))
            else:
                return simple_result()
            time.sleep(linger + 2)  # give the proxy time to react before this side closes
            conn.close()
            return None

        serve_queries(conn, on_query)
    return handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", choices=["digest", "idp", "scram", "misbehaving"], default="misbehaving")
    parser.add_argument("--password", default="pw")
    args = parser.parse_args()
    handler = {
        "digest": lambda: redshift_digest(args.password.encode(), b"salt1234", b"server-nonce"),
        "idp": lambda: redshift_idp(b"token"),
        "scram": lambda: scram(args.password, ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]),
        "misbehaving": lambda: misbehaving(),
    }[args.scenario]()
    server = ScriptedUpstream(args.port, handler)
    print(f"scripted upstream ({args.scenario}) on {w.HOST}:{args.port}; Ctrl-C to stop")
    try:
        while True:
            time.sleep(1)
            for e in server.errors:
                print(e)
            server.errors.clear()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

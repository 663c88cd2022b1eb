"""A minimal PostgreSQL v3 wire client for tests that need to see raw messages: every field
of an ErrorResponse, the BackendKeyData a client receives, hand-made CancelRequests.
Supports cleartext, MD5 and SCRAM-SHA-256 (without channel binding) authentication and the
simple query protocol. Not a driver: it trusts the peer and raises on anything unexpected.
"""
import base64
import hashlib
import hmac
import os
import socket
import struct
import time

PROTOCOL_3 = 196608
CANCEL_CODE = 80877102


class ServerError(Exception):
    def __init__(self, fields):
        super().__init__(f"{fields.get('S')} {fields.get('C')}: {fields.get('M')}")
        self.fields = fields


def parse_fields(body):
    """ErrorResponse/NoticeResponse body -> {code letter: value}."""
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


class Session:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.parameters = {}
        self.key = None  # (process id, secret key) from BackendKeyData
        self.notices = []

    def close(self):
        try:
            self.sock.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        self.sock.close()

    # -- framing
    def send(self, code, body=b""):
        self.sock.sendall(code + struct.pack("!I", len(body) + 4) + body)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by peer")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_message(self):
        head = self._read(5)
        code, length = head[:1], struct.unpack("!I", head[1:])[0]
        return code, self._read(length - 4)

    # -- login
    def startup(self, user, database, password, **params):
        """Logs in; returns None, or the fields of the ErrorResponse that refused the login."""
        body = struct.pack("!I", PROTOCOL_3)
        for k, v in {"user": user, "database": database, **params}.items():
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        scram = None
        while True:
            code, body = self.read_message()
            if code == b"E":
                return parse_fields(body)
            if code == b"R":
                kind = struct.unpack("!I", body[:4])[0]
                if kind == 0:
                    continue
                if kind == 3:  # cleartext
                    self.send(b"p", password.encode() + b"\0")
                elif kind == 5:  # md5
                    salt = body[4:8]
                    inner = hashlib.md5(password.encode() + user.encode()).hexdigest().encode()
                    self.send(b"p", b"md5" + hashlib.md5(inner + salt).hexdigest().encode() + b"\0")
                elif kind == 10:  # SASL: mechanism list
                    mechanisms = [m.decode() for m in body[4:].split(b"\0") if m]
                    self.sasl_mechanisms = mechanisms
                    if "SCRAM-SHA-256" not in mechanisms:
                        raise RuntimeError(f"no SCRAM-SHA-256 in {mechanisms}")
                    scram = Scram(password)
                    first = scram.client_first().encode()
                    self.send(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
                elif kind == 11:
                    self.send(b"p", scram.client_final(body[4:].decode()).encode())
                elif kind == 12:
                    scram.verify(body[4:].decode())
                else:
                    raise RuntimeError(f"unsupported authentication request {kind}")
            elif code == b"S":
                name, value = body.rstrip(b"\0").split(b"\0", 1)
                self.parameters[name.decode()] = value.decode()
            elif code == b"K":
                self.key = struct.unpack("!ii", body)
            elif code == b"N":
                self.notices.append(parse_fields(body))
            elif code == b"Z":
                return None
            else:
                raise RuntimeError(f"unexpected message {code!r} during login")

    # -- simple query
    def send_query(self, sql):
        self.send(b"Q", sql.encode() + b"\0")

    def read_result(self):
        """Reads up to ReadyForQuery: (rows, command tags, error fields or None)."""
        rows, tags, error = [], [], None
        while True:
            code, body = self.read_message()
            if code == b"D":
                n = struct.unpack("!H", body[:2])[0]
                pos, row = 2, []
                for _ in range(n):
                    length = struct.unpack("!i", body[pos:pos + 4])[0]
                    pos += 4
                    if length < 0:
                        row.append(None)
                    else:
                        row.append(body[pos:pos + length].decode())
                        pos += length
                rows.append(row)
            elif code == b"C":
                tags.append(body.rstrip(b"\0").decode())
            elif code == b"E":
                error = parse_fields(body)
            elif code == b"N":
                self.notices.append(parse_fields(body))
            elif code == b"Z":
                return rows, tags, error

    def query(self, sql):
        self.send_query(sql)
        return self.read_result()


class Scram:
    def __init__(self, password):
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()

    def client_first(self):
        self.first_bare = f"n=,r={self.nonce}"
        return "n,," + self.first_bare

    def client_final(self, server_first):
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        salt, iterations, nonce = base64.b64decode(attrs["s"]), int(attrs["i"]), attrs["r"]
        salted = hashlib.pbkdf2_hmac("sha256", self.password, salt, iterations)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={nonce}"
        self.auth_message = f"{self.first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored, self.auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        return f"{without_proof},p={base64.b64encode(proof).decode()}"

    def verify(self, server_final):
        expected = hmac.new(self.server_key, self.auth_message, "sha256").digest()
        if server_final != "v=" + base64.b64encode(expected).decode():
            raise RuntimeError("SCRAM server signature mismatch")


def send_cancel(port, pid, secret, host="127.0.0.1", wait=2.0):
    """Sends a CancelRequest and waits for the peer to close the connection."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(struct.pack("!IIii", 16, CANCEL_CODE, pid, secret))
        s.settimeout(wait)
        try:
            s.recv(1)
        except socket.timeout:
            pass
    time.sleep(0.01)

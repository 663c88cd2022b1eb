"""A minimal PostgreSQL v3 wire client for tests that need to see raw messages: every field
of an ErrorResponse, the BackendKeyData a client receives, hand-made CancelRequests.
Supports cleartext, MD5 and SCRAM-SHA-256 (without channel binding) authentication and the
simple query protocol. Not a driver: it trusts the peer and raises on anything unexpected.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from pgwire_codec import (  # noqa: E402,F401 (parse_fields: termination.py uses pgwire.parse_fields)
    AUTH_CLEARTEXT, AUTH_MD5, AUTH_OK, AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL,
    ScramClient, auth_type, cancel_request, decode_data_row, parse_fields,
    password_response, query, startup_packet, terminate,
)


class ServerError(Exception):
    def __init__(self, fields):
        super().__init__(f"{fields.get('S')} {fields.get('C')}: {fields.get('M')}")
        self.fields = fields


class Session:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.parameters = {}
        self.key = None  # (process id, secret key) from BackendKeyData
        self.notices = []
        self.notifications = []  # (process id, channel, payload) of each NotificationResponse

    def close(self):
        try:
            self.sock.sendall(terminate())
        except OSError:
            pass
        self.sock.close()

    # -- framing
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
        self.sock.sendall(startup_packet({"user": user, "database": database, **params}.items()))
        scram = None
        while True:
            code, body = self.read_message()
            if code == b"E":
                return parse_fields(body)
            if code == b"R":
                kind = auth_type(body)
                if kind == AUTH_OK:
                    continue
                if kind in (AUTH_CLEARTEXT, AUTH_MD5):
                    self.sock.sendall(password_response(user, password, body))
                elif kind == AUTH_SASL:  # mechanism list
                    mechanisms = [m.decode() for m in body[4:].split(b"\0") if m]
                    self.sasl_mechanisms = mechanisms
                    if "SCRAM-SHA-256" not in mechanisms:
                        raise RuntimeError(f"no SCRAM-SHA-256 in {mechanisms}")
                    scram = ScramClient(password)
                    self.sock.sendall(scram.initial_response())
                elif kind == AUTH_SASL_CONTINUE:
                    self.sock.sendall(scram.final_response(body[4:].decode()))
                elif kind == AUTH_SASL_FINAL:
                    if not scram.server_final_ok(body[4:].decode()):
                        raise RuntimeError("SCRAM server signature mismatch")
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
        self.sock.sendall(query(sql))

    def read_result(self):
        """Reads up to ReadyForQuery: (rows, command tags, error fields or None)."""
        rows, tags, error = [], [], None
        while True:
            code, body = self.read_message()
            if code == b"D":
                rows.append(decode_data_row(body))
            elif code == b"C":
                tags.append(body.rstrip(b"\0").decode())
            elif code == b"E":
                error = parse_fields(body)
            elif code == b"N":
                self.notices.append(parse_fields(body))
            elif code == b"A":
                channel, payload = body[4:].split(b"\0")[:2]
                self.notifications.append((struct.unpack("!i", body[:4])[0], channel.decode(), payload.decode()))
            elif code == b"Z":
                return rows, tags, error

    def query(self, sql):
        self.send_query(sql)
        return self.read_result()


def send_cancel(port, pid, secret, host="127.0.0.1", wait=2.0):
    """Sends a CancelRequest and waits for the peer to close the connection."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(cancel_request(pid, secret))
        s.settimeout(wait)
        try:
            s.recv(1)
        except socket.timeout:
            pass
    time.sleep(0.01)

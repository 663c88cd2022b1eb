"""PostgreSQL v3 wire pieces shared by the Python test helpers: message encoding and decoding,
ErrorResponse/NoticeResponse fields, the startup packet, MD5 password hashing and the client
half of SCRAM-SHA-256. Bytes in, bytes out: no sockets, no test framework, no exceptions of a
test suite's own, so each suite keeps its own way of reading a connection and of failing.

Used by tests/e2e/robustness/pgwire.py, tests/e2e/clients/pgwire.py,
tests/e2e/policies/harness.py and tests/bench/pg_idle_clients.py, which put this folder on
sys.path themselves (they are run as scripts from their own folders). Python standard library
only, so that both the pyenv python3 and Debian's /usr/bin/python3 can import it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102

# AuthenticationRequest codes ('R' messages) the clients here answer.
AUTH_OK = 0
AUTH_CLEARTEXT = 3
AUTH_MD5 = 5
AUTH_SASL = 10
AUTH_SASL_CONTINUE = 11
AUTH_SASL_FINAL = 12


# ------------------------------------------------------------------ encoding

def i16(v):
    return struct.pack("!h", v)


def i32(v):
    return struct.pack("!i", v)


def u32(v):
    return struct.pack("!I", v)


def cstr(s):
    if isinstance(s, str):
        s = s.encode()
    return s + b"\0"


def msg(code, body=b""):
    """A typed message: code byte, Int32 length (itself included), body."""
    if isinstance(code, str):
        code = code.encode()
    return code + i32(len(body) + 4) + body


def encode_values(vals):
    """Each value as Int32 length (-1 for NULL) and bytes, as Bind and DataRow carry them."""
    out = b""
    for v in vals:
        if v is None:
            out += i32(-1)
        else:
            v = v.encode() if isinstance(v, str) else v
            out += i32(len(v)) + v
    return out


def startup_packet(params, version=PROTOCOL_3_0):
    """params: (name, value) pairs, in the order they go on the wire."""
    body = i32(version) + b"".join(cstr(k) + cstr(v) for k, v in params) + b"\0"
    return i32(len(body) + 4) + body


def ssl_request():
    return i32(8) + i32(SSL_REQUEST)


def gssenc_request():
    return i32(8) + i32(GSSENC_REQUEST)


def cancel_request(pid, secret):
    return i32(16) + i32(CANCEL_REQUEST) + i32(pid) + i32(secret)


# Frontend messages.

def query(sql):
    return msg("Q", cstr(sql))


def terminate():
    return msg("X")


def password_message(password):
    """PasswordMessage: a cleartext password or an MD5 response (see md5_password)."""
    return msg("p", cstr(password))


def parse(name, sql, types=()):
    return msg("P", cstr(name) + cstr(sql) + i16(len(types)) + b"".join(u32(t) for t in types))


def bind(portal, statement, params=(), formats=(), result_formats=()):
    body = cstr(portal) + cstr(statement) + i16(len(formats)) + b"".join(i16(f) for f in formats)
    body += i16(len(params)) + encode_values(params)
    body += i16(len(result_formats)) + b"".join(i16(f) for f in result_formats)
    return msg("B", body)


def describe(kind, name):
    return msg("D", kind.encode() + cstr(name))


def execute(portal="", max_rows=0):
    return msg("E", cstr(portal) + i32(max_rows))


def close(kind, name):
    return msg("C", kind.encode() + cstr(name))


def sync():
    return msg("S")


def flush():
    return msg("H")


# Backend messages, for scripted servers.

def auth(type_, payload=b""):
    return msg("R", i32(type_) + payload)


def parameter_status(name, value):
    return msg("S", cstr(name) + cstr(value))


def backend_key_data(pid, secret):
    return msg("K", i32(pid) + i32(secret))


def ready_for_query(status="I"):
    return msg("Z", status.encode())


def command_complete(tag):
    return msg("C", cstr(tag))


def data_row(vals):
    return msg("D", i16(len(vals)) + encode_values(vals))


def error_response(severity, sqlstate, message):
    body = b"S" + cstr(severity) + b"V" + cstr(severity) + b"C" + cstr(sqlstate) + b"M" + cstr(message) + b"\0"
    return msg("E", body)


# ------------------------------------------------------------------ decoding

def parse_fields(body):
    """ErrorResponse / NoticeResponse body -> {field code: value}."""
    out = {}
    pos = 0
    while pos < len(body) and body[pos] != 0:
        end = body.index(b"\0", pos + 1)
        out[chr(body[pos])] = body[pos + 1:end].decode(errors="replace")
        pos = end + 1
    return out


def decode_data_row(body):
    """DataRow body -> [text value or None] (text format)."""
    count = struct.unpack("!h", body[:2])[0]
    pos = 2
    out = []
    for _ in range(count):
        n = struct.unpack("!i", body[pos:pos + 4])[0]
        pos += 4
        if n < 0:
            out.append(None)
        else:
            out.append(body[pos:pos + n].decode())
            pos += n
    return out


def auth_type(body):
    """The code of an AuthenticationRequest ('R') body."""
    return struct.unpack("!i", body[:4])[0]


def split_messages(data):
    """Whole typed messages in data -> [(code, body, raw)], plus the leftover bytes."""
    out = []
    pos = 0
    while len(data) - pos >= 5:
        length = struct.unpack("!i", data[pos + 1:pos + 5])[0]
        if length < 4 or len(data) - pos < 1 + length:
            break
        out.append((chr(data[pos]), bytes(data[pos + 5:pos + 1 + length]), bytes(data[pos:pos + 1 + length])))
        pos += 1 + length
    return out, bytes(data[pos:])


# ------------------------------------------------------------------ passwords

def md5_password(user, password, salt):
    """The MD5 response to AuthenticationMD5Password: 'md5' + md5(md5(password + user) + salt)."""
    inner = hashlib.md5((password + user).encode()).hexdigest().encode()
    return "md5" + hashlib.md5(inner + salt).hexdigest()


def password_response(user, password, request):
    """The PasswordMessage answering an AuthenticationCleartextPassword or an
    AuthenticationMD5Password request (its 'R' body, which carries the salt)."""
    if auth_type(request) == AUTH_MD5:
        return password_message(md5_password(user, password, request[4:8]))
    return password_message(password)


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def xor_bytes(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def scram_keys(password, salt, iterations):
    """(ClientKey, StoredKey, ServerKey) of RFC 5802 for a password."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac_sha256(salted, b"Client Key")
    return client_key, sha256(client_key), hmac_sha256(salted, b"Server Key")


def scram_attrs(text):
    """'r=...,s=...,i=...' -> {'r': ..., 's': ..., 'i': ...}."""
    return dict(part.split("=", 1) for part in text.split(","))


class ScramClient:
    """Client half of SCRAM-SHA-256 without channel binding (gs2 header 'n,,'), as libpq.

    Checks nothing itself: the caller decides how a server nonce that does not extend ours
    (nonce_extended) or a wrong server signature (server_signature) fails its test."""

    def __init__(self, password, nonce=None):
        self.password = password
        self.nonce = nonce or base64.b64encode(os.urandom(18)).decode()
        self.first_bare = "n=,r=" + self.nonce
        self.server_signature = None  # what the server must send as 'v=' in SASLFinal

    def client_first(self):
        return "n,," + self.first_bare

    def initial_response(self, mechanism="SCRAM-SHA-256"):
        """SASLInitialResponse message carrying client_first()."""
        data = self.client_first().encode()
        return msg("p", cstr(mechanism) + i32(len(data)) + data)

    def nonce_extended(self, server_first):
        return scram_attrs(server_first)["r"].startswith(self.nonce)

    def client_final(self, server_first):
        """client-final-message text for the server-first text; sets server_signature."""
        attrs = scram_attrs(server_first)
        client_key, stored_key, server_key = scram_keys(self.password, base64.b64decode(attrs["s"]), int(attrs["i"]))
        without_proof = "c=biws,r=" + attrs["r"]
        auth_message = ",".join([self.first_bare, server_first, without_proof]).encode()
        proof = xor_bytes(client_key, hmac_sha256(stored_key, auth_message))
        self.server_signature = base64.b64encode(hmac_sha256(server_key, auth_message)).decode()
        return without_proof + ",p=" + base64.b64encode(proof).decode()

    def final_response(self, server_first):
        """SASLResponse message carrying client_final(server_first)."""
        return msg("p", self.client_final(server_first).encode())

    def server_final_ok(self, server_final):
        return server_final == "v=" + self.server_signature

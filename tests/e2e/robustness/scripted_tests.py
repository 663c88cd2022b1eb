"""Robustness tests against a scripted upstream (scripted_upstream.py): Redshift's own
authentication requests and RowDescription layout relayed byte for byte, SCRAM channel-binding
mechanisms filtered, an upstream that dies mid-result or mid-COPY, and an upstream that sends
malformed frames. Each test runs a private blueshift between a raw client and the script.

Usage: python3 scripted_tests.py {digest|idp|rowdesc|scram|upstream_death|upstream_garbage|
                                  client_disconnect}
Ports (127.0.0.1): 6600-6629, a block of four per test (proxy = base, upstream = base + 1).
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import sys
import threading
import time

import pgwire as w
import scripted_upstream as su

UPSTREAM_KEY = (4242, 0x5EC2E7)


def check_upstream_clean(upstream):
    w.check(not upstream.errors, f"the scripted upstream hit errors: {upstream.errors}")


def check_relayed(sent, received, what):
    """The messages the upstream sent arrive unchanged, except BackendKeyData, whose secret the
    proxy replaces with one of its own (the pid stays the server's)."""
    up, up_rest = w.split_messages(sent)
    down, down_rest = w.split_messages(received)
    w.check(not up_rest and not down_rest, f"{what}: partial messages left over")
    w.check([m[0] for m in up] == [m[0] for m in down],
            f"{what}: message sequence differs: upstream sent {[m[0] for m in up]}, client got {[m[0] for m in down]}")
    for (code, body, raw), (_, body2, raw2) in zip(up, down):
        if code == "K":
            w.check(len(body2) == 8, f"{what}: BackendKeyData of {len(body2)} bytes")
            (pid, secret), (pid2, secret2) = struct.unpack("!ii", body), struct.unpack("!ii", body2)
            w.check(pid2 == pid, f"{what}: the client got pid {pid2}, the server's is {pid}")
            w.check(secret2 != secret, f"{what}: the upstream's secret reached the client")
        else:
            w.check(raw == raw2, f"{what}: {code!r} changed in transit:\n  sent {raw[:120]!r}\n  got  {raw2[:120]!r}")


# ------------------------------------------------------------------ 1. AUTH_REQ_DIGEST

def digest_answer(password, salt, server_nonce, client_nonce=None):
    """The frontend 'd' message the AWS drivers send (ConnectionFactoryImpl AUTH_REQ_DIGEST,
    redshift_connector core.py auth_code == 13)."""
    client_nonce = client_nonce or str(int(time.time() * 1000)).encode()
    digest = hashlib.sha256(hashlib.sha256(password + salt).digest() + server_nonce + client_nonce).digest()
    body = w.i32(len(digest)) + digest + w.i32(len(client_nonce)) + client_nonce
    return w.msg("d", body), digest


def test_digest(track, cleanups):
    base = 6600
    password = "Rs_sha256_PaSsWoRd\u017d".encode()
    salt, server_nonce = os.urandom(16), os.urandom(32)
    upstream, proxy = su.start(track, cleanups, base, su.redshift_digest(password, salt, server_nonce), log_level="debug")

    for attempt, good in (("correct password", True), ("wrong password", False)):
        c = w.Client(base)
        cleanups.append(c.close)
        packet = w.startup_packet([("user", "rs_digest_user"), ("database", "dev"), ("client_protocol_version", "2"),
                                   ("driver_version", "Redshift JDBC Driver 2.1.0.26")])
        c.send(packet)
        m = c.read_msg()
        w.check(m is not None and m[0] == "R", f"{attempt}: expected an authentication request, got {m}")
        body = m[1]
        w.check(struct.unpack("!i", body[:4])[0] == 13, f"{attempt}: auth type {struct.unpack('!i', body[:4])[0]}, expected 13")
        # The request payload as the drivers parse it.
        algo, salt_len = struct.unpack("!ii", body[4:12])
        got_salt = body[12:12 + salt_len]
        nonce_len = struct.unpack("!i", body[12 + salt_len:16 + salt_len])[0]
        got_nonce = body[16 + salt_len:16 + salt_len + nonce_len]
        w.check((algo, got_salt, got_nonce) == (0, salt, server_nonce), f"{attempt}: digest request payload altered")
        w.check(16 + salt_len + nonce_len == len(body), f"{attempt}: trailing bytes after the server nonce")

        answer, digest = digest_answer(password if good else b"not-the-password", got_salt, got_nonce)
        c.send(answer)
        msgs = c.read_until("ZE")
        conn = upstream.connections[-1]
        w.check(conn.received[0] == packet, f"{attempt}: the startup packet changed in transit")
        w.check(len(conn.received) >= 2 and conn.received[1] == answer,
                f"{attempt}: the 'd' message changed in transit:\n  sent {answer!r}\n  got  {conn.received[1:2]!r}")
        if good:
            w.check(msgs[-1] is not None and msgs[-1][0] == "Z", f"login failed: {[m and m[0] for m in msgs]}")
            rows, tags, error = c.simple_query("select 1")
            w.check(error is None and rows == [["1"]] and tags == ["SELECT 1"], f"query after login: {rows} {tags} {error}")
            check_relayed(bytes(conn.sent), bytes(c.received), "digest login")
            c.send(w.terminate())
        else:
            w.check(msgs[-1] is not None and msgs[-1][0] == "E", "wrong digest: expected the upstream's error")
            fields = w.parse_fields(msgs[-1][1])
            w.check(fields.get("C") == "28P01", f"wrong digest: {fields}")
            w.check(c.read_msg() is None, "wrong digest: the proxy kept the connection open")
        w.check(any("digest " + ("accepted" if good else "rejected") == e for _, e in conn.events),
                f"{attempt}: upstream verdict {conn.events}")
        c.close()

    log = proxy.log_text()
    w.check("connection open" in log, "the proxy log is empty; cannot check it for secrets")
    w.check(digest.hex() not in log and base64.b64encode(digest).decode() not in log, "the digest appears in the proxy log")
    check_upstream_clean(upstream)
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 2. AUTH_REQ_IDP

def test_idp(track, cleanups):
    base = 6604
    token = ("eyJraWQiOiJyb2J1c3QifQ." + base64.urlsafe_b64encode(os.urandom(300)).decode().rstrip("=")
             + ".c2lnbmF0dXJl").encode()
    upstream, proxy = su.start(track, cleanups, base, su.redshift_idp(token), log_level="debug")

    for driver, answer in (("JDBC (NUL-terminated)", w.msg("i", token + b"\0")), ("Python (no NUL)", w.msg("i", token))):
        c = w.Client(base)
        cleanups.append(c.close)
        c.send(w.startup_packet([("user", "idp_user"), ("database", "dev"), ("plugin_name", "BasicJwtCredentialsProvider"),
                                 ("idp_type", "AzureAD"), ("client_protocol_version", "2")]))
        m = c.read_msg()
        w.check(m is not None and m[0] == "R" and m[1] == w.i32(14), f"{driver}: expected AuthenticationRequest 14, got {m}")
        c.send(answer)
        msgs = c.read_until("ZE")
        w.check(msgs[-1] is not None and msgs[-1][0] == "Z", f"{driver}: login failed: {msgs}")
        conn = upstream.connections[-1]
        w.check(conn.received[1] == answer, f"{driver}: the 'i' message changed in transit")
        w.check(("token accepted" in [e for _, e in conn.events]), f"{driver}: upstream verdict {conn.events}")
        rows, _, error = c.simple_query("select 1")
        w.check(error is None and rows == [["1"]], f"{driver}: query after login: {rows} {error}")
        check_relayed(bytes(conn.sent), bytes(c.received), f"{driver} login")
        c.send(w.terminate())
        c.close()

    time.sleep(0.2)
    log = proxy.log_text()
    w.check("connection open" in log, "the proxy log is empty; the secret check would prove nothing")
    text = token.decode()
    for piece in (text, text[24:56], text[-40:]):
        w.check(piece not in log, f"the identity token (or part of it: {piece[:12]}...) appears in the proxy log")
    check_upstream_clean(upstream)
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 3. Redshift RowDescription layout

def redshift_field(name, type_oid, type_size, schema, table, column, catalog, flags, table_oid=100200, attnum=1):
    """One field of Redshift's extended RowDescription (server_protocol_version >= 1): the 18
    standard bytes after the name, then schema, table, column and catalog names and Int16 flags
    (JDBC QueryExecutorImpl.receiveFields, redshift_connector handle_ROW_DESCRIPTION)."""
    return (w.cstr(name) + w.i32(table_oid) + w.i16(attnum) + w.i32(type_oid) + w.i16(type_size) + w.i32(-1)
            + w.i16(0) + w.cstr(schema) + w.cstr(table) + w.cstr(column) + w.cstr(catalog) + w.i16(flags))


def parse_redshift_row_description(body):
    """Reads body as the Python driver does; returns the fields and checks nothing is left."""
    count = struct.unpack("!h", body[:2])[0]
    idx, fields = 2, []
    for _ in range(count):
        end = body.index(b"\0", idx)
        f = {"label": body[idx:end]}
        idx = end + 1
        f.update(zip(("table_oid", "attnum", "type_oid", "size", "typmod", "format"),
                     struct.unpack("!ihihih", body[idx:idx + 18])))
        idx += 18
        for entry in ("schema_name", "table_name", "column_name", "catalog_name"):
            end = body.index(b"\0", idx)
            f[entry] = body[idx:end]
            idx = end + 1
        f["flags"] = struct.unpack("!h", body[idx:idx + 2])[0]
        idx += 2
        fields.append(f)
    w.check(idx == len(body), f"RowDescription has {len(body) - idx} bytes the Redshift layout does not account for")
    return fields


def test_rowdesc(track, cleanups):
    base = 6608
    row_desc = w.msg("T", w.i16(3)
                     + redshift_field("sale_id", 20, 8, "public", "sales_fact", "sale_id", "dev", 0x1001, attnum=1)
                     + redshift_field("Amount Label", 1700, -1, "public", "sales_fact", "amount", "dev", 0x1103, attnum=3)
                     + redshift_field("note", 1043, -1, "spectrum_schema", "sales", "note", "dev", 0x0010, attnum=7))
    fields = parse_redshift_row_description(row_desc[5:])
    w.check([f["column_name"] for f in fields] == [b"sale_id", b"amount", b"note"], "test data: bad RowDescription")
    rows = b"".join(w.data_row([str(i), f"{i}.25", None if i % 3 == 0 else "n" * i]) for i in range(50))
    big_row = w.data_row(["99", "1.5", "w" * 150_000])  # over the proxy's 64 KB streaming threshold
    notice = w.msg("N", b"SNOTICE\0VNOTICE\0C00000\0Mredshift notice\0\0")
    replies = {
        "simple": row_desc + rows + notice + big_row + w.command_complete("SELECT 51"),
        "extended": w.msg("1") + w.msg("2") + row_desc + rows + w.command_complete("SELECT 50"),
    }
    upstream, proxy = su.start(track, cleanups, base, su.redshift_session(replies))

    common = [("user", "rs_user"), ("database", "dev"), ("client_encoding", "UTF8"), ("DateStyle", "ISO"),
              ("extra_float_digits", "2"), ("application_name", "robust-rowdesc"),
              ("driver_version", "Redshift JDBC Driver 2.1.0.26"), ("os_version", "Linux 6.1 amd64"),
              ("plugin_name", "com.amazon.redshift.plugin.BrowserAzureOAuth2CredentialsProvider"),
              ("client_protocol_version", "2")]
    variants = (("with _pq_.compression", common[:5] + [("_pq_.compression", "lz4:1")] + common[5:]),
                ("without compression", common))
    for name, params in variants:
        c = w.Client(base)
        cleanups.append(c.close)
        c.send(w.startup_packet(params))
        msgs = c.read_until("ZE")
        w.check(msgs[-1] is not None and msgs[-1][0] == "Z", f"{name}: login failed: {msgs}")
        w.check(c.received.find(w.parameter_status("server_protocol_version", "2")) >= 0,
                f"{name}: ParameterStatus server_protocol_version=2 did not reach the client")
        conn = upstream.connections[-1]
        expected = [p for p in params if p[0] != "_pq_.compression"]
        w.check(conn.startup_version == w.PROTOCOL_3_0, f"{name}: protocol version {conn.startup_version}")
        w.check(conn.startup_params == expected,
                f"{name}: the upstream's startup parameters differ:\n  expected {expected}\n  got      {conn.startup_params}")

        before = len(c.received)
        c.send(w.query("select sale_id, amount, note from sales_fact"))
        reply = c.read_until("Z", timeout=10)
        w.check(reply[-1] is not None, f"{name}: the connection closed during the result")
        w.check(bytes(c.received[before:]) == replies["simple"] + w.ready_for_query(),
                f"{name}: the simple-query reply changed in transit ({len(c.received) - before} bytes received, "
                f"{len(replies['simple']) + 6} sent)")
        got = [m for m in reply if m[0] == "T"]
        w.check(parse_redshift_row_description(got[0][1]) == fields, f"{name}: RowDescription fields differ")

        before = len(c.received)
        batch = (w.msg("P", w.cstr("") + w.cstr("select sale_id, amount, note from sales_fact where sale_id > $1")
                       + w.i16(1) + w.i32(20))
                 + w.msg("B", w.cstr("") + w.cstr("") + w.i16(0) + w.i16(1) + w.i32(1) + b"5" + w.i16(0))
                 + w.msg("D", b"P" + w.cstr("")) + w.msg("E", w.cstr("") + w.i32(0)) + w.msg("S"))
        n_received = len(conn.received)
        c.send(batch)
        c.read_until("Z", timeout=10)
        w.check(bytes(c.received[before:]) == replies["extended"] + w.ready_for_query(),
                f"{name}: the extended-protocol reply changed in transit")
        w.check(b"".join(conn.received[n_received:]) == batch, f"{name}: the extended-protocol batch changed in transit")
        c.send(w.terminate())
        c.close()
    check_upstream_clean(upstream)
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 4. SCRAM mechanism filtering

def test_scram(track, cleanups):
    base = 6612
    password = "scram-pw-\u00e9"
    for offered in (["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]):
        upstream, proxy = su.start(track, cleanups, base, su.scram(password, offered))
        for pw, ok in ((password, True), ("wrong", False)):
            c = w.Client(base)
            cleanups.append(c.close)
            c.send(w.startup_packet([("user", "scram_user"), ("database", "dev")]))
            m = c.read_msg()
            w.check(m is not None and m[0] == "R" and struct.unpack("!i", m[1][:4])[0] == 10,
                    f"offered {offered}: expected AuthenticationSASL, got {m}")
            w.check(m[1][4:] == b"SCRAM-SHA-256\0\0",
                    f"offered {offered}: the client was offered {m[1][4:]!r}, expected only SCRAM-SHA-256")
            scram = w.ScramClient(pw)
            first = scram.initial_response()
            c.send(first)
            m = c.read_msg()
            w.check(m is not None and m[0] == "R" and struct.unpack("!i", m[1][:4])[0] == 11, f"SASLContinue expected: {m}")
            final = scram.final_response(m[1][4:].decode())
            c.send(final)
            conn = upstream.connections[-1]
            if ok:
                msgs = c.read_until("ZE")
                w.check(msgs[-1] is not None and msgs[-1][0] == "Z", f"offered {offered}: SCRAM login failed: {msgs}")
                w.check(msgs[0][0] == "R" and msgs[0][1][4:].decode() == "v=" + scram.server_signature,
                        "server signature not relayed intact")
                w.check(conn.received[1] == first and conn.received[2] == final, "SASL responses changed in transit")
                w.check("mechanism SCRAM-SHA-256" in [e for _, e in conn.events], f"mechanism chosen: {conn.events}")
                rows, _, error = c.simple_query("select 1")
                w.check(error is None and rows == [["1"]], f"query after SCRAM login: {rows} {error}")
            else:
                c.expect_error("28P01")
            c.close()
        check_upstream_clean(upstream)
        w.check(proxy.alive(), "the proxy died")
        proxy.stop()
        upstream.stop()

    # Only the channel-binding mechanism offered: nothing usable remains. The client must get a
    # well-formed answer (an empty list or an error), never a hang or a crash.
    upstream, proxy = su.start(track, cleanups, base, su.scram(password, ["SCRAM-SHA-256-PLUS"]))
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(w.startup_packet([("user", "scram_user"), ("database", "dev")]))
    m = c.read_msg()
    w.check(m is not None and (m[0] == "E" or (m[0] == "R" and m[1] == w.i32(10) + b"\0")),
            f"only -PLUS offered: expected an empty mechanism list or an error, got {m}")
    print(f"note: with only SCRAM-SHA-256-PLUS offered upstream, the client gets {m[0]!r} {m[1]!r}")
    c.close()
    w.check(proxy.alive(), "the proxy died")
    proxy.stop()
    upstream.stop()

    # A malformed list (the final empty name missing): the proxy cannot filter what it cannot
    # parse, so it must fail closed rather than relay the -PLUS mechanism.
    def unterminated(conn):
        if conn.read_startup() is None:
            return
        conn.send(w.auth(10, b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0"))
        conn.read_msg(timeout=3)

    upstream, proxy = su.start(track, cleanups, base, unterminated)
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(w.startup_packet([("user", "scram_user"), ("database", "dev")]))
    m = c.read_msg()
    w.check(m is not None, "unterminated mechanism list: connection closed without an answer")
    w.check(b"-PLUS" not in m[1], f"unterminated mechanism list: the channel-binding mechanism reached the client: {m[2]!r}")
    w.check(m[0] == "E" and w.parse_fields(m[1]).get("C") == "08P01",
            f"unterminated mechanism list: expected FATAL 08P01, got {m}")
    c.close()
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 5. upstream dies

def open_session(port, app, timeout=5.0):
    c = w.Client(port)
    c.send(w.startup_packet([("user", "victim"), ("database", "dev"), ("application_name", app)]))
    msgs = c.read_until("ZE", timeout)
    w.check(msgs[-1] is not None and msgs[-1][0] == "Z", f"{app}: login failed: {msgs}")
    return c


def session_for(upstream, app):
    for conn in reversed(upstream.connections):
        if conn.params().get("application_name") == app:
            return conn
    raise w.TestFailure(f"the upstream never saw a session for {app}")


def test_upstream_death(track, cleanups):
    base = 6616
    upstream, proxy = su.start(track, cleanups, base, su.misbehaving())
    bystander = open_session(base, "normal")
    cleanups.append(bystander.close)
    expected_prefix = su.TWO_COLUMNS + su._rows(3)

    for mode in ("die:close", "die:reset", "die:partial"):
        c = open_session(base, mode)
        cleanups.append(c.close)
        before = len(c.received)
        c.send(w.query("select id, pad from t"))
        msgs = c.read_until("E", timeout=5)
        died = session_for(upstream, mode).closed_at
        now = time.monotonic()
        w.check(msgs[-1] is not None, f"{mode}: connection closed without an ErrorResponse after {[m[0] for m in msgs[:-1]]}")
        fields = w.parse_fields(msgs[-1][1])
        w.check(fields.get("C") == "08006" and fields.get("V", fields.get("S")) == "FATAL", f"{mode}: {fields}")
        w.check(died is not None and now - died <= 2.0, f"{mode}: error arrived {now - (died or now):.2f} s after the upstream died")
        got = bytes(c.received[before:])
        w.check(got.startswith(expected_prefix), f"{mode}: the rows before the failure were not relayed intact")
        w.check(c.read_msg(timeout=2) is None, f"{mode}: the proxy kept the client connection open after FATAL")
        print(f"{mode}: FATAL 08006 {now - died:.3f} s after the upstream died: {fields.get('M')}")
        c.close()

    # A DataRow larger than the streaming threshold cut in half: the proxy has already relayed part
    # of it, so it cannot append an ErrorResponse; it must close, and only relay what it received.
    c = open_session(base, "die:stream")
    cleanups.append(c.close)
    before = len(c.received)
    c.send(w.query("select id, pad from t"))
    t0 = time.monotonic()
    tail = c.read_to_eof(timeout=5)
    died = session_for(upstream, "die:stream").closed_at
    sent = bytes(session_for(upstream, "die:stream").sent)
    sent = sent[sent.index(su.TWO_COLUMNS):]  # what it sent for the query
    got = bytes(c.received[before:])
    w.check(died is not None and time.monotonic() - died <= 2.0, "die:stream: connection not closed within 2 s")
    w.check(got.startswith(expected_prefix), "die:stream: the rows before the failure were not relayed intact")
    w.check(sent.startswith(got), "die:stream: the client got bytes the upstream did not send "
            f"(got {len(got)} bytes, ends {got[-40:]!r})")
    print(f"die:stream: connection closed in {time.monotonic() - t0:.2f} s after relaying {len(got)} of the "
          f"{len(sent)} bytes sent ({len(got) - len(expected_prefix)} bytes of the cut DataRow)")
    c.close()

    # The upstream closes during login.
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(w.startup_packet([("user", "victim"), ("database", "dev"), ("application_name", "die:auth")]))
    fields = c.expect_error("08006", timeout=3, severity="FATAL")
    print(f"die:auth: {fields.get('M')}")
    c.close()

    # Mid-COPY FROM STDIN: the client streams CopyData while the upstream dies.
    for mode in ("copy:close", "copy:reset"):
        c = open_session(base, mode)
        cleanups.append(c.close)
        c.send(w.query("copy t from stdin"))
        m = c.read_msg()
        w.check(m is not None and m[0] == "G", f"{mode}: expected CopyInResponse, got {m}")
        stop = threading.Event()
        sent_bytes = [0]

        def stream():
            chunk = w.msg("d", b"1\t" + b"x" * 8000 + b"\n")
            deadline = time.monotonic() + 6
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    c.sock.sendall(chunk)
                    sent_bytes[0] += len(chunk)
                except OSError:
                    return

        sender = threading.Thread(target=stream, daemon=True)
        sender.start()
        try:
            msgs = c.read_until("E", timeout=6)
        finally:
            stop.set()
            sender.join(5)
        died = session_for(upstream, mode).closed_at
        now = time.monotonic()
        w.check(msgs[-1] is not None, f"{mode}: connection closed without an ErrorResponse")
        fields = w.parse_fields(msgs[-1][1])
        w.check(fields.get("C") == "08006", f"{mode}: {fields}")
        w.check(died is not None and now - died <= 2.0, f"{mode}: error {now - (died or now):.2f} s after the upstream died")
        print(f"{mode}: FATAL 08006 {now - died:.3f} s after the upstream died; client had sent {sent_bytes[0]} bytes")
        c.close()

    rows, _, error = bystander.simple_query("select 1")
    w.check(error is None and rows == [["1"]], f"the bystander session broke: {rows} {error}")
    fresh = open_session(base, "normal")
    rows, _, error = fresh.simple_query("select 1")
    w.check(error is None and rows == [["1"]], f"a new session after the failures: {rows} {error}")
    fresh.close()
    w.check(proxy.alive(), "the proxy died")
    w.check("unexpected exception" not in proxy.log_text(), "the proxy logged an unexpected exception")


# ------------------------------------------------------------------ 6. garbage from upstream

def test_upstream_garbage(track, cleanups):
    base = 6620
    upstream, proxy = su.start(track, cleanups, base, su.misbehaving())
    bystander = open_session(base, "normal")
    cleanups.append(bystander.close)

    for mode in ("garbage:len2", "garbage:neg", "garbage:huge"):
        c = open_session(base, mode)
        cleanups.append(c.close)
        c.send(w.query("select id, pad from t"))
        t0 = time.monotonic()
        fields = c.expect_error("08P01", timeout=3, severity="FATAL")
        w.check(time.monotonic() - t0 < 2.0, f"{mode}: error took {time.monotonic() - t0:.2f} s")
        w.check(c.read_msg(timeout=2) is None, f"{mode}: connection left open after FATAL")
        print(f"{mode}: {fields.get('M')} / {fields.get('D', '')}")
        c.close()

    for mode in ("garbage:auth", "garbage:authshort"):
        c = w.Client(base)
        cleanups.append(c.close)
        c.send(w.startup_packet([("user", "victim"), ("database", "dev"), ("application_name", mode)]))
        fields = c.expect_error("08P01", timeout=3, severity="FATAL")
        print(f"{mode}: {fields.get('M')}")
        c.close()

    # Well-framed oddities are the server's business: relayed unchanged, nothing breaks.
    c = open_session(base, "odd:framed")
    cleanups.append(c.close)
    before = len(c.received)
    c.send(w.query("select 7"))
    msgs = c.read_until("Z")
    msgs = c.read_until("Z") if msgs[-1] is not None and msgs[-1][1] == b"" else msgs  # the empty 'Z' came first
    odd = (w.msg("Z") + w.msg("S", b"no-terminator") + w.msg("E") + w.msg("~", b"?") + su.simple_result("7")
           + w.ready_for_query())
    w.check(bytes(c.received[before:]) == odd, f"odd:framed: relayed bytes differ: {bytes(c.received[before:])!r}")
    c.close()

    rows, _, error = bystander.simple_query("select 1")
    w.check(error is None and rows == [["1"]], f"the bystander session broke: {rows} {error}")
    w.check(proxy.alive(), "the proxy died")
    w.check("unexpected exception" not in proxy.log_text(), "the proxy logged an unexpected exception")


# ------------------------------------------------------------------ client goes away

def wait_event(conn, text, since, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for t, e in conn.events:
            if e == text and t >= since:
                return t
        time.sleep(0.01)
    raise w.TestFailure(f"the upstream session did not see '{text}' within {timeout} s: {conn.events}")


def test_client_disconnect(track, cleanups):
    """A client that vanishes (no Terminate) must not leave its upstream session behind, and
    the proxy must not blame the upstream for it."""
    base = 6624
    upstream, proxy = su.start(track, cleanups, base, su.misbehaving())

    # Idle, logged in, then the socket just closes.
    c = open_session(base, "quit:idle")
    conn = session_for(upstream, "quit:idle")
    t0 = time.monotonic()
    c.close()
    t = wait_event(conn, "peer closed", t0)
    print(f"quit:idle: upstream session closed {t - t0:.3f} s after the client vanished")

    # Half a Query, then gone: the upstream must not receive a partial message.
    c = open_session(base, "quit:half")
    conn = session_for(upstream, "quit:half")
    c.send(w.query("select 1")[:7])
    time.sleep(0.2)
    t0 = time.monotonic()
    c.close()
    wait_event(conn, "peer closed", t0)
    w.check(not conn.buf, f"quit:half: the upstream received a partial message: {bytes(conn.buf)!r}")

    # In the middle of a large result that the client stops reading.
    c = open_session(base, "big:result")
    conn = session_for(upstream, "big:result")
    c.send(w.query("select id, pad from big"))
    c.read_bytes(256 * 1024, timeout=5)
    t0 = time.monotonic()
    c.close()
    t = wait_event(conn, "peer closed", t0, timeout=3.0)
    print(f"big:result: upstream write failed {t - t0:.3f} s after the client vanished mid-result "
          f"({len(conn.sent) >> 10} KB sent by then)")

    time.sleep(0.3)
    closes = [line for line in proxy.log_text().splitlines() if "connection close" in line]
    for app in ("quit:idle", "quit:half", "big:result"):
        line = next((l for l in closes if f"application_name={app} " in l), None)
        w.check(line is not None, f"no 'connection close' log line for {app}")
        w.check("upstream closed" not in line,
                f"{app}: the client vanished, yet the proxy logs the upstream as the cause: {line}")
    fresh = open_session(base, "normal")
    rows, _, error = fresh.simple_query("select 1")
    w.check(error is None and rows == [["1"]], f"a new session afterwards: {rows} {error}")
    fresh.close()
    w.check(proxy.alive(), "the proxy died")


TESTS = {
    "client_disconnect": test_client_disconnect,
    "digest": test_digest,
    "idp": test_idp,
    "rowdesc": test_rowdesc,
    "scram": test_scram,
    "upstream_death": test_upstream_death,
    "upstream_garbage": test_upstream_garbage,
}

if __name__ == "__main__":
    w.blueshift_bin()  # skip (or fail under CI) before anything starts
    sys.exit(w.run(TESTS, sys.argv[1:]))

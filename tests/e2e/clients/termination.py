#!/usr/bin/python3
"""A session the server terminates (pg_terminate_backend, as an administrator or Redshift's
own session limits do), directly and through the proxy: the client must see exactly what the
server sent (its FATAL 57P01 ErrorResponse) and then the end of the connection, both while a
statement runs and while the session is idle. The messages are compared field by field.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgwire  # noqa: E402

DIRECT = int(os.environ["BLUESHIFT_DEV_PORT"])
PROXY = int(os.environ["BLUESHIFT_TEST_PROXY_PORT"])
DB = os.environ.get("E2E_DB", "blueshift_e2e_clients")
failures = []


def check(ok, what):
    print(("ok: " + what.split("\n")[0]) if ok else ("FAIL: " + what))
    if not ok:
        failures.append(what)


def terminate(app):
    out = subprocess.run(
        ["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(DIRECT), "-U", "postgres", "-d", "postgres", "-c",
         f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{app}'"],
        capture_output=True, text=True, check=True)
    return out.stdout.strip()


def messages_until_eof(s):
    """Every message until the peer closes: [(code, fields or raw body)]."""
    got = []
    while True:
        try:
            code, body = s.read_message()
        except (ConnectionError, OSError):
            return got
        got.append((code.decode(), pgwire.parse_fields(body) if code in (b"E", b"N") else body))


def scenario(port, busy):
    app = f"e2e_term_{port}_{int(busy)}_{os.getpid()}"
    s = pgwire.Session(port)
    err = s.startup("etl", DB, "etl-dev-pw", application_name=app)
    if err:
        return [("login failed", err)]
    if busy:
        s.send_query("SELECT pg_sleep(10)")
        time.sleep(0.5)
    killed = terminate(app)
    time.sleep(0.3)
    if not busy:
        try:
            s.send_query("SELECT 1")
        except OSError:
            pass
    got = messages_until_eof(s)
    s.sock.close()
    return [("terminated", killed)] + got


for busy in (True, False):
    label = "during a statement" if busy else "while idle"
    d = scenario(DIRECT, busy)
    p = scenario(PROXY, busy)
    print(f"{label}:\n  direct: {d}\n  proxy:  {p}")
    check(d[0] == ("terminated", "1") and p[0] == ("terminated", "1"), f"{label}: one backend terminated each time")
    check(any(c == "E" and m.get("C") == "57P01" for c, m in p[1:]), f"{label}: the client sees the server's 57P01")
    check(d == p, f"{label}: the client sees what the server sent and nothing else\n  direct: {d}\n  proxy:  {p}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("PASS: server-side termination reaches clients unchanged")

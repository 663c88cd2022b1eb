"""Shared helpers for the policy end-to-end tests: the environment check, a private
blueshift proxy started with a generated policies.test.yaml, a raw PostgreSQL v3 client
(simple and extended protocol, SCRAM-SHA-256 / MD5 / cleartext login) that keeps every
message it receives, and psql runs.

Python standard library only, so that both the pyenv python3 and Debian's /usr/bin/python3
(which has psycopg) can import it. Everything connects to 127.0.0.1 only.

Also runnable as a wrapper that starts a private proxy around another program (the JDBC
test):  python3 harness.py with-proxy PORT -- java -cp ... PolicyTest.java
The program sees BLUESHIFT_POLICY_PROXY_PORT and BLUESHIFT_POLICY_AUDIT_FILE.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
# The wire messages come from tests/lib/pgwire_codec.py; the tests know the builders by the
# *_msg names.
from pgwire_codec import (  # noqa: E402
    AUTH_CLEARTEXT, AUTH_MD5, AUTH_OK, AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL,
    ScramClient, auth_type, decode_data_row, password_response, startup_packet,
    terminate,
    bind as bind_msg, close as close_msg, describe as describe_msg, execute as execute_msg,
    flush as flush_msg, parse as parse_msg, parse_fields as error_fields, query as query_msg,
    sync as sync_msg,
)

HOST = "127.0.0.1"
TEMPLATE = os.path.join(HERE, "policies.test.yaml")
SKIP = 77
# How long one expected reply may take before it counts as a hang. Generous: the machine
# is small and shared.
WAIT = float(os.environ.get("BLUESHIFT_POLICY_WAIT", "20"))

DB = "dev"
USERS = {"analyst": "analyst-dev-pw", "etl": "etl-dev-pw"}

# Rule names of policies.test.yaml, so a renamed rule fails loudly here and not by accident.
RULE_FILTER = "analysts-must-filter-partitions"
RULE_MAX = "analysts-max-12-partitions"
RULE_STAR = "no-select-star-on-lake"
RULE_DENY = "analysts-no-ddl-or-delete-on-public"
RULE_AUDIT = "audit-analyst-scans-over-3-partitions"


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


# ------------------------------------------------------------------ environment

def import_psycopg():
    """psycopg, or skip (exit 77) / fail when CI=true: the pyenv python3 lacks it; Debian's
    /usr/bin/python3 has it."""
    try:
        import psycopg
        return psycopg
    except ImportError:
        if os.environ.get("CI") == "true":
            print("FAIL: psycopg is not importable by", sys.executable)
            sys.exit(1)
        print("SKIP: psycopg is not importable by", sys.executable)
        sys.exit(SKIP)


def require_env():
    """BLUESHIFT_BIN and BLUESHIFT_DEV_PORT, or skip (exit 77) / fail when CI=true."""
    missing = [v for v in ("BLUESHIFT_BIN", "BLUESHIFT_DEV_PORT") if not os.environ.get(v)]
    if missing:
        text = f"environment not set: {' '.join(missing)} (tests/run.sh exports them)"
        if os.environ.get("CI") == "true":
            print("FAIL: " + text)
            sys.exit(1)
        print("SKIP: " + text)
        sys.exit(SKIP)
    binary = os.environ["BLUESHIFT_BIN"]
    check(os.access(binary, os.X_OK), f"BLUESHIFT_BIN={binary} is not an executable")
    port = dev_port()
    check(wait_port(port, 5), f"the dev warehouse is not listening on {HOST}:{port}")


def dev_port():
    return int(os.environ["BLUESHIFT_DEV_PORT"])


def superuser():
    """The warehouse's superuser, autocommit: for a test's own set-up."""
    import psycopg
    return psycopg.connect(f"host=127.0.0.1 port={dev_port()} dbname=dev user=postgres", autocommit=True)


def logged_role(su, user, member_of, password):
    """A login role whose statements the warehouse logs (tests side by side may both make it)."""
    su.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN
          CREATE ROLE {user} LOGIN IN ROLE {member_of};
        END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")
    su.execute(f"ALTER ROLE {user} LOGIN PASSWORD '{password}'")
    su.execute(f"ALTER ROLE {user} SET log_statement = 'all'")


def log_position(su):
    """The warehouse's log file and its size now: where what a test sends next starts in it."""
    log = su.execute("SELECT current_setting('data_directory') || '/server.log'").fetchone()[0]
    return log, su.execute("SELECT (pg_stat_file(%s)).size", (log,)).fetchone()[0]


def port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def wait_port(port, seconds):
    deadline = time.monotonic() + seconds
    while True:
        if port_open(port):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


# ------------------------------------------------------------------ the private proxy

def render_config(audit_file, overrides=None):
    """policies.test.yaml with the warehouse port and audit file filled in. overrides maps
    a literal line of the template to its replacement (e.g. a rule's mode)."""
    with open(TEMPLATE) as f:
        text = f.read()
    text = text.replace("@DEV_PORT@", str(dev_port())).replace("@AUDIT_FILE@", audit_file)
    for old, new in (overrides or {}).items():
        check(text.count(old) == 1, f"config override: {old!r} must occur exactly once in the template")
        text = text.replace(old, new)
    check("@DEV_PORT@" not in text and "@AUDIT_FILE@" not in text, "unfilled placeholder in the rendered config")
    return text


def _die_with_parent():
    """preexec_fn: the proxy gets SIGTERM when the test process dies (e.g. a ctest timeout
    kills it), so no blueshift outlives its test."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; cleanup() still stops it normally
        pass


def exit_on_sigterm():
    """SIGTERM ends the test through sys.exit, so finally blocks stop the proxy."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Proxy:
    """A blueshift process on 127.0.0.1:port with the test config, in a temp dir."""

    def __init__(self, port, overrides=None):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="blueshift-policies-")
        self.config = os.path.join(self.dir, "policies.yaml")
        self.audit_file = os.path.join(self.dir, "audit.jsonl")
        self.log = os.path.join(self.dir, "blueshift.log")
        self.proc = None
        self.write_config(overrides)

    def write_config(self, overrides=None):
        tmp = self.config + ".tmp"
        with open(tmp, "w") as f:
            f.write(render_config(self.audit_file, overrides))
        os.replace(tmp, self.config)

    def start(self):
        check(not port_open(self.port), f"port {self.port} is already taken; cannot start a private proxy")
        self.proc = subprocess.Popen(
            [os.environ["BLUESHIFT_BIN"], "--config", self.config, "--listen", f"{HOST}:{self.port}"],
            stdin=subprocess.DEVNULL, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure(f"proxy exited at start (status {self.proc.returncode}):\n{self.log_text()}")
            if port_open(self.port):
                return self
            time.sleep(0.05)
        raise TestFailure(f"proxy did not listen on {self.port} within 15 s:\n{self.log_text()}")

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def audit_lines(self):
        """Every audit record so far, parsed (each line must be one JSON object)."""
        if not os.path.exists(self.audit_file):
            return []
        out = []
        with open(self.audit_file) as f:
            for n, line in enumerate(f, 1):
                check(line.endswith("\n"), f"audit line {n} is not newline-terminated: {line!r}")
                try:
                    record = json.loads(line)
                except ValueError as e:
                    raise TestFailure(f"audit line {n} is not JSON ({e}): {line!r}")
                check(isinstance(record, dict), f"audit line {n} is not an object: {line!r}")
                out.append(record)
        return out

    def reload(self, expect_log="reloaded"):
        """SIGHUP, then wait until the log says the reload happened (or failed)."""
        before = self.log_text().count(expect_log)
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.log_text().count(expect_log) > before:
                return
            check(self.proc.poll() is None, f"proxy exited after SIGHUP:\n{self.log_text()}")
            time.sleep(0.05)
        raise TestFailure(f"no '{expect_log}' in the proxy log within 15 s of SIGHUP:\n{self.log_text()}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def cleanup(self, keep=False):
        self.stop()
        if keep:
            print(f"(kept {self.dir} for inspection)")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print("---- proxy log (last 60 lines) ----")
            print("\n".join(self.log_text().splitlines()[-60:]))
        self.cleanup()
        return False


# ------------------------------------------------------------------ results

class Result:
    """What one batch (up to and including ReadyForQuery) brought."""

    def __init__(self, messages):
        self.messages = messages                      # [(code, body)]
        self.codes = "".join(c for c, _ in messages)  # e.g. "1T2DCZ"
        self.rows = [tuple(decode_data_row(b)) for c, b in messages if c == "D"]
        self.errors = [error_fields(b) for c, b in messages if c == "E"]
        self.notices = [error_fields(b) for c, b in messages if c == "N"]
        self.tags = [b.rstrip(b"\0").decode() for c, b in messages if c == "C"]
        z = [b for c, b in messages if c == "Z"]
        self.status = z[-1].decode() if z else None   # 'I', 'T' or 'E'

    @property
    def error(self):
        return self.errors[0] if self.errors else None

    def __repr__(self):
        return f"Result(codes={self.codes!r}, rows={self.rows!r}, errors={self.errors!r}, status={self.status!r})"


# ------------------------------------------------------------------ the raw client

class Conn:
    """A logged-in v3 session on 127.0.0.1:port."""

    def __init__(self, port, user="analyst", password=None, database=DB, application_name="e2e_policies",
                 options=None):
        self.port = port
        self.user = user
        self.sock = socket.create_connection((HOST, port), timeout=WAIT)
        self.sock.settimeout(WAIT)
        self.buf = b""
        self.parameters = {}
        params = [("user", user), ("database", database), ("application_name", application_name)]
        params += list((options or {}).items())
        self.sock.sendall(startup_packet(params))
        self._login(USERS.get(user, "") if password is None else password)

    # --- bytes
    def send(self, data):
        self.sock.sendall(data)

    def read_msg(self, timeout=None):
        deadline = time.monotonic() + (timeout or WAIT)
        while True:
            if len(self.buf) >= 5:
                length = struct.unpack("!i", self.buf[1:5])[0]
                if len(self.buf) >= 1 + length:
                    code = chr(self.buf[0])
                    body = self.buf[5:1 + length]
                    self.buf = self.buf[1 + length:]
                    return code, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure(f"no complete message within {timeout or WAIT} s (have {self.buf[:80]!r})")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise TestFailure(f"connection closed by the proxy (pending bytes {self.buf[:80]!r})")
            self.buf += chunk

    def read_until_ready(self):
        messages = []
        while True:
            code, body = self.read_msg()
            messages.append((code, body))
            if code == "Z":
                return Result(messages)

    def nothing_pending(self, seconds=0.3):
        """True when no byte arrives within `seconds` (nothing left over after a batch)."""
        if self.buf:
            return False
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(WAIT)
        self.buf += chunk
        return False

    # --- simple protocol
    def query(self, sql):
        self.send(query_msg(sql))
        return self.read_until_ready()

    def close(self):
        try:
            self.send(terminate())
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- login
    def _login(self, password):
        scram = None
        while True:
            code, body = self.read_msg()
            if code == "E":
                raise TestFailure(f"login as {self.user} failed: {error_fields(body)}")
            if code == "R":
                kind = auth_type(body)
                if kind == AUTH_OK:
                    continue
                if kind in (AUTH_CLEARTEXT, AUTH_MD5):
                    self.send(password_response(self.user, password, body))
                elif kind == AUTH_SASL:
                    check(b"SCRAM-SHA-256" in body, f"no SCRAM-SHA-256 offered: {body!r}")
                    scram = ScramClient(password)
                    self.send(scram.initial_response())
                elif kind == AUTH_SASL_CONTINUE:
                    server_first = body[4:].decode()
                    check(scram.nonce_extended(server_first), "server nonce does not extend ours")
                    self.send(scram.final_response(server_first))
                elif kind == AUTH_SASL_FINAL:
                    check(scram.server_final_ok(body[4:].decode()), "bad SCRAM server signature")
                else:
                    raise TestFailure(f"unsupported authentication request {kind}")
            elif code == "S":
                name, value = body.rstrip(b"\0").split(b"\0", 1)
                self.parameters[name.decode()] = value.decode()
            elif code == "Z":
                return


# ------------------------------------------------------------------ assertions on refusals

def check_refusal(fields, rule, table="spectrum_schema.sales", what=""):
    """fields: an ErrorResponse's fields. A policy refusal names the table and the rule."""
    check(fields is not None, f"{what}: expected a refusal by {rule}, got no error")
    check(fields.get("C") == "42501", f"{what}: SQLSTATE {fields.get('C')!r}, expected 42501: {fields}")
    check(fields.get("S") == "ERROR", f"{what}: severity {fields.get('S')!r}: {fields}")
    m = fields.get("M", "")
    check(m.startswith("blueshift:"), f"{what}: not a proxy refusal: {m!r}")
    check(f'rule "{rule}"' in m, f"{what}: message does not name rule {rule}: {m!r}")
    if table:
        check(table in m, f"{what}: message does not name {table}: {m!r}")
    return fields


def check_warning(fields, rule, what=""):
    check(fields.get("S") == "WARNING", f"{what}: notice severity {fields.get('S')!r}: {fields}")
    check(fields.get("C") == "01000", f"{what}: notice SQLSTATE {fields.get('C')!r}: {fields}")
    m = fields.get("M", "")
    check(m.startswith("blueshift:") and "breaks rule" in m and f'"{rule}"' in m,
          f"{what}: warning does not say it breaks {rule}: {m!r}")


# ------------------------------------------------------------------ psql

def psql(port, user, script, extra_args=()):
    """Runs script with psql (stdin) as user on 127.0.0.1:port; returns (rc, stdout, stderr)."""
    env = dict(os.environ, PGPASSWORD=USERS[user], PGCONNECT_TIMEOUT="10", PGAPPNAME="e2e_policies_psql")
    env.pop("PGSERVICE", None)
    proc = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "VERBOSITY=verbose", "-v", "ON_ERROR_STOP=0",
         "-h", HOST, "-p", str(port), "-U", user, "-d", DB, *extra_args],
        input=script, capture_output=True, text=True, env=env, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


# ------------------------------------------------------------------ test runner

def run_tests(tests, argv):
    """tests: {name: fn()}. argv[1] picks one, or 'all'. Prints each outcome."""
    names = argv[1:] or ["all"]
    selected = list(tests) if names == ["all"] else names
    for n in selected:
        check(n in tests, f"unknown test {n}; known: {', '.join(tests)}")
    require_env()
    exit_on_sigterm()
    failed = 0
    for n in selected:
        start = time.monotonic()
        try:
            tests[n]()
            print(f"PASS {n} ({time.monotonic() - start:.1f} s)")
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print(f"FAIL {n}: {type(e).__name__}: {e}")
            import traceback
            traceback.print_exc()
    sys.exit(1 if failed else 0)


def with_proxy_main(argv):
    """harness.py with-proxy PORT -- program args...: run a program beside a private proxy."""
    check(len(argv) >= 4 and argv[2] == "--", "usage: harness.py with-proxy PORT -- cmd...")
    port = int(argv[1])
    cmd = argv[argv.index("--") + 1:]
    require_env()
    exit_on_sigterm()
    proxy = Proxy(port)
    try:
        proxy.start()
        env = dict(os.environ, BLUESHIFT_POLICY_PROXY_PORT=str(port), BLUESHIFT_POLICY_AUDIT_FILE=proxy.audit_file)
        rc = subprocess.call(cmd, env=env, timeout=300)
        if rc != 0:
            print("---- proxy log (last 60 lines) ----")
            print("\n".join(proxy.log_text().splitlines()[-60:]))
        return rc
    finally:
        proxy.cleanup()


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "with-proxy":
        try:
            sys.exit(with_proxy_main(sys.argv[1:]))
        except TestFailure as e:
            print(f"FAIL: {e}")
            sys.exit(1)
    print(__doc__)
    sys.exit(2)

"""The admin console (issue 14) through real psql: a private blueshift in front of the dev
warehouse with console users, each test on its own ports.

Usage: /usr/bin/python3 console_tests.py {login|show|rules|reload|pause|pause_wait|pause_timeout|kill|shutdown|proxy_protocol}
Ports (127.0.0.1): 6900-6939, a block of four per test (proxy = base, http = base + 1).
Needs psql, Debian's python3-psycopg and python3-prometheus-client (the system interpreter).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "robustness"))
import pgwire as w  # noqa: E402
import pgwire_codec as codec  # noqa: E402
import ops_tests as ops  # noqa: E402

ADMIN = ("admin", "admin-console-pw")        # password_file
OPS = ("ops", "ops-console-pw")              # md5 verifier
AUDITOR = ("auditor", "auditor-console-pw")  # SCRAM verifier


def scram_verifier(password, salt=b"blueshift-test-salt", iterations=4096):
    """PostgreSQL's SCRAM-SHA-256 verifier for password."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}"


def console_section(directory):
    """The console: section, with the admin's password in a file of directory."""
    path = os.path.join(directory, "admin-password")
    with open(path, "w") as f:
        f.write(ADMIN[1] + "\n")
    md5 = "md5" + hashlib.md5((OPS[1] + OPS[0]).encode()).hexdigest()
    return (f"console:\n  users:\n    - name: {ADMIN[0]}\n      password_file: {path}\n"
            f"    - name: {OPS[0]}\n      md5: \"{md5}\"\n"
            f"    - name: {AUDITOR[0]}\n      scram: \"{scram_verifier(AUDITOR[1])}\"\n")


def start(track, base, extra="", directory=None):
    """A proxy with the console and the HTTP endpoint on base + 1."""
    directory = directory or os.environ.get("TMPDIR", "/tmp")
    return track(w.Proxy(base, w.warehouse_port(), config=ops.config(base + 1, console_section(directory) + extra)))


def psql(port, sql, user=ADMIN, database="blueshift"):
    """psql -c sql (a list: one -c each, one session); (return code, stdout, stderr)."""
    commands = [sql] if isinstance(sql, str) else sql
    binary = shutil.which("psql")
    w.require(binary is not None, "psql is not installed")
    env = dict(os.environ, PGPASSWORD=user[1], PGCONNECT_TIMEOUT="5")
    out = subprocess.run([binary, f"host={w.HOST} port={port} user={user[0]} dbname={database} sslmode=disable",
                          "-X", "-A", "-F", "\t", "-P", "footer=off", "-v", "ON_ERROR_STOP=0",
                          *[arg for c in commands for arg in ("-c", c)]],
                         env=env, capture_output=True, text=True, timeout=30)
    return out.returncode, out.stdout, out.stderr


def table(port, sql, user=ADMIN):
    """The rows of a console command as dicts (psql's unaligned output)."""
    rc, out, err = psql(port, sql, user)
    w.check(rc == 0 and not err.strip(), f"{sql}: psql exited {rc}: {err.strip()}")
    lines = out.rstrip("\n").split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def command(port, sql, user=ADMIN):
    """A console command without rows; its tag (psql prints it)."""
    rc, out, err = psql(port, sql, user)
    w.check(rc == 0 and not err.strip(), f"{sql}: psql exited {rc}: {err.strip()}")
    return out.strip()


def client_rows(port, **match):
    return [r for r in table(port, "SHOW CLIENTS") if all(r.get(k) == v for k, v in match.items())]


# ------------------------------------------------------------------ login

def test_login(track, cleanups):
    """Each way of proving a password logs in; a wrong one, and a user who is no admin, are
    refused with 28P01 and never reach the warehouse; without users the console is off."""
    base = 6900
    proxy = start(track, base, directory=tempfile_dir(cleanups))
    for user in (ADMIN, OPS, AUDITOR):
        w.check(table(base, "SHOW VERSION", user)[0]["version"].startswith("blueshift "), f"{user[0]} cannot log in")
    for user in ((ADMIN[0], "wrong"), (OPS[0], "wrong"), (AUDITOR[0], "wrong"), w.ANALYST):
        rc, _, err = psql(base, "SHOW VERSION", user)
        w.check(rc != 0 and "password authentication failed" in err, f"{user[0]} with {user[1]!r}: {rc} {err}")
    w.check("admin console: login refused for user analyst" in proxy.log_text(), "the refusal is not logged")
    # The warehouse has no database `blueshift`: an answer proves the console gave it.
    w.check(w.psql_ok(base) == "42", "an ordinary client cannot use the proxy")

    off = track(w.Proxy(base + 2, w.warehouse_port(), config=""))
    rc, _, err = psql(base + 2, "SHOW VERSION")
    w.check(rc != 0 and 'database "blueshift" does not exist' in err and "console.users" in err,
            f"a proxy without console users: {rc} {err}")
    w.check(proxy.alive() and off.alive(), "a proxy died")


def tempfile_dir(cleanups):
    import tempfile
    directory = tempfile.mkdtemp(prefix="blueshift-console-")
    cleanups.append(lambda: shutil.rmtree(directory, ignore_errors=True))
    return directory


# ------------------------------------------------------------------ SHOW, errors

def test_show(track, cleanups):
    """SHOW CLIENTS/SERVERS/STATS/CONFIG/VERSION as tables; plain SQL and unknown commands get
    an ERROR with the list of commands and the session goes on; the extended protocol gets an
    ERROR up to its Sync."""
    base = 6904
    proxy = start(track, base, directory=tempfile_dir(cleanups))
    conn = ops.connect(base, autocommit=True, application_name="console-show")
    cleanups.append(conn.close)
    for i in range(7):
        conn.execute("select %s::text", (str(i),)).fetchall()

    mine = client_rows(base, application_name="console-show")
    w.check(len(mine) == 1 and mine[0]["user"] == "analyst" and mine[0]["database"] == "dev"
            and mine[0]["state"] == "idle" and mine[0]["addr"].startswith("127.0.0.1:"), f"SHOW CLIENTS: {mine}")
    w.check(int(mine[0]["queries"]) >= 7, f"the session's queries: {mine}")
    servers = [r for r in table(base, "SHOW SERVERS") if r["client_id"] == mine[0]["id"]]
    w.check(len(servers) == 1 and int(servers[0]["backend_pid"]) == conn.info.backend_pid,
            f"SHOW SERVERS {servers}, backend pid {conn.info.backend_pid}")
    stats = [r for r in table(base, "show stats;") if (r["database"], r["user"]) == ("dev", "analyst")]
    w.check(len(stats) == 1 and int(stats[0]["total_query_count"]) >= 7 and int(stats[0]["total_received"]) > 0
            and int(stats[0]["total_sent"]) > 0 and stats[0]["clients"] == "1", f"SHOW STATS: {stats}")

    # A running statement: active, with its age.
    thread = threading.Thread(target=lambda: conn.execute("select pg_sleep(4)").fetchall())
    thread.start()
    time.sleep(0.7)
    active = client_rows(base, application_name="console-show")
    thread.join(10)
    w.check(active and active[0]["state"] == "active" and float(active[0]["statement_seconds"]) >= 0.3,
            f"a running statement: {active}")

    config = {r["key"]: r for r in table(base, "SHOW CONFIG")}
    w.check(config["listen"]["value"] == f"127.0.0.1:{base}" and config["listen"]["changeable"] == "restart",
            f"listen: {config.get('listen')}")
    w.check(config["limits.max_client_connections"]["changeable"] == "reload", "limits are not reloadable")
    w.check("running" in config["io_threads"]["value"] and "thread" in config["io_threads"]["value"],
            f"the thread plan is not shown: {config['io_threads']}")

    for sql in ("select 1", "SHOW POOLS", "KILL x"):
        rc, out, err = psql(base, [sql, "SHOW VERSION"])
        w.check("ERROR" in err and "HINT:  The admin console takes: SHOW STATS" in err, f"{sql}: {err}")
        w.check("blueshift " in out, f"the session did not go on after {sql!r}: {out!r}")

    raw = w.Client(base)
    cleanups.append(raw.close)
    w.check(w.login(raw, *ADMIN, database="blueshift") is None, "a raw client cannot log in")
    raw.send(codec.parse("", "SHOW VERSION") + codec.bind("", "") + codec.execute("") + codec.sync())
    fields = raw.expect_error("0A000")
    w.check("simple queries only" in fields.get("M", ""), f"extended protocol: {fields}")
    after = raw.read_until("Z")
    w.check([m[0] for m in after] == ["Z"], f"after the error, up to Sync: {[m[0] for m in after]}")
    rows, tags, error = raw.simple_query("SHOW VERSION")
    w.check(error is None and rows and rows[0][0].startswith("blueshift"), f"after the extended batch: {rows} {error}")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ SHOW RULES, /metrics

RULES = """catalog:
  conninfo: "host=127.0.0.1 port={dev} dbname=dev user=etl password=etl-dev-pw connect_timeout=10"
  refresh_seconds: 0
policies:
  catalog_tables: true
  rules:
    - name: no-delete-on-public
      type: deny_statements
      kinds: [delete]
      schemas: [public]
      scope: {{users: [analyst]}}
      mode: enforce
    - name: no-select-star-on-lake
      type: deny_select_star
      tables: ["spectrum_schema.*"]
      scope: {{users: [analyst]}}
      mode: warn
    - name: never-fires
      type: deny_statements
      kinds: [delete]
      scope: {{users: [nobody]}}
      mode: enforce
"""


def test_rules(track, cleanups):
    """Each rule's hits by outcome, in SHOW RULES and in /metrics."""
    base = 6908
    start(track, base, RULES.format(dev=w.warehouse_port()), directory=tempfile_dir(cleanups))
    conn = ops.connect(base, autocommit=True)
    cleanups.append(conn.close)
    for _ in range(2):
        w.check(ops.sqlstate_of(lambda: conn.execute("delete from customers where false")) == "42501",
                "the delete was not refused")
    conn.execute("select * from spectrum_schema.sales where year = 2024 and month = 1 limit 1").fetchall()
    rules = {r["rule"]: r for r in table(base, "SHOW RULES")}
    w.check(list(rules) == ["no-delete-on-public", "no-select-star-on-lake", "never-fires"], f"rules: {list(rules)}")
    counts = {name: (r["refused"], r["warned"], r["audited"]) for name, r in rules.items()}
    w.check(counts == {"no-delete-on-public": ("2", "0", "0"), "no-select-star-on-lake": ("0", "1", "0"),
                       "never-fires": ("0", "0", "0")}, f"SHOW RULES counts: {counts}")
    w.check(rules["no-delete-on-public"]["type"] == "deny_statements" and rules["no-delete-on-public"]["mode"] == "enforce",
            f"rule columns: {rules['no-delete-on-public']}")
    metrics = ops.scrape(base + 1)
    for (rule, outcome), expected in {("no-delete-on-public", "refused"): 2, ("no-select-star-on-lake", "warned"): 1,
                                      ("never-fires", "refused"): 0, ("no-delete-on-public", "warned"): 0}.items():
        got = ops.value(metrics, "blueshift_rule_decisions_total", rule=rule, outcome=outcome)
        w.check(got == expected, f"blueshift_rule_decisions_total{{{rule},{outcome}}} = {got}, not {expected}")


# ------------------------------------------------------------------ RELOAD

def test_reload(track, cleanups):
    """RELOAD applies a good file (as SIGHUP) and answers a bad one with an ERROR naming the
    key; the running configuration stays."""
    base = 6912
    directory = tempfile_dir(cleanups)
    proxy = start(track, base, directory=directory)
    path = os.path.join(proxy.dir, "config.yaml")

    def write(extra):
        with open(path, "w") as f:
            f.write(ops.config(base + 1, console_section(directory) + extra))

    def limit():
        return {r["key"]: r["value"] for r in table(base, "SHOW CONFIG")}["limits.max_client_connections"]

    write("limits:\n  max_client_connections: 77\n")
    w.check(command(base, "RELOAD") == "RELOAD", "a good file was not reloaded")
    w.check(limit() == "77", f"the reloaded limit: {limit()}")
    write("limits:\n  max_client_connections: 0\n")
    rc, _, err = psql(base, "RELOAD")
    w.check("reload failed, the running configuration stays" in err and "limits.max_client_connections" in err,
            f"a bad file: {rc} {err}")
    write("limits:\n  max_clients: 3\n")
    rc, _, err = psql(base, "RELOAD")
    w.check("'limits.max_clients': unknown key" in err, f"an unknown key: {err}")
    w.check(limit() == "77", "a bad file changed the running configuration")
    values = ops.scrape(base + 1)
    w.check(ops.value(values, "blueshift_reloads_total", result="ok") == 1
            and ops.value(values, "blueshift_reloads_total", result="failed") == 2, "the reloads were not counted")


# ------------------------------------------------------------------ PAUSE / RESUME

def test_pause(track, cleanups):
    """PAUSE holds a session's next statement; RESUME lets it run."""
    base = 6916
    start(track, base, directory=tempfile_dir(cleanups))
    conn = ops.connect(base, autocommit=True, application_name="console-pause")
    cleanups.append(conn.close)
    w.check(command(base, "PAUSE") == "PAUSE", "PAUSE did not answer")
    thread, done = hold_statement(conn, 1.0)
    held = client_rows(base, application_name="console-pause")
    w.check(held and held[0]["state"] == "paused", f"SHOW CLIENTS while paused: {held}")
    resume_releases(base, thread, done)


def hold_statement(conn, seconds):
    """While paused: `select 41 + 1` on conn, in a thread, not answered after `seconds`.
    (thread, done): done gets its rows and when they came."""
    done = {}
    thread = threading.Thread(target=lambda: done.update(rows=conn.execute("select 41 + 1").fetchall(),
                                                         at=time.monotonic()))
    thread.start()
    time.sleep(seconds)
    w.check("rows" not in done, "a statement ran while paused")
    return thread, done


def resume_releases(port, thread, done):
    """RESUME lets the statement hold_statement sent run, and not before."""
    resumed = time.monotonic()
    w.check(command(port, "RESUME") == "RESUME", "RESUME did not answer")
    thread.join(5)
    w.check(done.get("rows") == [(42,)], f"the held statement after RESUME: {done}")
    w.check(done["at"] >= resumed, "the statement ran before RESUME")


def sleeper(port, seconds, application_name):
    """A thread running pg_sleep(seconds) through the proxy; done gets the time it ended."""
    conn = ops.connect(port, autocommit=True, application_name=application_name)
    done = {}

    def run():
        conn.execute(f"select pg_sleep({seconds})").fetchall()
        done["at"] = time.monotonic()
        conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while not client_rows(port, application_name=application_name, state="active"):
        w.check(time.monotonic() < deadline, f"{application_name}'s pg_sleep is not listed as active")
        time.sleep(0.05)
    return thread, done


def test_pause_wait(track, cleanups):
    """PAUSE answers only once no statement runs upstream, as PgBouncer's does: a running
    pg_sleep finishes first; a statement sent meanwhile is held until RESUME."""
    base = 6932
    start(track, base, directory=tempfile_dir(cleanups))
    idle = ops.connect(base, autocommit=True, application_name="console-pause-idle")
    cleanups.append(idle.close)
    sleeping, slept = sleeper(base, 4, "console-pause-sleeper")
    began = time.monotonic()
    w.check(command(base, "PAUSE") == "PAUSE", "PAUSE did not answer")
    paused_at = time.monotonic()
    sleeping.join(10)
    w.check("at" in slept and slept["at"] <= paused_at, "PAUSE answered while pg_sleep still ran")
    w.check(paused_at - began >= 1.0, f"PAUSE answered after {paused_at - began:.2f} s of a 4 s sleep")
    resume_releases(base, *hold_statement(idle, 0.5))


def test_pause_timeout(track, cleanups):
    """A statement that outlasts console.pause_timeout_ms: PAUSE answers 57014 naming it, the
    proxy stays paused (new statements wait) until RESUME."""
    base = 6936
    start(track, base, extra="  pause_timeout_ms: 300\n", directory=tempfile_dir(cleanups))
    idle = ops.connect(base, autocommit=True, application_name="console-pause-idle")
    cleanups.append(idle.close)
    sleeping, slept = sleeper(base, 6, "console-pause-sleeper")
    began = time.monotonic()
    rc, _, err = psql(base, "PAUSE")
    took = time.monotonic() - began
    w.check("57014" in err or "timed out" in err, f"PAUSE past its timeout: {rc} {err}")
    w.check("1 statement" in err, f"the error counts the running statement: {err}")
    w.check(took < 5 and "at" not in slept, f"PAUSE waited {took:.2f} s, past its 0.3 s timeout")
    resume_releases(base, *hold_statement(idle, 0.5))  # still paused after the timeout
    sleeping.join(10)
    w.check("at" in slept, "the long statement did not finish")


# ------------------------------------------------------------------ KILL

def test_kill(track, cleanups):
    """KILL ends exactly the session named, with FATAL 57P01; the others go on."""
    base = 6920
    proxy = start(track, base, directory=tempfile_dir(cleanups))
    victim = ops.connect(base, autocommit=True, application_name="console-victim")
    other = ops.connect(base, autocommit=True, application_name="console-other")
    cleanups.extend([victim.close, other.close])
    target = client_rows(base, application_name="console-victim")
    w.check(len(target) == 1, f"the victim is not listed: {target}")
    w.check(command(base, f"KILL {target[0]['id']}") == "KILL", "KILL did not answer")
    time.sleep(0.3)
    w.check(ops.terminated(victim), "the killed session was not ended with 57P01")
    w.check(other.execute("select 41 + 1").fetchone()[0] == 42, "another session was ended")
    w.check(not client_rows(base, application_name="console-victim"), "the killed session is still listed")
    rc, _, err = psql(base, "KILL 999999")
    w.check("no client with id 999999" in err, f"KILL of an unknown id: {err}")
    w.check("reason=\"killed from the admin console\"" in proxy.log_text(), "the kill is not logged as such")


# ------------------------------------------------------------------ SHUTDOWN

def test_shutdown(track, cleanups):
    """SHUTDOWN drains as SIGTERM does: readiness fails, idle sessions end with 57P01, a
    running statement finishes, then the process exits 0."""
    base = 6924
    proxy = start(track, base, "drain:\n  timeout_ms: 20000\n", directory=tempfile_dir(cleanups))
    idle = ops.connect(base, autocommit=True)
    busy = ops.connect(base, autocommit=True)
    cleanups.extend([idle.close, busy.close])
    slept = {}
    thread = threading.Thread(target=lambda: slept.update(rows=busy.execute("select pg_sleep(5), 'slept'").fetchall()))
    thread.start()
    time.sleep(0.3)
    rc, out, err = psql(base, "SHUTDOWN")
    w.check("SHUTDOWN" in out, f"SHUTDOWN: {rc} {out} {err}")
    status, _, body = ops.get(base + 1, "/readyz")
    w.check(status == 503 and "draining" in body, f"/readyz after SHUTDOWN: {status} {body}")
    w.check(ops.terminated(idle), "the idle session was not ended with 57P01")
    thread.join(10)
    w.check([r[1] for r in slept.get("rows", [])] == ["slept"], f"the running statement was cut: {slept}")
    proxy.proc.wait(10)
    w.check(proxy.proc.returncode == 0, f"blueshift exited with {proxy.proc.returncode}")
    w.check("drain complete" in proxy.log_text(), "no 'drain complete' line in the log")


# ------------------------------------------------------------------ PROXY protocol

def test_proxy_protocol(track, cleanups):
    """SHOW CLIENTS shows the address a PROXY v2 header carried, not the balancer's."""
    base = 6928
    start(track, base, "proxy_protocol:\n  trusted: [127.0.0.0/8]\n  required: false\n",
          directory=tempfile_dir(cleanups))
    c = w.Client(base)
    cleanups.append(c.close)
    c.send(ops.v2_header("198.51.100.4", 40000, base))
    w.check(w.login(c, *w.ANALYST, extra=[("application_name", "behind-haproxy")]) is None, "no login through v2")
    rows = client_rows(base, application_name="behind-haproxy")
    w.check(len(rows) == 1 and rows[0]["addr"] == "198.51.100.4:40000", f"SHOW CLIENTS under PROXY v2: {rows}")


TESTS = {
    "login": test_login,
    "show": test_show,
    "rules": test_rules,
    "reload": test_reload,
    "pause": test_pause,
    "pause_wait": test_pause_wait,
    "pause_timeout": test_pause_timeout,
    "kill": test_kill,
    "shutdown": test_shutdown,
    "proxy_protocol": test_proxy_protocol,
}

if __name__ == "__main__":
    sys.exit(w.run(TESTS, sys.argv[1:]))

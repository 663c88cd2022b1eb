"""Scale-out (issue 14): real HAProxy (deploy/haproxy/haproxy.cfg on loopback) in front of two
blueshift instances with PROXY protocol v2 and health checks on /readyz, under pgbench and psql
while one instance drains (SIGTERM), comes back, and the other is killed (SIGKILL); rules
scoped by the real client address (client_addresses); and a reload reaching open sessions at
their next statement.

Usage: /usr/bin/python3 scaleout_tests.py {scaleout|client_addresses|reload_open_sessions}
Ports (127.0.0.1): 6850-6859, and 6984-6985 for reload_upserts. Needs haproxy, pgbench and psql (Debian's), and what
ops_tests.py needs.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import ops_tests as ops

w = ops.w
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
# HAProxy's own address towards the instances, so that a log or audit line naming it (and
# not the client's 127.0.0.1) shows the PROXY header was not used.
HAPROXY_SOURCE = "127.0.0.9"
PROBE_APP = "scaleout-probe"


# ------------------------------------------------------------------ HAProxy

def haproxy_config(front, instances, stats_socket):
    """deploy/haproxy/haproxy.cfg on loopback: the frontend on front, one server per
    (port, http_port), checked every 200 ms, connecting from HAPROXY_SOURCE."""
    with open(os.path.join(ROOT, "deploy", "haproxy", "haproxy.cfg")) as f:
        text = f.read()
    text = re.sub(r"^(\s*)bind :\d+$", rf"\g<1>bind 127.0.0.1:{front}", text, flags=re.M)
    text = re.sub(r"^(\s*)maxconn \d+$", rf"\g<1>maxconn 200\n\g<1>stats socket {stats_socket}", text,
                  count=1, flags=re.M)
    servers = re.findall(r"^\s*server .*$", text, re.M)
    w.check(len(servers) == len(instances), f"the example has {len(servers)} servers, the test {len(instances)}")
    for line, (port, http) in zip(servers, instances):
        new = re.sub(r"\d+\.\d+\.\d+\.\d+:\d+", f"127.0.0.1:{port}", line)
        new = re.sub(r"port \d+", f"port {http}", new)
        new = re.sub(r"inter \S+ fall \d+ rise \d+", "inter 200ms fall 1 rise 1", new)
        text = text.replace(line, f"{new} source {HAPROXY_SOURCE}")
    return text


class HAProxy:
    def __init__(self, workdir, front, instances):
        w.require(shutil.which("haproxy") is not None, "haproxy is not installed (Debian: haproxy)")
        self.front = front
        self.socket_path = os.path.join(workdir, "haproxy.sock")
        path = os.path.join(workdir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(haproxy_config(front, instances, self.socket_path))
        self.log_path = os.path.join(workdir, "haproxy.log")
        self.log = open(self.log_path, "wb")
        w.wait_port_free(front)
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + w.WAIT
        while not os.path.exists(self.socket_path):
            w.check(self.proc.poll() is None, f"haproxy exited at start-up: {self.log_text()}")
            w.check(time.monotonic() < deadline, "haproxy did not start")
            time.sleep(0.05)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def statuses(self):
        """{server name: UP/DOWN/...} from the stats socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.socket_path)
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "blueshift" and r["svname"] != "BACKEND"}

    def wait_status(self, server, wanted):
        deadline = time.monotonic() + w.WAIT
        while not self.statuses().get(server, "").startswith(wanted):
            w.check(time.monotonic() < deadline, f"haproxy: {server} not {wanted}: {self.statuses()}")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()


# ------------------------------------------------------------------ the instances

def instance_config(http_port, audit_file):
    """Behind HAProxy: its header trusted from HAPROXY_SOURCE only, probe statements audited."""
    return ops.config(http_port, f"""proxy_protocol:
  trusted: [{HAPROXY_SOURCE}/32]
drain:
  timeout_ms: 20000
audit:
  file: {audit_file}
policies:
  rules:
    - name: audit-probes
      type: deny_statements
      kinds: [select]
      mode: audit
      scope: {{applications: ['{PROBE_APP}*']}}
""")


def new_sessions_work(port, count=5):
    """count sessions opened one after another through port, each running a statement."""
    for i in range(count):
        w.check(w.psql_ok(port, sql=f"select 40 + {i}") == str(40 + i), f"new session {i} through HAProxy")


def audit_records(path):
    import json
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_pgbench(workdir, port, seconds):
    """pgbench -c 8 for seconds through port in the background: (process, its output file)."""
    w.require(shutil.which("pgbench") is not None, "pgbench is not installed (Debian: postgresql-client-15)")
    script = os.path.join(workdir, "tx.sql")
    with open(script, "w") as f:
        f.write("BEGIN;\nSELECT pg_sleep(0.02);\nSELECT :client_id;\nEND;\n")
    out_path = os.path.join(workdir, "pgbench.log")
    out = open(out_path, "wb")
    env = dict(os.environ, PGPASSWORD=w.ETL[1], PGCONNECT_TIMEOUT="5", PGAPPNAME="scaleout-pgbench")
    proc = subprocess.Popen(["pgbench", "-n", "-c", "8", "-j", "2", "-T", str(seconds), "-f", script,
                             "-h", "127.0.0.1", "-p", str(port), "-U", w.ETL[0], "dev"],
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    return proc, out_path


def check_pgbench(proc, out_path):
    """No transaction failed; the only clients that stopped were ended by the drain between
    transactions (FATAL 57P01 read when sending BEGIN, command 0 of the script)."""
    proc.wait(60)
    with open(out_path) as f:
        text = f.read()
    print(text)
    processed = re.search(r"^number of transactions actually processed: (\d+)", text, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
    w.check(processed and int(processed.group(1)) > 0, "pgbench processed no transaction")
    w.check(failed and failed.group(1) == "0", "pgbench counted failed transactions")
    aborted = [line for line in text.splitlines() if "aborted" in line and "client" in line]
    w.check(len(aborted) < 8, "every pgbench client was cut: none kept going on the other instance")
    for line in aborted:
        w.check(re.search(r"aborted in command 0\b", line) and "administrator command" in text,
                f"a client was cut inside a transaction, or not by the drain: {line}")
    return len(aborted)


def landed_on(instances, app):
    """The name of the instance whose log shows a session of application app."""
    names = [n for n, p in instances.items() if f"application_name={app} " in p.log_text()]
    w.check(len(names) == 1, f"{app} is in the logs of {names}")
    return names[0]


def test_scaleout(track, cleanups):
    """HAProxy in front of two instances: a drain (SIGTERM) under pgbench cuts no running
    statement or transaction and new sessions go to the other; the drained instance comes
    back; the other is killed (SIGKILL) and new sessions still work; audit and log lines name
    the client's address, not HAProxy's."""
    front, ports, https = 6850, {"a": 6851, "b": 6852}, {"a": 6853, "b": 6854}
    upstream = w.warehouse_port()
    workdir = tempfile.mkdtemp(prefix="blueshift-scaleout-")
    cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    os.environ["PGAPPNAME"] = PROBE_APP  # psql's sessions (w.psql_ok) are audited
    audit = {n: os.path.join(workdir, f"audit-{n}.jsonl") for n in ports}

    def start(name):
        return track(w.Proxy(ports[name], upstream, config=instance_config(https[name], audit[name])))

    instances = {n: start(n) for n in ports}
    lb = HAProxy(workdir, front, [(ports[n], https[n]) for n in ports])
    cleanups.append(lb.stop)
    servers = {"a": "blueshift-1", "b": "blueshift-2"}  # the example's server names, in order
    for server in servers.values():
        lb.wait_status(server, "UP")
    new_sessions_work(front)

    bench, bench_out = run_pgbench(workdir, front, seconds=8)
    cleanups.append(lambda: bench.poll() is None and bench.kill())
    time.sleep(1)
    long_results = {}

    def long_statement(i):
        app = f"{PROBE_APP}-long-{i}"
        try:
            with ops.connect(front, autocommit=True, application_name=app) as conn:
                long_results[app] = conn.execute("select pg_sleep(3), 42").fetchone()[1]
        except Exception as e:  # noqa: BLE001 - reported by the check below
            long_results[app] = repr(e)

    threads = [threading.Thread(target=long_statement, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    by_instance = {app: landed_on(instances, app) for app in (f"{PROBE_APP}-long-{i}" for i in range(4))}
    drained = by_instance[f"{PROBE_APP}-long-0"]  # runs a long statement
    other = "b" if drained == "a" else "a"
    print(f"long statements on {by_instance}; draining {drained}, then killing {other}")

    instances[drained].proc.send_signal(signal.SIGTERM)  # the drain, mid-run
    lb.wait_status(servers[drained], "DOWN")
    new_sessions_work(front)  # while it drains
    instances[drained].proc.wait(w.WAIT)
    w.check("drain complete: every session has ended" in instances[drained].log_text(), "the instance did not drain")
    for t in threads:
        t.join(w.WAIT)
    w.check(all(v == 42 for v in long_results.values()) and len(long_results) == 4,
            f"the drain cut a running statement: {long_results}")

    instances[drained].stop()
    instances[drained] = start(drained)  # back, on the same ports
    lb.wait_status(servers[drained], "UP")
    aborted = check_pgbench(bench, bench_out)
    print(f"pgbench: {aborted} clients ended by the drain between transactions, none failed")

    instances[other].proc.kill()  # outright
    instances[other].proc.wait(w.WAIT)
    new_sessions_work(front)
    lb.wait_status(servers[other], "DOWN")
    new_sessions_work(front)

    records = audit_records(audit["a"]) + audit_records(audit["b"])
    w.check(len(records) >= 15, f"too few audit lines for the probes: {len(records)}")
    addresses = {r.get("client_address") for r in records}
    w.check(addresses == {"127.0.0.1"}, f"audit lines name {addresses}, not only the client's 127.0.0.1")
    for name, p in instances.items():
        log = p.log_text()
        w.check(f"client={HAPROXY_SOURCE}:" not in log, f"instance {name} logged HAProxy's address as the client's")
    w.check("connection open client=127.0.0.1:" in instances[drained].log_text(), "the client's address is not logged")


# ------------------------------------------------------------------ client_addresses

def v1_header(source, port):
    family = "TCP6" if ":" in source else "TCP4"
    destination = "::1" if ":" in source else "127.0.0.1"
    return f"PROXY {family} {source} {destination} 40000 {port}\r\n".encode()


def test_client_addresses(track, cleanups):
    """The same user and statement through PROXY headers: refused by a rule scoped to the
    client's network (IPv4 and IPv6), run from outside it; an exemption by network works too."""
    port = 6856
    upstream = w.warehouse_port()
    proxy = track(w.Proxy(port, upstream, config="""proxy_protocol:
  trusted: [127.0.0.0/8]
  required: false
policies:
  rules:
    - name: lab-network-reads-nothing
      type: deny_statements
      kinds: [select]
      scope: {client_addresses: [198.51.100.0/24, '2001:db8:1::/48']}
      exempt: {client_addresses: [198.51.100.7]}
"""))
    cases = [
        (ops.v2_header("198.51.100.20", 40000, port), True, "IPv4 inside, v2"),
        (v1_header("198.51.100.21", port), True, "IPv4 inside, v1"),
        (v1_header("2001:db8:1:2::5", port), True, "IPv6 inside"),
        (ops.v2_header("198.51.101.20", 40000, port), False, "IPv4 outside"),
        (v1_header("2001:db8:2::5", port), False, "IPv6 outside"),
        (ops.v2_header("198.51.100.7", 40000, port), False, "inside, but exempt"),
        (b"", False, "no header: the peer's own 127.0.0.1"),
    ]
    for header, refused, what in cases:
        error = ops.login_through(port, header)
        if refused:
            w.check(isinstance(error, dict) and error.get("C") == "42501" and
                    "lab-network-reads-nothing" in str(error), f"{what}: not refused by the rule: {error}")
        else:
            w.check(error is None, f"{what}: {error}")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ reload reaching open sessions

def reload_config(proxy, http, text):
    """Writes text as the proxy's config, SIGHUP, and waits for the reload to succeed."""
    before = ops.value(ops.scrape(http), "blueshift_reloads_total", result="ok")
    with open(os.path.join(proxy.dir, "config.yaml"), "w") as f:
        f.write(ops.config(http, text))
    proxy.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + w.WAIT
    while ops.value(ops.scrape(http), "blueshift_reloads_total", result="ok") == before:
        w.check(time.monotonic() < deadline, f"the reload of {text!r} did not succeed:\n{proxy.log_text()}")
        time.sleep(0.05)


def test_reload_open_sessions(track, cleanups):
    """Sessions open before a reload follow its limits from their next statement: a
    query_timeout set by a reload ends the next long statement of a session that logged in
    with no limits (its watchdog started by the reload) and of one whose watchdog was waiting
    on an older, longer limit; an idle timeout set by a reload ends an open session."""
    port, http = 6858, 6859
    upstream = w.warehouse_port()
    rules = "policies:\n  rules:\n    - {name: no-drop, type: deny_statements, kinds: [drop]}\n"
    proxy = track(w.Proxy(port, upstream, config=ops.config(http, rules), log_level=""))

    def reload(limits):
        reload_config(proxy, http, rules + limits)

    def cut_after(conn):
        """Runs a 5 s statement; (its SQLSTATE, seconds it took)."""
        started = time.monotonic()
        state = ops.sqlstate_of(lambda: conn.execute("select pg_sleep(5)"))
        return state, time.monotonic() - started

    unlimited = ops.connect(port, autocommit=True)  # logs in with no limit: no watchdog
    waiting = ops.connect(port, autocommit=True)
    idle = ops.connect(port, autocommit=True)
    for c in (unlimited, waiting, idle):
        cleanups.append(c.close)
    reload("limits:\n  idle_client_timeout_ms: 60000\n")
    w.check(waiting.execute("select 1").fetchone()[0] == 1, "a statement after the first reload")  # watchdog: 60 s
    reload("limits:\n  idle_client_timeout_ms: 60000\n  query_timeout_ms: 700\n")
    for name, conn in (("waiting on the older limit", waiting), ("no limit at login", unlimited)):
        state, took = cut_after(conn)
        w.check(state is not None and ("57014" in state or "ran longer than 700 ms" in state) and took < 4,
                f"session {name}: the reloaded query_timeout_ms did not apply: {state!r} after {took:.1f} s")

    reload("limits:\n  idle_client_timeout_ms: 1000\n")
    w.check(idle.execute("select 1").fetchone()[0] == 1, "the idle session's next statement")
    time.sleep(2.5)
    state = ops.sqlstate_of(lambda: idle.execute("select 1"))
    w.check(state is not None and ("57P05" in state or "idle timeout" in state) or idle.closed,
            f"the reloaded idle timeout did not end the open session: {state!r}")
    w.check("idle timeout" in proxy.log_text(), "no idle timeout in the log")
    with ops.connect(port, autocommit=True) as fresh:
        w.check(fresh.execute("select 41 + 1").fetchone()[0] == 42, "a new session after the reloads")
    w.check(proxy.alive(), "the proxy died")


def test_reload_upserts(track, cleanups):
    """A session open before a reload follows its `upserts:` section from its next statement.
    The table has no unique key: PostgreSQL refuses ON CONFLICT on it natively (42P10), while
    the staged rewrite (as for Redshift, which enforces no keys) runs it. So the same text
    fails while the table is not in upserts.tables and works once a reload puts it there."""
    port, http = 6984, 6985
    table = f"upsert_reload_{os.getpid()}"
    section = "upserts:\n  enabled: true\n  tables: [{}]\n  warehouse: postgresql\n"
    direct = ops.connect(w.warehouse_port(), user=w.ETL, autocommit=True)  # etl may create in public
    cleanups.append(direct.close)
    direct.execute(f"DROP TABLE IF EXISTS {table}")
    direct.execute(f"CREATE TABLE {table} (k int, v text)")
    cleanups.append(lambda: direct.execute(f"DROP TABLE IF EXISTS {table}"))
    proxy = track(w.Proxy(port, w.warehouse_port(), config=ops.config(http, section.format('"other_table"'))))
    conn = ops.connect(port, user=w.ETL, autocommit=True)
    cleanups.append(conn.close)
    upsert = f"INSERT INTO {table} (k, v) VALUES (1, %s) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
    state = ops.sqlstate_of(lambda: conn.execute(upsert, ("a",)))
    w.check(state == "42P10", f"before the reload the upsert must reach PostgreSQL as is: {state!r}")

    reload_config(proxy, http, section.format(f'"{table}"'))
    for value in ("a", "b"):
        state = ops.sqlstate_of(lambda: conn.execute(upsert, (value,)))
        w.check(state is None, f"after the reload the open session's upsert must be staged: {state!r}")
    w.check(conn.execute(f"SELECT k, v FROM {table}").fetchall() == [(1, "b")], "the staged upserts' rows")

    reload_config(proxy, http, "")  # no upserts section: rewrites off
    state = ops.sqlstate_of(lambda: conn.execute(upsert, ("c",)))
    w.check(state == "42P10", f"after upserts were reloaded off the upsert must reach PostgreSQL as is: {state!r}")
    w.check(proxy.alive(), "the proxy died")

    # Started with upserts off, then switched on by a reload: a form whose key comes from the
    # catalog (ON CONFLICT DO NOTHING without a target) is staged too, with no restart.
    conn.close()
    proxy.stop()
    keyed = f"{table}_keyed"
    direct.execute(f"DROP TABLE IF EXISTS {keyed}")
    direct.execute(f"CREATE TABLE {keyed} (k int UNIQUE, v text)")
    cleanups.append(lambda: direct.execute(f"DROP TABLE IF EXISTS {keyed}"))
    catalog = (f'catalog:\n  conninfo: "host=127.0.0.1 port={w.warehouse_port()} dbname=dev user=etl '
               f'password=etl-dev-pw connect_timeout=10"\n')
    proxy = track(w.Proxy(port, w.warehouse_port(), config=ops.config(http, catalog)))
    conn = ops.connect(port, user=w.ETL, autocommit=True)
    cleanups.append(conn.close)
    reload_config(proxy, http, catalog + section.format(f'"{keyed}"'))
    nothing = f"INSERT INTO {keyed} (k, v) VALUES (1, %s) ON CONFLICT DO NOTHING"
    deadline = time.monotonic() + w.WAIT
    for value in ("a", "b"):
        state = ops.sqlstate_of(lambda: conn.execute(nothing, (value,)))
        while state == "55000" and time.monotonic() < deadline:  # the keys are being read
            time.sleep(0.2)
            state = ops.sqlstate_of(lambda: conn.execute(nothing, (value,)))
        w.check(state is None, f"a targetless upsert after upserts were reloaded on: {state!r}")
    w.check(conn.execute(f"SELECT k, v FROM {keyed}").fetchall() == [(1, "a")], "the targetless upserts' rows")
    w.check(proxy.alive(), "the proxy died")


TESTS = {
    "scaleout": test_scaleout,
    "client_addresses": test_client_addresses,
    "reload_open_sessions": test_reload_open_sessions,
    "reload_upserts": test_reload_upserts,
}

if __name__ == "__main__":
    sys.exit(w.run(TESTS, sys.argv[1:]))

"""Running it in production (issue 14), each test with a private blueshift in front of the dev
warehouse: the operations HTTP endpoint (/metrics parsed by prometheus_client's parser and
checked line by line against the text format, counters moving with traffic; /healthz, /readyz),
the graceful drain on SIGTERM (idle sessions ended with FATAL 57P01, a transaction and a
running statement let finish, a deadline that ends what is left), and SIGHUP reloads (good,
bad and restart-only changes), and PROXY protocol v1/v2 headers from trusted and untrusted peers.

Usage: /usr/bin/python3 ops_tests.py {metrics|readyz_catalog|drain|drain_deadline|reload|proxy_protocol}
Ports (127.0.0.1): 6760-6783, a block of four per test (proxy = base, http = base + 1).
Needs Debian's python3-psycopg and python3-prometheus-client (the system interpreter).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "robustness"))
import pgwire as w  # noqa: E402

try:
    import psycopg
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as e:  # skipped locally, a failure under CI (w.require)
    w.require(False, f"python module missing: {e.name} (Debian: python3-psycopg, python3-prometheus-client)")


def config(http_port, extra=""):
    return f"http:\n  listen: 127.0.0.1:{http_port}\n{extra}"


def get(port, path, method="GET"):
    """(status, content type, body) of one request to the proxy's HTTP endpoint. The proxy
    opens its HTTP port just after its client port (which w.Proxy waits for): a refused
    connection is tried again for up to 2 s."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    deadline = time.monotonic() + 2
    while True:
        try:
            with urllib.request.urlopen(request, timeout=w.WAIT) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read().decode()
        except urllib.error.URLError as e:
            if not isinstance(e.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def connect(port, user=w.ANALYST, **kwargs):
    """A psycopg connection whose notices' SQLSTATEs collect in conn.notice_states."""
    conn = psycopg.connect(host=w.HOST, port=port, user=user[0], password=user[1], dbname="dev",
                           sslmode="disable", connect_timeout=5, **kwargs)
    conn.notice_states = []
    conn.add_notice_handler(lambda diag: conn.notice_states.append(diag.sqlstate))
    return conn


# ------------------------------------------------------------------ the text format, strictly

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
VALUE = r"(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|Inf)|NaN)"
SAMPLE = re.compile(rf"^({NAME})(?:\{{{LABEL}(?:,{LABEL})*\}})? {VALUE}$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


def check_exposition(text):
    """Prometheus text format 0.0.4: HELP then TYPE before a family's samples, each family
    once, sample names of the family (histograms: _bucket/_sum/_count), ending in a newline."""
    w.check(text.endswith("\n"), "the exposition does not end with a newline")
    declared = {}
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        where = f"line {number} {line!r}"
        if m := HELP.match(line):
            w.check(m.group(1) not in declared, f"{where}: family declared twice")
            current = m.group(1)
            declared[current] = None
            continue
        if m := TYPE.match(line):
            w.check(m.group(1) == current and declared[current] is None, f"{where}: TYPE without its HELP")
            declared[current] = m.group(2)
            continue
        m = SAMPLE.match(line)
        w.check(m is not None, f"{where}: not a valid sample line")
        w.check(current is not None and declared[current] is not None, f"{where}: sample before HELP/TYPE")
        allowed = {current}
        if declared[current] == "histogram":
            allowed = {current + "_bucket", current + "_sum", current + "_count"}
        w.check(m.group(1) in allowed, f"{where}: sample outside its family {current}")
    return declared


def scrape(port):
    status, content_type, body = get(port, "/metrics")
    w.check(status == 200, f"/metrics answered {status}")
    w.check(content_type.startswith("text/plain; version=0.0.4"), f"/metrics content type {content_type!r}")
    check_exposition(body)
    values = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(values, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    w.check(key in values, f"{name}{labels} is not exposed")
    return values[key]


# ------------------------------------------------------------------ 1. /metrics, /healthz, /readyz

def test_metrics(track, cleanups):
    """Counters move as traffic flows, as the parser reads them; health answers; the endpoint
    refuses what it does not serve."""
    base = 6760
    upstream = w.warehouse_port()
    proxy = track(w.Proxy(base, upstream, config=config(base + 1)))
    before = scrape(base + 1)
    queries = 25
    with connect(base) as conn:
        for i in range(queries):
            conn.execute("select pg_sleep(0.01), %s::text", (str(i) * 100,)).fetchall()
        with conn.cursor() as cur:
            cur.execute("select repeat('x', 100000)")
            w.check(len(cur.fetchone()[0]) == 100000, "the big row did not arrive")
    after = scrape(base + 1)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    w.check(moved("blueshift_connections_total") >= 1, "blueshift_connections_total did not move")
    w.check(moved("blueshift_upstream_connects_total") >= 1, "blueshift_upstream_connects_total did not move")
    # psycopg's own statements (none in autocommit-off before the first query) add to ours.
    w.check(moved("blueshift_queries_total") >= queries + 1, f"queries moved {moved('blueshift_queries_total')}")
    w.check(moved("blueshift_query_duration_seconds_count") == moved("blueshift_queries_total"),
            "the latency histogram counts other queries than blueshift_queries_total")
    slow = moved("blueshift_query_duration_seconds_count") - moved("blueshift_query_duration_seconds_bucket", le="0.01")
    w.check(slow >= queries, f"only {slow} queries took more than 10 ms, {queries} slept 10 ms")
    w.check(moved("blueshift_query_duration_seconds_sum") >= queries * 0.01, "the latency sum is below the sleeps")
    w.check(moved("blueshift_bytes_total", direction="from_client") >= queries * 100, "client bytes not counted")
    w.check(moved("blueshift_bytes_total", direction="from_upstream") >= 100000, "upstream bytes not counted")
    w.check(value(after, "blueshift_draining") == 0, "draining while serving")
    w.check(value(after, "blueshift_reloads_total", result="failed") == 0, "a reload failed unasked")

    w.check(get(base + 1, "/healthz")[0] == 200, "/healthz is not 200")
    status, _, body = get(base + 1, "/readyz")
    w.check(status == 200 and body.strip() == "ready", f"/readyz: {status} {body!r}")
    w.check(get(base + 1, "/metrics?name[]=x")[0] == 200, "a query string broke /metrics")
    w.check(get(base + 1, "/nope")[0] == 404, "an unknown path is not 404")
    w.check(get(base + 1, "/metrics", method="POST")[0] == 405, "POST is not 405")
    head = get(base + 1, "/metrics", method="HEAD")
    w.check(head[0] == 200 and head[2] == "", f"HEAD: {head[0]} with a body of {len(head[2])} bytes")

    # A scraper that says nothing, or sends garbage, costs the endpoint nothing lasting.
    idle = w.Client(base + 1)
    cleanups.append(idle.close)
    garbage = w.Client(base + 1)
    garbage.send(b"\x16\x03\x01 not http at all\r\n\r\n")
    cleanups.append(garbage.close)
    w.check(garbage.read_to_eof(timeout=3) == b"", "garbage got an answer")
    w.check(get(base + 1, "/healthz")[0] == 200, "the endpoint stopped answering after garbage")
    w.check(proxy.alive(), "the proxy died")


def test_readyz_catalog(track, cleanups):
    """Policies with a catalog that cannot load: alive, but not ready."""
    base = 6764
    upstream = w.warehouse_port()
    extra = (f"catalog:\n  conninfo: \"host=127.0.0.1 port={base + 2} dbname=dev user=etl connect_timeout=1\"\n"
             "  refresh_seconds: 0\n"
             "policies:\n  catalog_tables: true\n  rules: []\n")
    proxy = track(w.Proxy(base, upstream, config=config(base + 1, extra)))
    w.check(get(base + 1, "/healthz")[0] == 200, "/healthz is not 200")
    status, _, body = get(base + 1, "/readyz")
    w.check(status == 503 and "catalog" in body, f"/readyz without a catalog: {status} {body!r}")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 2. the drain

def sqlstate_of(fn):
    """The SQLSTATE of the error fn raises (None when it raises none)."""
    try:
        fn()
    except psycopg.Error as e:
        return e.sqlstate or (e.diag.sqlstate if e.diag else None) or str(e)
    return None


def terminated(conn):
    """Whether the session was ended with FATAL 57P01: the next statement fails, and the FATAL
    came as its error or, when libpq read it while idle (right after a ReadyForQuery), as a
    notice. libpq reports one read by a later statement by its message alone ("consuming input
    failed: terminating connection ..."), without the code."""
    state = sqlstate_of(lambda: conn.execute("select 1"))
    if state is not None and "57P01" in conn.notice_states:
        return True
    if state == "57P01" or "terminating connection due to administrator command" in str(state):
        return True
    print(f"not ended with 57P01: {state!r}")
    return False


def test_drain(track, cleanups):
    """SIGTERM: no new clients and /readyz fails at once; an idle session ends with 57P01; a
    transaction runs on to its COMMIT and a running statement to its result; a COPY feeding
    in is not cut; then the proxy exits, well before the deadline."""
    base = 6768
    upstream = w.warehouse_port()
    proxy = track(w.Proxy(base, upstream, config=config(base + 1, "drain:\n  timeout_ms: 20000\n")))
    idle = connect(base, autocommit=True)
    in_tx = connect(base)
    in_tx.execute("create temp table drained (n int)")
    in_tx.execute("insert into drained values (1)")
    sleeper = connect(base, autocommit=True)
    copier = connect(base)
    copier.execute("create temp table copied (n int)")
    for c in (idle, in_tx, sleeper, copier):
        cleanups.append(c.close)

    slept = {}
    sleep_thread = threading.Thread(
        target=lambda: slept.update(result=sqlstate_of(lambda: slept.update(rows=sleeper.execute(
            "select pg_sleep(2), 'slept'").fetchall()))))
    copied = {}

    def copy_slowly():
        def run():
            with copier.cursor().copy("copy copied from stdin") as copy:
                for n in range(30):
                    copy.write(f"{n}\n")
                    time.sleep(0.1)
            copied["rows"] = copier.execute("select count(*) from copied").fetchone()[0]
            copier.commit()
        copied["error"] = sqlstate_of(run)

    copy_thread = threading.Thread(target=copy_slowly)
    sleep_thread.start()
    copy_thread.start()
    time.sleep(0.5)  # the sleep and the COPY are running upstream
    started = time.monotonic()
    proxy.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)

    status, _, body = get(base + 1, "/readyz")
    w.check(status == 503 and "draining" in body, f"/readyz while draining: {status} {body!r}")
    w.check(value(scrape(base + 1), "blueshift_draining") == 1, "blueshift_draining is not 1")
    w.check(sqlstate_of(lambda: connect(base).close()) is not None, "a new client was accepted while draining")
    w.check(terminated(idle), "the idle session was not ended with 57P01")

    # The transaction goes on to its end, and ends then.
    w.check(in_tx.execute("select count(*) from drained").fetchone()[0] == 1, "the transaction lost its row")
    in_tx.commit()
    w.check(terminated(in_tx), "the session after its COMMIT was not ended with 57P01")

    sleep_thread.join(10)
    copy_thread.join(10)
    w.check(slept.get("result") is None and [r[1] for r in slept.get("rows", [])] == ["slept"],
            f"the running statement was cut: {slept}")
    w.check(copied.get("error") is None and copied.get("rows") == 30, f"the COPY was cut: {copied}")
    w.check(terminated(sleeper), "the sleeper was not ended after its statement")
    proxy.proc.wait(10)
    took = time.monotonic() - started
    w.check(took < 15, f"the drain took {took:.1f} s, not the time the sessions needed")
    w.check(proxy.proc.returncode == 0, f"blueshift exited with {proxy.proc.returncode}")
    w.check("drain complete" in proxy.log_text(), "no 'drain complete' line in the log")


def test_drain_deadline(track, cleanups):
    """A statement running past drain.timeout_ms ends with 57P01, is cancelled on the warehouse,
    and the proxy exits soon after the deadline."""
    base = 6772
    upstream = w.warehouse_port()
    proxy = track(w.Proxy(base, upstream, config=config(base + 1, "drain:\n  timeout_ms: 1000\n")))
    conn = connect(base, autocommit=True, application_name="drain-deadline")
    cleanups.append(conn.close)
    pid = conn.info.backend_pid
    result = {}
    thread = threading.Thread(target=lambda: result.update(state=sqlstate_of(
        lambda: conn.execute("select pg_sleep(30)").fetchall())))
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    proxy.proc.send_signal(signal.SIGTERM)
    thread.join(10)
    took = time.monotonic() - started
    w.check(result.get("state") == "57P01" or "administrator command" in str(result.get("state")),
            f"the statement past the deadline ended with {result}")
    w.check(0.8 < took < 5, f"it ended {took:.1f} s after SIGTERM, the deadline is 1 s")
    proxy.proc.wait(10)
    w.check(proxy.proc.returncode == 0, f"blueshift exited with {proxy.proc.returncode}")
    # The warehouse was told to cancel: the backend no longer runs pg_sleep(30). (Seen as the
    # same user: pg_stat_activity hides other users' queries.)
    with psycopg.connect(host=w.HOST, port=upstream, user=w.ANALYST[0], password=w.ANALYST[1], dbname="dev",
                         sslmode="disable", autocommit=True) as direct:
        deadline = time.monotonic() + 5
        while True:
            row = direct.execute("select state, query from pg_stat_activity where pid = %s", (pid,)).fetchone()
            if row is None or row[0] != "active":
                break
            w.check("pg_sleep(30)" in row[1], f"another statement runs on the backend: {row}")
            w.check(time.monotonic() < deadline, f"the warehouse still runs the statement: {row}")
            time.sleep(0.2)


# ------------------------------------------------------------------ 3. reload

def test_reload(track, cleanups):
    """SIGHUP applies the whole file again: limits for new sessions and the log level at once;
    a bad file is rejected with the key named and changes nothing; a restart-only key says so
    and keeps its running value. Open sessions carry on throughout."""
    base = 6776
    upstream = w.warehouse_port()
    # No --log-level flag: flags stay over the file through reloads, and log.level is reloaded.
    proxy = track(w.Proxy(base, upstream, config=config(base + 1, "limits:\n  max_client_connections: 100\n"),
                          log_level=""))
    path = os.path.join(proxy.dir, "config.yaml")
    first = connect(base, autocommit=True)
    cleanups.append(first.close)

    def reload(text):
        with open(path, "w") as f:
            f.write(text)
        before = scrape(base + 1)
        proxy.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + w.WAIT
        while True:
            after = scrape(base + 1)
            for result in ("ok", "failed"):
                if value(after, "blueshift_reloads_total", result=result) > value(
                        before, "blueshift_reloads_total", result=result):
                    return result
            w.check(time.monotonic() < deadline, "SIGHUP did not reload within the wait")
            time.sleep(0.05)

    w.check(reload(config(base + 1, "limits:\n  max_client_connections: 0\n")) == "failed", "a limit of 0 was accepted")
    w.check("reload failed, the running configuration stays" in proxy.log_text() and "limits.max_client_connections must be > 0" in proxy.log_text(),
            "the rejection does not name the key")
    w.check(reload(config(base + 1, "limits:\n  max_clients: 1\n")) == "failed", "an unknown key was accepted")
    w.check("'limits.max_clients': unknown key" in proxy.log_text(), "the unknown key is not named")
    connect(base).close()  # the running limit of 100 stands

    w.check(reload(config(base + 1, "limits:\n  max_client_connections: 1\nlog:\n  level: debug\n")) == "ok",
            "a good file was rejected")
    refused = sqlstate_of(lambda: connect(base).close())
    w.check(refused is not None and ("53300" in refused or "too many clients" in refused),
            f"a second client past the reloaded limit of 1: {refused}")
    w.check(first.execute("select 41 + 1").fetchone()[0] == 42, "the open session did not carry on")
    silent = w.Client(base)  # leaves before its startup packet: a line logged at debug only
    silent.close()
    deadline = time.monotonic() + w.WAIT
    while "ended before login" not in proxy.log_text():
        w.check(time.monotonic() < deadline, "log.level: debug was not applied")
        time.sleep(0.05)

    w.check(reload(config(base + 2, "limits:\n  max_client_connections: 1\n")) == "ok", "the http.listen change failed")
    w.check("'http.listen' changed, which takes a restart" in proxy.log_text(), "the restart-only key is not named")
    w.check(proxy.alive(), "the proxy died")


# ------------------------------------------------------------------ 4. PROXY protocol

def v2_header(address, port, proxy_port):
    """A PROXY protocol v2 header for TCP over IPv4, with a NOOP TLV as NLB adds TLVs."""
    body = bytes(int(x) for x in address.split(".")) + bytes([127, 0, 0, 1])
    body += port.to_bytes(2, "big") + proxy_port.to_bytes(2, "big") + b"\x04\x00\x02ok"
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + len(body).to_bytes(2, "big") + body


def login_through(port, header):
    """A raw client that sends header, then logs in as analyst and runs a statement."""
    c = w.Client(port)
    c.send(header)
    error = w.login(c, *w.ANALYST)
    if error is None:
        rows, _, err = c.simple_query("select 41 + 1")
        error = err if err is not None else (None if rows == [["42"]] else f"rows {rows}")
    c.close()
    return error


def test_proxy_protocol(track, cleanups):
    """Headers from a trusted peer (127.0.0.1 here) carry the client address into the log; a
    trusted peer without one gets FATAL 08P01; a bad header, or any header from an untrusted
    peer, is closed without a byte, and a direct client of an untrusted address logs in."""
    base = 6780
    upstream = w.warehouse_port()
    trusting = track(w.Proxy(base, upstream, config="proxy_protocol:\n  trusted: [127.0.0.0/8]\n"))
    error = login_through(base, f"PROXY TCP4 203.0.113.9 127.0.0.1 50000 {base}\r\n".encode())
    w.check(error is None, f"a v1 header from a trusted peer: {error}")
    error = login_through(base, v2_header("198.51.100.4", 40000, base))
    w.check(error is None, f"a v2 header from a trusted peer: {error}")
    log = trusting.log_text()
    w.check("connection open client=203.0.113.9:50000 user=analyst" in log, "the v1 client address is not logged")
    w.check("connection open client=198.51.100.4:40000 user=analyst" in log, "the v2 client address is not logged")

    bare = w.Client(base)
    cleanups.append(bare.close)
    bare.send(w.startup_packet([("user", "analyst"), ("database", "dev")]))
    fields = bare.expect_error("08P01", timeout=5, severity="FATAL")
    w.check("PROXY protocol header is required" in fields.get("M", ""), f"no header: {fields}")
    bad = w.Client(base)
    cleanups.append(bad.close)
    bad.send(f"PROXY TCP4 203.0.113.999 127.0.0.1 50000 {base}\r\n".encode())
    w.check(bad.read_to_eof(timeout=5) == b"", "an invalid header got an answer")

    untrusting = track(w.Proxy(base + 2, upstream, config="proxy_protocol:\n  trusted: [10.0.0.0/8]\n"))
    for header in (f"PROXY TCP4 203.0.113.9 127.0.0.1 50000 {base}\r\n".encode(), v2_header("203.0.113.9", 1, base)):
        c = w.Client(base + 2)
        cleanups.append(c.close)
        c.send(header + w.startup_packet([("user", "analyst"), ("database", "dev")]))
        w.check(c.read_to_eof(timeout=5) == b"", "a header from an untrusted peer got an answer")
    w.check("PROXY protocol header from an untrusted address" in untrusting.log_text(), "the refusal is not logged")
    w.check(login_through(base + 2, b"") is None, "a direct client of an untrusted address could not log in")
    w.check("203.0.113.9" not in untrusting.log_text().replace("PROXY", ""), "an untrusted header's address was used")
    w.check(trusting.alive() and untrusting.alive(), "a proxy died")


TESTS = {
    "proxy_protocol": test_proxy_protocol,
    "reload": test_reload,
    "metrics": test_metrics,
    "readyz_catalog": test_readyz_catalog,
    "drain": test_drain,
    "drain_deadline": test_drain_deadline,
}

if __name__ == "__main__":
    sys.exit(w.run(TESTS, sys.argv[1:]))

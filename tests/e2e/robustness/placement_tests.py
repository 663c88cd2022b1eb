"""Where the proxy's I/O threads run, inside a real cgroup with a CPU limit (issue 14: container-
aware threads; issue 15: a pinned thread cannot leave a busy core).

Under a CPU limit below the cores it may use, the proxy runs no more I/O threads than the
limit rounded up and pins none of them: the cores are shared with other containers. Needs a
writable cgroup filesystem (v1 `cpu` controller or v2 with `cpu` delegated); skipped (77)
where there is none, e.g. in an unprivileged container.

And with `unpin_when_crowded`, a pinned I/O thread whose core two other processes keep busy
unpins itself, and pins itself again once the core is quiet. With `io_poll_us`, an I/O thread
polls between messages but sleeps once traffic stops.

Usage: python3 placement_tests.py {cpu_limit|crowded_core|polling}
"""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import sys
import tempfile
import time

import threading

import pgwire as w
import scripted_upstream as su

SKIP = 77


def make_cgroup(quota_us, period_us=100000):
    """A child cgroup limited to quota/period cores; returns (procs file, remover) or None."""
    name = f"blueshift-test-{os.getpid()}"
    v1 = "/sys/fs/cgroup/cpu"
    if os.path.isfile(f"{v1}/cpu.cfs_quota_us"):
        path = f"{v1}/{name}"
        try:
            os.mkdir(path)
            with open(f"{path}/cpu.cfs_period_us", "w") as f:
                f.write(str(period_us))
            with open(f"{path}/cpu.cfs_quota_us", "w") as f:
                f.write(str(quota_us))
        except OSError:
            return None
        return f"{path}/cgroup.procs", lambda: os.rmdir(path)
    v2 = "/sys/fs/cgroup"
    if os.path.isfile(f"{v2}/cgroup.controllers"):
        path = f"{v2}/{name}"
        try:
            with open(f"{v2}/cgroup.subtree_control", "w") as f:
                f.write("+cpu")
            os.mkdir(path)
            with open(f"{path}/cpu.max", "w") as f:
                f.write(f"{quota_us} {period_us}")
        except OSError:
            return None
        return f"{path}/cgroup.procs", lambda: os.rmdir(path)
    return None


def free_port():
    with socket.socket() as s:
        s.bind((w.HOST, 0))
        return s.getsockname()[1]


def thread_cpus(pid):
    cpus = []
    for task in glob.glob(f"/proc/{pid}/task/*/status"):
        with open(task) as f:
            cpus += [line.split()[1] for line in f if line.startswith("Cpus_allowed_list:")]
    return cpus


def test_cpu_limit(track, cleanups):
    allowed = len(os.sched_getaffinity(0))
    if allowed < 2:
        print("SKIP: one core: a limit below the cores allowed needs two")
        sys.exit(SKIP)
    made = make_cgroup(50000)  # half a core
    if made is None:
        print("SKIP: no writable cgroup cpu controller here")
        sys.exit(SKIP)
    procs, remove = made
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="blueshift-placement-", suffix=".log", delete=False)
    cleanups.append(lambda: os.unlink(log.name))

    def enter_cgroup():
        with open(procs, "w") as f:
            f.write(str(os.getpid()))

    # Pinning and polling asked for: the CPU limit is what must leave the threads free to
    # move, and asleep when idle (a polling thread would burn the quota).
    pinned = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    pinned.write("pin_io_threads: true\nio_poll_us: 50\n")
    pinned.close()
    cleanups.append(lambda: os.unlink(pinned.name))
    proc = subprocess.Popen([w.blueshift_bin(), "--config", pinned.name, "--listen", f"{w.HOST}:{port}",
                             "--upstream", f"{w.HOST}:1"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=enter_cgroup)

    def stop():
        proc.kill()
        proc.wait()
        time.sleep(0.1)
        remove()
    cleanups.append(stop)
    deadline = time.monotonic() + 10
    while "I/O thread" not in open(log.name).read():
        w.check(proc.poll() is None and time.monotonic() < deadline, f"no I/O thread line: {open(log.name).read()}")
        time.sleep(0.05)
    text = open(log.name).read()
    w.check("1 I/O thread(s)" in text and "a CPU limit of 0.50" in text and "not pinned: under the CPU limit" in text,
            f"expected one unpinned I/O thread under a 0.5-core limit:\n{text}")
    w.check("not polling: the cores are shared" in text, f"expected no polling under a 0.5-core limit:\n{text}")
    every = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    cpus = thread_cpus(proc.pid)
    w.check(cpus and all(c != str(core) for c in cpus for core in os.sched_getaffinity(0)),
            f"a thread is pinned to one core under the CPU limit: {cpus} (allowed {every})")
    w.check(proc.poll() is None, "the proxy died")


def serve_ok(conn):
    if conn.read_startup() is None:
        return
    su.login_ok(conn)
    su.serve_queries(conn)


def hammer(port, stop, errors):
    """One client running `select 1` as fast as it can until stop is set."""
    try:
        c = w.Client(port)
        w.check(w.login(c, "load", "") is None, "a load client could not log in")
        while not stop.is_set():
            _, _, err = c.simple_query("select 1")
            w.check(err is None, f"select 1 failed: {err}")
        c.close()
    except Exception as e:  # reported by the test
        errors.append(e)


def wait_for_log(proxy, text, seconds):
    deadline = time.monotonic() + seconds
    while text not in proxy.log_text():
        w.check(time.monotonic() < deadline, f"no '{text}' in the log within {seconds} s:\n{proxy.log_text()[-3000:]}")
        time.sleep(0.2)


def test_crowded_core(track, cleanups):
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        print("SKIP: one core: no other core to move to")
        sys.exit(SKIP)
    up_port, proxy_port = free_port(), free_port()
    upstream = su.ScriptedUpstream(up_port, serve_ok)
    cleanups.append(upstream.stop)
    proxy = track(w.Proxy(proxy_port, up_port, config=f"io_threads: {len(allowed)}\npin_io_threads: true\nunpin_when_crowded: true\n"))
    wait_for_log(proxy, "pinned to cores", 5)
    core = allowed[0]
    hogs = [subprocess.Popen(["taskset", "-c", str(core), sys.executable, "-c", "while True: pass"]) for _ in range(2)]

    def stop_hogs():
        for h in hogs:
            h.kill()
            h.wait()
    cleanups.append(stop_hogs)
    stop, errors = threading.Event(), []
    clients = [threading.Thread(target=hammer, args=(proxy_port, stop, errors)) for _ in range(2 * len(allowed))]
    for t in clients:
        t.start()
    cleanups.append(lambda: (stop.set(), [t.join() for t in clients]))
    try:
        wait_for_log(proxy, f"I/O thread pinned to core {core} unpinned", 15)
    finally:
        stop.set()
        for t in clients:
            t.join()
    w.check(not errors, f"load clients failed: {errors[:2]}")
    stop_hogs()
    wait_for_log(proxy, f"I/O thread pinned to core {core} again", 20)
    w.check(proxy.alive(), "the proxy died")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_polling(track, cleanups):
    """io_poll_us on cores of its own: queries are served as ever, and once traffic stops the
    I/O thread goes back to sleep instead of polling on (an idle proxy costs no CPU)."""
    up_port, proxy_port = free_port(), free_port()
    upstream = su.ScriptedUpstream(up_port, serve_ok)
    cleanups.append(upstream.stop)
    proxy = track(w.Proxy(proxy_port, up_port, config="io_threads: 1\nio_poll_us: 2000\n"))
    wait_for_log(proxy, "polling 2000 us before sleeping", 5)
    c = w.Client(proxy_port)
    w.check(w.login(c, "load", "") is None, "could not log in")
    for _ in range(200):
        _, _, err = c.simple_query("select 1")
        w.check(err is None, f"select 1 failed: {err}")
    time.sleep(0.2)
    before = cpu_seconds(proxy.proc.pid)
    time.sleep(1.0)
    idle = cpu_seconds(proxy.proc.pid) - before
    w.check(idle < 0.2, f"the idle proxy used {idle:.2f} s of CPU in 1 s: its I/O thread kept polling")
    _, _, err = c.simple_query("select 1")
    w.check(err is None, f"select 1 after the idle spell failed: {err}")
    c.close()
    w.check(proxy.alive(), "the proxy died")


TESTS = {"cpu_limit": test_cpu_limit, "crowded_core": test_crowded_core, "polling": test_polling}

if __name__ == "__main__":
    w.blueshift_bin()
    sys.exit(w.run(TESTS, sys.argv[1:]))

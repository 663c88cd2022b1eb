#!/usr/bin/env python3
"""Measurement half of tests/bench/run_bench.sh: runs pgbench, COPY and idle-client tests
against targets that run_bench.sh has already started, and prints the summary.

run_bench.sh owns the processes (start, trap, cleanup); this file only measures, so that a
crash here never leaves a proxy behind. Targets arrive as JSON:
  {"tps": {"direct": {"port": 5440, "pid": null}, "pgbouncer": {...}, "blueshift": {...}, ...},
   "idle": {"blueshift": {"port": ..., "pid": ...}, "pgbouncer": {...}},
   "idle_scripted": {"1000": [{"blueshift": {...}, "pgbouncer": {...}}, ...], "5000": [...]}}
   (one fresh pair of proxies per idle sample, BENCH_IDLE_SAMPLES of them per count)
Throughput and latency are measured once per phase of BENCH_LOADS ("quiet contended": the
second with one busy process per core beside everything, see contention.py). Runs are interleaved (every round visits every target, in a rotated order) and the median is
reported, because the machine is shared and noisy. Proxy CPU time is read from /proc/PID/stat
around each run: CPU-seconds per 100k transactions is steadier than TPS under noise.
"""

import argparse
import json
import os
import glob
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_idle_clients  # noqa: E402
import placement as placement_phases  # noqa: E402
import syscalls  # noqa: E402
from bench_report import CONFIG_TARGETS, Report  # noqa: E402
from bench_stats import percentile, steady_tps, tail_figures, tail_text, tx_log  # noqa: E402
from contention import Contention, thread_placement  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
IDLE_WARMUP = 100  # sessions opened together and closed before each idle-memory sample


def env_int(name, default):
    return int(os.environ.get(name, default))


T0 = time.monotonic()


def log(msg):
    print(f"bench: [{time.monotonic() - T0:5.0f} s] {msg}", flush=True)


def cpu_seconds(pid):
    """utime+stime of the whole process (all threads), or None without a pid."""
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def context_switches(pid):
    """Voluntary + involuntary context switches of all the process's threads, or None."""
    if not pid:
        return None
    total = 0
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(f"{task}/status") as f:
                for line in f:
                    if "ctxt_switches:" in line:  # voluntary_... and nonvoluntary_...
                        total += int(line.split()[1])
        except OSError:
            pass  # a thread that ended in between
    return total


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def alive(pid):
    return not pid or os.path.exists(f"/proc/{pid}")



def rotated(names, i):
    k = i % len(names)
    return names[k:] + names[:k]


def tps_order(names, rounds, modes):
    """(round, mode, target) in the order the throughput phase runs them. Each round starts
    one target further on (and each mode one more), so that no target always runs at the
    same place in a round: a drift within rounds would favour one."""
    return [(rnd, mode, name) for rnd in range(rounds) for m, mode in enumerate(modes)
            for name in rotated(names, rnd + m)]


def median_sample(samples):
    """The sample with the median KiB per client (the lower of the middle two), with every
    sample's figure in "samples"; a failed sample counts as the worst."""
    def key(r):
        per = r.get("per_client")
        return float("inf") if per is None else per
    ordered = sorted(samples, key=key)
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["samples"] = [r.get("per_client") for r in samples]
    return chosen

class Bench:
    def __init__(self, args, targets):
        self.args = args
        self.targets = targets
        self.password = os.environ.get("PGPASSWORD", "etl-dev-pw")
        self.env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10")
        self.seconds = env_int("BENCH_SECONDS", 8)
        # The first seconds of a run, left out of its TPS (bench_stats.steady_tps).
        self.warmup = env_int("BENCH_WARMUP_SECONDS", 1)
        # The share of the throughput runs' transactions logged for their tail figures (p99
        # latency, slowest client); 0: none logged.
        self.tail_sample = float(os.environ.get("BENCH_TAIL_SAMPLING", "0.1"))
        self.rounds = env_int("BENCH_ROUNDS", 5)
        self.clients = env_int("BENCH_CLIENTS", 16)
        self.jobs = env_int("BENCH_JOBS", 2)
        self.modes = os.environ.get("BENCH_MODES", "simple extended prepared").split()
        self.lat_seconds = env_int("BENCH_LAT_SECONDS", 1)
        self.lat_rounds = env_int("BENCH_LAT_ROUNDS", 7)
        # pgbench_accounts (100k rows a scale unit, ~96 bytes a row in COPY text) repeated: the
        # warehouse produces it fast, so the figure shows the proxy, not md5() on a busy server.
        self.copy_repeat = env_int("BENCH_COPY_REPEAT", 3)
        self.copy_rows = self.copy_repeat * 100000 * env_int("BENCH_SCALE", 10)
        self.copy_query = os.environ.get("BENCH_COPY_QUERY") or (
            "COPY (" + " UNION ALL ".join(["SELECT * FROM pgbench_accounts"] * self.copy_repeat) +
            ") TO STDOUT")
        self.copy_rounds = env_int("BENCH_COPY_ROUNDS", 5)
        self.idle_clients = env_int("BENCH_IDLE_CLIENTS", 1000)
        self.problems = []     # harness failures: make the run exit non-zero

    # ---- pgbench ---------------------------------------------------------------------------
    def drop_server_connections(self, port):
        """PgBouncer's admin KILL + RESUME: its pool starts the next run with no server
        connections, so the warehouse forks new backends as it does for Blueshift."""
        for command in (f"KILL {self.args.database}", f"RESUME {self.args.database}"):
            p = subprocess.run(["psql", "-h", HOST, "-p", str(port), "-U", self.args.user, "-d", "pgbouncer",
                                "-X", "-q", "-c", command], env=self.env, capture_output=True, text=True,
                               timeout=30)
            if p.returncode != 0:
                return f"pgbouncer admin {command!r} failed: {(p.stderr or p.stdout).strip()}"
        return None

    def pgbench(self, target, extra, seconds, tx_log_prefix=None):
        return self.pgbench_on(self.targets["tps"][target], extra, seconds, tx_log_prefix)

    def pgbench_loaded(self, t, mode, logdir):
        """A throughput run (pgbench -S, bench.clients clients) through target t, a share of its
        transactions logged in logdir for the tail figures (BENCH_TAIL_SAMPLING)."""
        return self.pgbench_on(t, ["-M", mode, "-c", str(self.clients), "-j", str(self.jobs)], self.seconds,
                               tx_log_prefix=os.path.join(logdir, "tx") if self.tail_sample > 0 else None,
                               sample=self.tail_sample)

    def pgbench_on(self, t, extra, seconds, tx_log_prefix=None, cpus=None, sample=None):
        """pgbench -S through target t ({"port", "pid"}); cpus: the cores pgbench may use.
        tx_log_prefix: log transactions there (every one, or the share `sample` of them) for
        the tail figures; every latency is kept (r["tx_us"]) only when none is sampled out."""
        if tx_log_prefix:
            extra = extra + ["-l", f"--log-prefix={tx_log_prefix}"]
            if sample:
                extra = extra + [f"--sampling-rate={sample}"]
        cmd = ["pgbench", "-h", HOST, "-p", str(t["port"]), "-U", self.args.user, "-n", "-S",
               "-T", str(seconds), "-P", "1"] + extra + [self.args.database]
        if cpus:
            cmd = ["taskset", "-c", ",".join(map(str, sorted(cpus)))] + cmd
        if t.get("fresh"):
            problem = self.drop_server_connections(t["port"])
            if problem:
                return {"error": problem}
        cpu0 = cpu_seconds(t["pid"])
        cs0 = context_switches(t["pid"])
        try:
            p = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                               timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            return {"error": "timed out"}
        cpu1 = cpu_seconds(t["pid"]) if alive(t["pid"]) else None
        cs1 = context_switches(t["pid"]) if alive(t["pid"]) else None
        out = p.stdout + p.stderr
        tps = re.search(r"^tps = ([0-9.]+)", out, re.M)
        txs = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
        lat = re.search(r"^latency average = ([0-9.]+) ms", out, re.M)
        failed = re.search(r"^number of failed transactions: (\d+)", out, re.M)
        if p.returncode != 0 or not tps or not txs:
            last = [l for l in out.strip().splitlines() if l][-3:]
            return {"error": f"pgbench exit {p.returncode}: {' | '.join(last)}"}
        steady = steady_tps(out, self.warmup) if self.warmup > 0 else None
        r = {"tps": steady or float(tps.group(1)), "tps_whole": float(tps.group(1)), "txs": int(txs.group(1)),
             "lat_ms": float(lat.group(1)) if lat else None,
             "failed": int(failed.group(1)) if failed else 0}
        if cpu0 is not None and cpu1 is not None:
            r["cpu"] = cpu1 - cpu0
        if cs0 is not None and cs1 is not None:
            r["cs"] = cs1 - cs0
        if tx_log_prefix:
            clients = int(extra[extra.index("-c") + 1]) if "-c" in extra else 0
            r.update(self.read_tx_logs(tx_log_prefix, keep_all=not sample, clients=clients))
        return r

    def read_tx_logs(self, prefix, keep_all, clients):
        """A run's tail figures from its transaction logs (one file per pgbench thread), which
        it deletes: p99 latency (µs) and the slowest client's share after the warm-up (of all
        `clients`, logged or not), and every latency if keep_all."""
        records = []
        for path in glob.glob(prefix + ".*"):
            with open(path) as f:
                records.extend(tx_log(f))
            os.unlink(path)
        p99, slowest = tail_figures(records, self.warmup, clients)
        out = {"p99_us": p99, "slowest": slowest}
        if keep_all:
            out["tx_us"] = [latency for _, latency, _ in records]
        return out

    def rotated(self, names, i):
        return rotated(names, i)

    def run_tps(self, rounds):
        names = list(self.targets["tps"])
        res = {m: {n: [] for n in names} for m in self.modes}
        total = rounds * len(self.modes) * len(names)
        log(f"throughput: pgbench -S -c {self.clients} -j {self.jobs} -T {self.seconds}, "
            f"{rounds} rounds x {len(self.modes)} modes x {len(names)} targets "
            f"(~{total * (self.seconds + 1)} s)")
        logdir = tempfile.mkdtemp(prefix="bench-tps-")
        try:
            for rnd, mode, name in tps_order(names, rounds, self.modes):
                r = self.pgbench_loaded(self.targets["tps"][name], mode, logdir)
                res[mode][name].append(r)
                if "error" in r:
                    log(f"  round {rnd + 1} {mode:9} {name:14} FAILED: {r['error']}")
                else:
                    cpu = f" proxy cpu {r['cpu']:.2f} s" if "cpu" in r else ""
                    log(f"  round {rnd + 1} {mode:9} {name:14} {r['tps']:10.0f} tps{cpu}{tail_text(r)}")
        finally:
            shutil.rmtree(logdir, ignore_errors=True)
        return res

    def run_latency(self, rounds):
        names = [n for n in self.targets["tps"] if not self.targets["tps"][n].get("fresh")]
        res = {n: [] for n in names}
        log(f"latency: pgbench -S -c 1 -T {self.lat_seconds} -l, {rounds} rounds")
        logdir = tempfile.mkdtemp(prefix="bench-lat-")
        try:
            for rnd in range(rounds):
                for name in self.rotated(names, rnd):
                    r = self.pgbench(name, ["-M", "simple", "-c", "1", "-j", "1"], self.lat_seconds,
                                     tx_log_prefix=os.path.join(logdir, "tx"))
                    res[name].append(r)
                    if "error" in r:
                        log(f"  round {rnd + 1} {name:18} FAILED: {r['error']}")
                    else:
                        p50 = percentile(sorted(r["tx_us"]), 0.5)
                        log(f"  round {rnd + 1} {name:18} mean {r['lat_ms'] * 1000:7.1f} us/tx, "
                            f"p50 {p50} us")
        finally:
            shutil.rmtree(logdir, ignore_errors=True)
        return res

    # ---- system calls ----------------------------------------------------------------------
    def run_syscalls(self):
        """System calls per transaction of each proxy (tests/bench/syscalls.py), one client."""
        if not syscalls.available():
            return {"skipped": "strace is not installed"}
        txs = env_int("BENCH_SYSCALL_TXS", 2000)
        names = [n for n in os.environ.get("BENCH_SYSCALL_TARGETS", "pgbouncer blueshift blueshift+policies").split()
                 if n in self.targets["tps"]]
        res = {}
        for mode in os.environ.get("BENCH_SYSCALL_MODES", "simple extended prepared").split():
            for name in names:
                t = self.targets["tps"][name]
                per_tx, error = syscalls.count_per_transaction(
                    t["pid"], lambda n: self.pgbench_count(t, mode, n), txs)
                res.setdefault(mode, {})[name] = per_tx if per_tx else {"error": error}
                if per_tx:
                    log(f"syscalls {mode:8} {name:18} {sum(per_tx.values()):.2f} per transaction")
        return res

    def pgbench_count(self, t, mode, txs):
        """pgbench -S -c 1 -t txs through target t; the transactions it ran, or None."""
        cmd = ["pgbench", "-h", HOST, "-p", str(t["port"]), "-U", self.args.user, "-n", "-S", "-c", "1",
               "-M", mode, "-t", str(txs), self.args.database]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=300)
        done = re.search(r"^number of transactions actually processed: (\d+)", p.stdout, re.M)
        return int(done.group(1)) if p.returncode == 0 and done else None

    # ---- COPY ------------------------------------------------------------------------------
    def copy_once(self, name):
        t = self.targets["tps"][name]
        sql = self.copy_query
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(t["port"]),
               "-U", self.args.user, "-d", self.args.database, "-c", sql]
        cpu0 = cpu_seconds(t["pid"])
        start = time.monotonic()
        p = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        nbytes = 0
        deadline = start + 120
        while True:
            chunk = p.stdout.read(1 << 20)
            if not chunk:
                break
            nbytes += len(chunk)
            if time.monotonic() > deadline:
                p.kill()
                break
        err = p.stderr.read().decode(errors="replace").strip()
        rc = p.wait()
        elapsed = time.monotonic() - start
        cpu1 = cpu_seconds(t["pid"]) if alive(t["pid"]) else None
        if rc != 0:
            return {"error": f"psql exit {rc}: {err[-200:]}"}
        r = {"seconds": elapsed, "bytes": nbytes}
        if cpu0 is not None and cpu1 is not None:
            r["cpu"] = cpu1 - cpu0
        return r

    def run_copy(self):
        names = [n for n in self.targets["tps"] if n not in CONFIG_TARGETS and not self.targets["tps"][n].get("fresh")]
        res = {n: [] for n in names}
        log(f"COPY TO STDOUT: {self.copy_query[:90]}..., {self.copy_rounds} rounds")
        for rnd in range(self.copy_rounds):
            for name in self.rotated(names, rnd):
                r = self.copy_once(name)
                res[name].append(r)
                if "error" in r:
                    log(f"  round {rnd + 1} {name:14} FAILED: {r['error']}")
                else:
                    log(f"  round {rnd + 1} {name:14} {r['seconds']:6.2f} s "
                        f"{r['bytes'] / 1e6 / r['seconds']:7.1f} MB/s")
        return res

    # ---- idle clients ----------------------------------------------------------------------
    def superuser_sql(self, sql):
        p = subprocess.run([self.args.warehouse, "psql", "-X", "-Atc", sql], capture_output=True,
                           text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip())
        return p.stdout.strip()

    def connection_headroom(self):
        row = self.superuser_sql(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')")
        return int(row)

    def wait_idle_gone(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            n = int(self.superuser_sql("SELECT count(*) FROM pg_stat_activity"
                                       " WHERE application_name = 'bench_idle'"))
            if n == 0:
                return
            time.sleep(0.5)

    def run_idle(self):
        res = {}
        for name, t in self.targets.get("idle", {}).items():
            # Each idle client holds one server connection (Blueshift always; PgBouncer in session
            # mode after the client's first query), so the warehouse must have room for them all.
            self.wait_idle_gone()
            margin = 30
            n = min(self.idle_clients, self.connection_headroom() - margin)
            note = "" if n == self.idle_clients else \
                f" (clamped from {self.idle_clients}: warehouse max_connections headroom)"
            if n < 10:
                res[name] = {"error": "no connection headroom on the warehouse"}
                continue
            res[name] = self.idle_sample(name, t, n, note)
        self.wait_idle_gone()
        return res

    def run_idle_scripted(self):
        """Idle memory at BENCH_IDLE_COUNTS sessions, against tests/bench/idle_upstream.py: each
        fresh pair sampled in turn, each proxy's median sample kept (with all of them)."""
        res = {}
        for count, pairs in self.targets.get("idle_scripted", {}).items():
            samples = {}
            for i, pair in enumerate(pairs if isinstance(pairs, list) else [pairs]):
                for name, t in pair.items():
                    samples.setdefault(name, []).append(
                        self.idle_sample(f"{name} x{count} #{i + 1}", t, int(count)))
            res[count] = {name: median_sample(s) for name, s in samples.items()}
        return res

    def idle_sample(self, name, t, n, note=""):
        """Opens n idle sessions through target t and returns the proxy's VmRSS delta.

        IDLE_WARMUP sessions are opened together and closed first (the same for every target),
        so that the delta is what each further client costs, not what a proxy holds once per
        process: the code it pages in at its first login (about 700 KiB of Blueshift's text)
        and caches that a burst of logins fills (Blueshift's buffer blocks, 256 KiB a thread)."""
        warm, _ = pg_idle_clients.open_sessions(IDLE_WARMUP, HOST, t["port"], self.args.user,
                                                self.password, self.args.database)
        pg_idle_clients.close_sessions(warm)
        time.sleep(0.5)
        before = pg_idle_clients.vm_rss_kib(t["pid"])
        start = time.monotonic()
        socks, errors = pg_idle_clients.open_sessions(n, HOST, t["port"], self.args.user,
                                                      self.password, self.args.database)
        took = time.monotonic() - start
        time.sleep(1.0)
        after = pg_idle_clients.vm_rss_kib(t["pid"]) if alive(t["pid"]) else None
        pg_idle_clients.close_sessions(socks)
        r = {"clients": len(socks), "errors": len(errors), "before": before, "after": after,
             "login_s": took}
        if errors:
            r["first_error"] = errors[0]
        if socks and after is not None:
            r["per_client"] = (after - before) / len(socks)
        else:
            r["error"] = errors[0] if errors else "proxy died"
        log(f"idle clients via {name}: {len(socks)} open{note} in {took:.1f} s, "
            f"{len(errors)} errors, VmRSS {before} -> {after} KiB")
        return r

    def run_phase(self, load):
        """Throughput and latency with the machine quiet or contended (see contention.py)."""
        contended = load == "contended"
        rounds = env_int("BENCH_CONTENDED_ROUNDS", 3) if contended else self.rounds
        lat_rounds = env_int("BENCH_CONTENDED_LAT_ROUNDS", 10) if contended else self.lat_rounds
        with Contention(None if contended else 0) as c:
            log(f"phase {load}: {c.describe()}")
            time.sleep(1.0 if contended else 0)
            ph = {"note": c.describe(), "rounds": rounds, "load_start": loadavg(),
                  "placement": thread_placement(self.targets["tps"]["blueshift"].get("pid"))}
            ph["tps"] = self.run_tps(rounds)
            ph["lat"] = self.run_latency(lat_rounds)
            ph["load_end"] = loadavg()
        return ph

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", required=True, help="JSON file written by run_bench.sh")
    ap.add_argument("--results", required=True)
    ap.add_argument("--warehouse", required=True, help="path of deploy/dev/warehouse.sh")
    ap.add_argument("--binary", default="")
    ap.add_argument("--pgbouncer-note", default="")
    ap.add_argument("--warehouse-note", default="")
    ap.add_argument("--policies-note", default="")
    ap.add_argument("--example-note", default="")
    ap.add_argument("--user", default="etl")
    ap.add_argument("--database", default="bench")
    args = ap.parse_args()
    # SIGTERM from run_bench.sh's cleanup becomes SystemExit, so subprocess.run kills the
    # pgbench or psql it is waiting for instead of leaving it behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with open(args.targets) as f:
        targets = json.load(f)
    b = Bench(args, targets)
    t0 = time.monotonic()
    phases = {load: b.run_phase(load) for load in os.environ.get("BENCH_LOADS", "quiet contended").split()}
    copy = b.run_copy()
    calls = b.run_syscalls()
    idle = b.run_idle()
    idle_scripted = b.run_idle_scripted()
    placement = placement_phases.run_placement(b, log) if targets.get("placement") else None
    ceiling = placement_phases.run_ceiling(b, log) if targets.get("ceiling") else None
    for name, t in list(targets["tps"].items()) + list(targets.get("idle", {}).items()):
        if not alive(t.get("pid")):
            b.problems.append(f"{name} process {t['pid']} is gone (crashed?)")
    out = Report(b).render(phases, copy, idle, idle_scripted, calls)
    out += placement_phases.render(placement, ceiling, b.seconds)
    out.append(f"measurement time {time.monotonic() - t0:.0f} s")
    text = "\n".join(out) + "\n"
    print(text, end="")
    try:
        with open(args.results, "w") as f:
            f.write(text)
        print(f"bench: summary written to {args.results}")
    except OSError as e:
        print(f"bench: could not write {args.results}: {e}")
    return 1 if b.problems else 0


if __name__ == "__main__":
    sys.exit(main())

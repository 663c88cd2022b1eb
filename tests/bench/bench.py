#!/usr/bin/env python3
"""Measurement half of tests/bench/run_bench.sh: runs pgbench, COPY and idle-client tests
against targets that run_bench.sh has already started, and prints the summary.

run_bench.sh owns the processes (start, trap, cleanup); this file only measures, so that a
crash here never leaves a proxy behind. Targets arrive as JSON:
  {"tps": {"direct": {"port": 5440, "pid": null}, "pgbouncer": {...}, "blueshift": {...}, ...},
   "idle": {"blueshift": {"port": ..., "pid": ...}, "pgbouncer": {...}}}
Runs are interleaved (every round visits every target, in a rotated order) and the median is
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
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_idle_clients  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"


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


def alive(pid):
    return not pid or os.path.exists(f"/proc/{pid}")


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec=",.0f", width=10):
    return f"{'n/a' if v is None else format(v, spec):>{width}}"


def ratio(a, b):
    return a / b if a is not None and b else None


def paired_ratios(a_runs, b_runs):
    """a/b TPS of the runs of the same round, for the rounds where both runs worked."""
    return [a["tps"] / b["tps"] for a, b in zip(a_runs, b_runs)
            if "error" not in a and "error" not in b and a.get("tps") and b.get("tps")]


def geomean(values):
    return statistics.geometric_mean(values) if values else None


class Bench:
    def __init__(self, args, targets):
        self.args = args
        self.targets = targets
        self.password = os.environ.get("PGPASSWORD", "etl-dev-pw")
        self.env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10")
        self.seconds = env_int("BENCH_SECONDS", 8)
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
        self.copy_rounds = env_int("BENCH_COPY_ROUNDS", 2)
        self.idle_clients = env_int("BENCH_IDLE_CLIENTS", 1000)
        self.out = []          # summary lines
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
        t = self.targets["tps"][target]
        if tx_log_prefix:
            extra = extra + ["-l", f"--log-prefix={tx_log_prefix}"]
        cmd = ["pgbench", "-h", HOST, "-p", str(t["port"]), "-U", self.args.user, "-n", "-S",
               "-T", str(seconds)] + extra + [self.args.database]
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
        r = {"tps": float(tps.group(1)), "txs": int(txs.group(1)),
             "lat_ms": float(lat.group(1)) if lat else None,
             "failed": int(failed.group(1)) if failed else 0}
        if cpu0 is not None and cpu1 is not None:
            r["cpu"] = cpu1 - cpu0
        if cs0 is not None and cs1 is not None:
            r["cs"] = cs1 - cs0
        if tx_log_prefix:
            # Per-transaction log: "client_id tx_no latency_us script_no epoch_s epoch_us".
            r["tx_us"] = []
            for path in glob.glob(tx_log_prefix + ".*"):
                with open(path) as f:
                    r["tx_us"].extend(int(line.split()[2]) for line in f if line.strip())
                os.unlink(path)
        return r

    def rotated(self, names, i):
        k = i % len(names)
        return names[k:] + names[:k]

    def run_tps(self):
        names = list(self.targets["tps"])
        res = {m: {n: [] for n in names} for m in self.modes}
        total = self.rounds * len(self.modes) * len(names)
        log(f"throughput: pgbench -S -c {self.clients} -j {self.jobs} -T {self.seconds}, "
            f"{self.rounds} rounds x {len(self.modes)} modes x {len(names)} targets "
            f"(~{total * (self.seconds + 1)} s)")
        step = 0
        for rnd in range(self.rounds):
            for mode in self.modes:
                for name in self.rotated(names, step):
                    step += 1
                    r = self.pgbench(name, ["-M", mode, "-c", str(self.clients), "-j", str(self.jobs)],
                                     self.seconds)
                    res[mode][name].append(r)
                    if "error" in r:
                        log(f"  round {rnd + 1} {mode:9} {name:14} FAILED: {r['error']}")
                    else:
                        cpu = f" proxy cpu {r['cpu']:.2f} s" if "cpu" in r else ""
                        log(f"  round {rnd + 1} {mode:9} {name:14} {r['tps']:10.0f} tps{cpu}")
        return res

    def run_latency(self):
        names = [n for n in self.targets["tps"] if not self.targets["tps"][n].get("fresh")]
        res = {n: [] for n in names}
        log(f"latency: pgbench -S -c 1 -T {self.lat_seconds} -l, {self.lat_rounds} rounds")
        logdir = tempfile.mkdtemp(prefix="bench-lat-")
        try:
            for rnd in range(self.lat_rounds):
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
        names = [n for n in self.targets["tps"] if n != "blueshift+policies" and not self.targets["tps"][n].get("fresh")]
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
            res[name] = r
            log(f"idle clients via {name}: {len(socks)} open{note} in {took:.1f} s, "
                f"{len(errors)} errors, VmRSS {before} -> {after} KiB")
        self.wait_idle_gone()
        return res

    # ---- report ----------------------------------------------------------------------------
    def emit(self, line=""):
        self.out.append(line)

    def report(self, tps, lat, copy, idle):
        names = list(self.targets["tps"])
        pol = "blueshift+policies" in names
        e = self.emit
        e("=" * 100)
        e("BLUESHIFT BENCHMARK SUMMARY")
        e(f"date {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  host cores {os.cpu_count()}  "
          f"loadavg at end {open('/proc/loadavg').read().split()[:3]}")
        e(f"binary {self.args.binary}")
        e(f"pgbouncer: {self.args.pgbouncer_note}")
        e(f"blueshift+policies: {self.args.policies_note}")
        e("NOTE: shared, noisy VM; medians of interleaved rounds. Compare ratios, not absolutes.")
        e()
        e(f"Throughput: pgbench -S, {self.clients} clients, -j {self.jobs}, {self.seconds} s runs, "
          f"median of {self.rounds} interleaved rounds (TPS)")
        w = {n: max(14, len(n) + 2) for n in names}
        head = f"{'mode':10}" + "".join(f"{n:>{w[n]}}" for n in names) + \
            f"{'bs/direct':>11}{'pgb/direct':>11}{'bs/pgb':>9}" + (f"{'bs+pol/bs':>11}" if pol else "")
        e(head)
        med = {}
        for mode in self.modes:
            med[mode] = {n: median([r.get("tps") for r in tps[mode][n]]) for n in names}
            m = med[mode]
            line = f"{mode:10}" + "".join(fmt(m[n], width=w[n]) for n in names)
            line += fmt(ratio(m.get("blueshift"), m.get("direct")), ".3f", 11)
            line += fmt(ratio(m.get("pgbouncer"), m.get("direct")), ".3f", 11)
            line += fmt(ratio(m.get("blueshift"), m.get("pgbouncer")), ".3f", 9)
            if pol:
                line += fmt(ratio(m.get("blueshift+policies"), m.get("blueshift")), ".3f", 11)
            e(line)
            for key in (("blueshift", "direct"), ("pgbouncer", "direct"), ("blueshift", "pgbouncer")):
                if ratio(m.get(key[0]), m.get(key[1])) is None:
                    self.problems.append(f"no {key[0]}/{key[1]} ratio in mode {mode}")
        # Paired ratios: the Blueshift and PgBouncer runs of one round are minutes apart at
        # most, so their ratio cancels the slow drift of this shared VM that a ratio of
        # medians taken over different rounds keeps. The verdict below uses them.
        paired = {mode: paired_ratios(tps[mode].get("blueshift", []), tps[mode].get("pgbouncer", []))
                  for mode in self.modes}
        all_pairs = [x for mode in self.modes for x in paired[mode]]
        e("paired bs/pgb per round (same round, adjacent runs): " + "; ".join(
            f"{mode} " + " ".join(f"{x:.3f}" for x in paired[mode]) +
            f" (median {fmt(median(paired[mode]), '.3f', 0)})" for mode in self.modes) +
            f"; all modes: geometric mean {fmt(geomean(all_pairs), '.3f', 0)} of {len(all_pairs)} pairs,"
            f" {sum(x > 1 for x in all_pairs)} above 1")
        e("per-round TPS: " + "; ".join(
            f"{mode}/{n}=" + ",".join("ERR" if "error" in r else f"{r['tps']:.0f}" for r in tps[mode][n])
            for mode in self.modes for n in names))
        failures = [f"{mode}/{n}: {r['error']}" for mode in self.modes for n in names
                    for r in tps[mode][n] if "error" in r]
        for f in failures[:6]:
            e(f"FAILED RUN {f}")
        e()
        proxies = [n for n in names if self.targets["tps"][n].get("pid")]
        e("Proxy CPU-seconds per 100k transactions (utime+stime of the proxy process over all rounds;"
          " 1.000 = 10 us of proxy CPU per transaction), and the proxy's context switches per"
          " transaction (all threads, voluntary + involuntary)")
        e(f"{'mode':10}" + "".join(f"{n + ' cpu':>20}{'cs/tx':>8}" for n in proxies))
        for mode in self.modes:
            cells = ""
            for n in proxies:
                ok = [r for r in tps[mode][n] if "cpu" in r and r.get("txs")]
                txs = sum(r["txs"] for r in ok)
                cells += fmt(sum(r["cpu"] for r in ok) / txs * 1e5 if txs else None, ".3f", 20)
                ok = [r for r in tps[mode][n] if "cs" in r and r.get("txs")]
                txs = sum(r["txs"] for r in ok)
                cells += fmt(sum(r["cs"] for r in ok) / txs if txs else None, ".2f", 8)
            e(f"{mode:10}" + cells)
        e()
        e(f"Single-client latency: pgbench -S -c 1 -M simple -l, {self.lat_seconds} s runs x "
          f"{self.lat_rounds} interleaved rounds. best p50: the lowest per-round median (noise only "
          f"adds latency, and on this VM it comes in bursts that spoil whole rounds); p50/p90/p99: "
          f"over every transaction of all rounds")
        e(f"{'target':20}{'best p50':>9}{'added':>7}{'p50 us':>8}{'added':>7}{'p90 us':>8}"
          f"{'added':>7}{'p99 us':>8}{'mean us':>9}{'transactions':>14}")
        pct = {}
        for n in lat:
            all_us = sorted(v for r in lat[n] for v in r.get("tx_us", []))
            pct[n] = {"p50": percentile(all_us, 0.5), "p90": percentile(all_us, 0.9),
                      "p99": percentile(all_us, 0.99),
                      "mean": statistics.fmean(all_us) if all_us else None, "n": len(all_us)}
            round_p50 = [percentile(sorted(r["tx_us"]), 0.5) for r in lat[n] if r.get("tx_us")]
            pct[n]["best"] = min(round_p50) if round_p50 else None
        lat_best = {n: pct[n]["best"] for n in lat}
        lat_p50 = {n: pct[n]["p50"] for n in lat}
        lat_p90 = {n: pct[n]["p90"] for n in lat}

        def added(table, n):
            if n == "direct" or table[n] is None or table.get("direct") is None:
                return None
            return table[n] - table["direct"]

        for n in lat:
            e(f"{n:20}{fmt(pct[n]['best'], 'd', 9)}{fmt(added(lat_best, n), '+d', 7)}"
              f"{fmt(pct[n]['p50'], 'd', 8)}{fmt(added(lat_p50, n), '+d', 7)}"
              f"{fmt(pct[n]['p90'], 'd', 8)}{fmt(added(lat_p90, n), '+d', 7)}"
              f"{fmt(pct[n]['p99'], 'd', 8)}{fmt(pct[n]['mean'], '.1f', 9)}{pct[n]['n']:>14,}")
        e()
        what = (f"{self.copy_rows:,} rows of pgbench_accounts" if "BENCH_COPY_QUERY" not in os.environ
                else self.copy_query)
        e(f"COPY TO STDOUT via psql: {what}, median of {self.copy_rounds} rounds")
        e(f"{'target':20}{'seconds':>10}{'MB':>9}{'MB/s':>9}{'vs direct':>11}{'proxy CPU s/GB':>16}")
        copy_med = {}
        for n in copy:
            ok = [r for r in copy[n] if "error" not in r]
            secs = median([r["seconds"] for r in ok])
            mb = median([r["bytes"] / 1e6 for r in ok])
            copy_med[n] = secs
            cpu_ok = [r for r in ok if "cpu" in r]
            cpu_gb = (sum(r["cpu"] for r in cpu_ok) / (sum(r["bytes"] for r in cpu_ok) / 1e9)
                      if cpu_ok else None)
            e(f"{n:20}{fmt(secs, '.2f')}{fmt(mb, '.1f', 9)}"
              f"{fmt(mb / secs if mb and secs else None, '.1f', 9)}"
              f"{fmt(ratio(copy_med.get('direct'), secs), '.3f', 11)}{fmt(cpu_gb, '.2f', 16)}")
            for r in copy[n]:
                if "error" in r:
                    e(f"FAILED COPY {n}: {r['error']}")
        e()
        e("Memory per idle logged-in client (VmRSS delta of a fresh proxy process / clients; "
          "each client logged in as etl and ran SELECT 1)")
        e(f"{'target':20}{'clients':>9}{'errors':>8}{'RSS before KiB':>16}{'RSS after KiB':>15}"
          f"{'KiB/client':>12}")
        for n, r in idle.items():
            e(f"{n:20}{r.get('clients', 0):>9}{r.get('errors', 0):>8}{fmt(r.get('before'), 'd', 16)}"
              f"{fmt(r.get('after'), 'd', 15)}{fmt(r.get('per_client'), '.1f', 12)}")
            if r.get("first_error"):
                e(f"  first error: {r['first_error']}")
        e()
        for mode in self.modes:
            b, p = med[mode].get("blueshift"), med[mode].get("pgbouncer")
            pm = median(paired[mode])
            ok = pm is not None and pm > 1
            e(f"TARGET {'MET   ' if ok else 'MISSED'}: blueshift TPS > pgbouncer TPS ({mode}): "
              f"median paired ratio {fmt(pm, '.3f', 0)}  [median TPS {fmt(b, '.0f', 0)} vs {fmt(p, '.0f', 0)}]")
        g = geomean(all_pairs)
        ok = g is not None and g > 1
        e(f"TARGET {'MET   ' if ok else 'MISSED'}: blueshift TPS > pgbouncer TPS (all modes): geometric "
          f"mean of {len(all_pairs)} paired ratios {fmt(g, '.3f', 0)}")
        ab, ap = added(lat_best, "blueshift"), added(lat_best, "pgbouncer")
        ok = ab is not None and ap is not None and ab < ap
        e(f"TARGET {'MET   ' if ok else 'MISSED'}: blueshift added latency < pgbouncer added "
          f"latency (best-round p50 per round trip): {fmt(ab, '+d', 0)} us vs {fmt(ap, '+d', 0)} us"
          f"  [all-transaction p50: {fmt(added(lat_p50, 'blueshift'), '+d', 0)} us vs "
          f"{fmt(added(lat_p50, 'pgbouncer'), '+d', 0)} us]")
        if ab is None or ap is None:
            self.problems.append("no added-latency figure for blueshift or pgbouncer")
        if "pgbouncer-fresh" in names:
            fresh = {mode: paired_ratios(tps[mode].get("blueshift", []), tps[mode].get("pgbouncer-fresh", []))
                     for mode in self.modes}
            flat = [x for mode in self.modes for x in fresh[mode]]
            e("INFO: blueshift / pgbouncer-fresh (PgBouncer with new server connections each run, as "
              "Blueshift has), median paired ratio: " +
              ", ".join(f"{mode} {fmt(median(fresh[mode]), '.3f', 0)}" for mode in self.modes) +
              f"; all modes: geometric mean {fmt(geomean(flat), '.3f', 0)} of {len(flat)} pairs")
        if pol:
            pol_pairs = {mode: paired_ratios(tps[mode].get("blueshift+policies", []),
                                             tps[mode].get("pgbouncer", [])) for mode in self.modes}
            for mode in self.modes:
                e(f"INFO: policies cost ({mode}): blueshift+policies/blueshift TPS = "
                  f"{fmt(ratio(med[mode].get('blueshift+policies'), med[mode].get('blueshift')), '.3f', 0)}; "
                  f"blueshift+policies/pgbouncer median paired ratio {fmt(median(pol_pairs[mode]), '.3f', 0)}")
            flat = [x for mode in self.modes for x in pol_pairs[mode]]
            g = geomean(flat)
            ok = g is not None and g > 1
            e(f"TARGET {'MET   ' if ok else 'MISSED'}: blueshift+policies TPS > pgbouncer TPS (all modes): "
              f"geometric mean of {len(flat)} paired ratios {fmt(g, '.3f', 0)}")
        else:
            e(f"policies-loaded run: {self.args.policies_note}")
        for prob in self.problems:
            e(f"HARNESS PROBLEM: {prob}")
        e("=" * 100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", required=True, help="JSON file written by run_bench.sh")
    ap.add_argument("--results", required=True)
    ap.add_argument("--warehouse", required=True, help="path of deploy/dev/warehouse.sh")
    ap.add_argument("--binary", default="")
    ap.add_argument("--pgbouncer-note", default="")
    ap.add_argument("--policies-note", default="")
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
    tps = b.run_tps()
    lat = b.run_latency()
    copy = b.run_copy()
    idle = b.run_idle()
    for name, t in list(targets["tps"].items()) + list(targets.get("idle", {}).items()):
        if not alive(t.get("pid")):
            b.problems.append(f"{name} process {t['pid']} is gone (crashed?)")
    b.report(tps, lat, copy, idle)
    b.emit(f"measurement time {time.monotonic() - t0:.0f} s")
    text = "\n".join(b.out) + "\n"
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

"""The benchmark's thread-placement and proxy-ceiling phases (issue 15).

Placement: Blueshift with its default threads (one I/O thread per core, unpinned), one I/O
thread, and the default count pinned, beside PgBouncer, quiet and contended, paired by
round: the measurements the default thread count and pinning are chosen from.

Ceiling: each proxy's threads are confined to core 0, the warehouse (postmaster and
backends) and pgbench to the other cores, so the proxy's own cost per transaction shows
without the warehouse competing for its core. CPU microseconds per transaction there give
what one core of proxy can carry (tests/bench/README.md, "Scale on paper"). Direct runs in
the same rounds with the warehouse and pgbench on the same cores: the proxy on a core of
its own, as deployed, against no proxy at all (issue 15's 0.85 of direct, which the quiet
phase cannot show on two cores that pgbench, warehouse and proxy share).
"""

import glob
import os
import shutil
import statistics
import tempfile
import time

from bench_stats import fmt, median, paired_ratios, percentile, tail_text
from bench_report import DIRECT_SHARE, verdict_line
from contention import Contention


def _tids(pid):
    return [int(os.path.basename(t)) for t in glob.glob(f"/proc/{pid}/task/*")]


def _children(ppid):
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            out.append(int(stat.split("/")[2]))
    return out


def _set_cpus(pids, cpus):
    """Confines every thread of each pid to cpus; returns what each thread had, to restore."""
    before = {}
    for pid in pids:
        for tid in _tids(pid) if pid else []:
            try:
                before[tid] = os.sched_getaffinity(tid)
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass  # a thread that ended in between
    return before


def _restore(before):
    for tid, cpus in before.items():
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass


def run_placement(bench, log):
    """TPS, proxy CPU and context switches per transaction of each placement target, quiet
    and contended, BENCH_PLACEMENT_ROUNDS interleaved rounds of pgbench -S -c 16 -M prepared."""
    targets = bench.targets.get("placement", {})
    rounds = int(os.environ.get("BENCH_PLACEMENT_ROUNDS", 3))
    mode = os.environ.get("BENCH_PLACEMENT_MODE", "prepared")
    res = {}
    logdir = tempfile.mkdtemp(prefix="bench-place-tail-")
    try:
        for load in ("quiet", "contended"):
            res[load] = {name: [] for name in targets}
            with Contention(None if load == "contended" else 0) as c:
                log(f"placement {load}: {c.describe()}, pgbench -M {mode}, {rounds} rounds x {len(targets)} targets")
                for rnd in range(rounds):
                    for name in bench.rotated(list(targets), rnd):
                        r = bench.pgbench_loaded(targets[name], mode, logdir)
                        res[load][name].append(r)
                        log(f"  {load} round {rnd + 1} {name:22} {r.get('tps', 0):8.0f} tps{tail_text(r)} "
                            f"{r.get('error', '')}")
                res[load]["latency"] = _latency(bench, targets, rounds)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    return res


def _latency(bench, targets, rounds):
    """Single-client p50 and mean of every target and of direct, interleaved rounds of 1 s."""
    named = dict(targets, direct=bench.targets["tps"]["direct"])
    out = {name: [] for name in named}
    logdir = tempfile.mkdtemp(prefix="bench-place-")
    try:
        for rnd in range(rounds):
            for name in bench.rotated(list(named), rnd):
                r = bench.pgbench_on(named[name], ["-M", "simple", "-c", "1", "-j", "1"], 1,
                                     tx_log_prefix=os.path.join(logdir, "tx"))
                if "tx_us" in r:
                    out[name].append((percentile(sorted(r["tx_us"]), 0.5), r["lat_ms"] * 1000))
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    return out


def run_ceiling(bench, log):
    """Each proxy confined to core 0, the warehouse and pgbench to the rest; direct (no proxy)
    in the same rounds."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return {"error": "needs two cores"}
    proxy_cpus, rest = {cores[0]}, set(cores[1:])
    postmaster = int(bench.superuser_sql("SELECT pg_backend_pid()"))
    with open(f"/proc/{postmaster}/stat") as f:
        postmaster = int(f.read().rsplit(")", 1)[1].split()[1])  # the backend's parent
    warehouse = [postmaster] + _children(postmaster)
    targets = dict(bench.targets.get("ceiling", {}), direct=bench.targets["tps"]["direct"])
    rounds = int(os.environ.get("BENCH_CEILING_ROUNDS", 5))
    res = {name: [] for name in targets}
    kept = _set_cpus(warehouse, rest)
    try:
        for name in targets:
            kept.update(_set_cpus([targets[name]["pid"]], proxy_cpus))
        log(f"ceiling: proxies on core {cores[0]}, warehouse and pgbench on {sorted(rest)}, {rounds} rounds")
        time.sleep(0.5)
        for rnd in range(rounds):
            for name in bench.rotated(list(targets), rnd):
                r = bench.pgbench_on(targets[name], ["-M", "prepared", "-c", str(bench.clients), "-j", str(bench.jobs)],
                                     bench.seconds, cpus=rest)
                res[name].append(r)
                log(f"  ceiling round {rnd + 1} {name:22} {r.get('tps', 0):8.0f} tps {r.get('error', '')}")
    finally:
        _restore(kept)
    return res


def _median(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def _per_tx(runs, key):
    vals = [r[key] / r["txs"] for r in runs if key in r and r.get("txs")]
    return statistics.median(vals) if vals else None


def render(placement, ceiling, seconds):
    out = []
    if placement:
        out.append("")
        out.append("Thread placement (pgbench -S -c 16, medians of interleaved rounds; CPU and context "
                   "switches of the proxy per transaction; p99 latency of the logged transactions and the "
                   "slowest client's transactions over the median client's, 1 = all served alike)")
        out.append(f"  {'load':10} {'target':24} {'tps':>9} {'cpu us/tx':>10} {'cs/tx':>7} {'p99 ms':>7} "
                   f"{'slowest':>8}")
        for load, by_name in placement.items():
            for name, runs in by_name.items():
                if name == "latency":
                    continue
                tps, cpu, cs = _median(runs, "tps"), _per_tx(runs, "cpu"), _per_tx(runs, "cs")
                p99, slowest = _median(runs, "p99_us"), _median(runs, "slowest")
                out.append(f"  {load:10} {name:24} {tps or 0:9.0f} {cpu * 1e6 if cpu else 0:10.1f} "
                           f"{cs or 0:7.2f} {fmt(p99 / 1000 if p99 else None, '.2f', 7)} {fmt(slowest, '.2f', 8)}")
    if placement:
        out.append("")
        out.append("Thread placement: single-client added latency over direct (medians of rounds of 1 s; "
                   "p50 / mean)")
        for load, by_name in placement.items():
            lat = by_name.get("latency", {})
            direct = lat.get("direct") or []
            if not direct:
                continue
            d50, dmean = statistics.median(p for p, _ in direct), statistics.median(m for _, m in direct)
            for name, runs in lat.items():
                if name == "direct" or not runs:
                    continue
                p50, mean = statistics.median(p for p, _ in runs), statistics.median(m for _, m in runs)
                out.append(f"  {load:10} {name:24} +{p50 - d50:5.0f} / +{mean - dmean:5.0f} us")
    if ceiling and "error" not in ceiling:
        out += _ceiling_lines(ceiling, seconds)
    elif ceiling:
        out.append(f"Proxy ceiling: {ceiling['error']}")
    return out


# What README advises for a proxy with a core of its own (one I/O thread, io_poll_us: 50):
# the target the verdict is on.
CEILING_TARGET = "blueshift polling"


def _ceiling_lines(ceiling, seconds):
    out = ["", "Proxy ceiling: each proxy confined to one core, the warehouse and pgbench on the others "
           "(prepared, 16 clients); direct: no proxy, the warehouse and pgbench on the same cores"]
    out.append(f"  {'target':24} {'tps':>9} {'core busy':>9} {'cpu us/tx':>10} {'tps per core':>13} "
               f"{'/ direct':>9}")
    direct = ceiling.get("direct", [])
    of_direct = {}
    for name, runs in ceiling.items():
        tps = _median(runs, "tps")
        if name == "direct":
            out.append(f"  {name:24} {fmt(tps, '.0f', 9)}")
            continue
        cpu = _per_tx(runs, "cpu")
        busy = _median([dict(r, busy=r["cpu"] / seconds) for r in runs if "cpu" in r], "busy")
        pairs = paired_ratios(runs, direct)
        out.append(f"  {name:24} {tps or 0:9.0f} {(busy or 0) * 100:8.0f}% {cpu * 1e6 if cpu else 0:10.1f} "
                   f"{1 / cpu if cpu else 0:13.0f} {fmt(median(pairs), '.3f', 9)}  (by round: "
                   + " ".join(f"{x:.3f}" for x in pairs) + ")")
        of_direct[name] = median(pairs)
    if CEILING_TARGET in ceiling:
        verdict = of_direct[CEILING_TARGET]
        ok = verdict is not None and verdict >= DIRECT_SHARE
        others = ", ".join(f"{n} {fmt(r, '.3f', 0)}" for n, r in of_direct.items() if n != CEILING_TARGET)
        out.append(verdict_line(ok, f"[ceiling] {CEILING_TARGET} TPS >= {DIRECT_SHARE} x direct TPS with the proxy "
                                    f"on a core of its own (prepared): median paired ratio {fmt(verdict, '.3f', 0)}"
                                    + (f"  [{others}]" if others else "")))
    return out

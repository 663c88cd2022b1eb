"""The summary half of tests/bench/bench.py: tables and TARGET verdicts from its measurements.

A phase is one machine condition ("quiet", or "contended": one busy process per core beside
the benchmark) with its throughput and latency runs; COPY and idle memory are measured once,
on the quiet machine. Verdicts follow issue 15's targets, as paired ratios measured in the
same run: TPS at least PgBouncer's (and at least 0.85 of direct when quiet), added latency
(p50 and mean) at most PgBouncer's, COPY within 5 % of direct, an idle client at most 2 KiB.
"""

import os
import statistics
import time

from bench_stats import (fmt, geomean, geomean_interval, mean_interval, median, paired_ratios, percentile, ratio,
                         settled_text)

DIRECT_SHARE = 0.85   # quiet-mode TPS through Blueshift / direct
COPY_SLACK = 1.05     # COPY seconds through Blueshift / direct
IDLE_KIB = 2.0        # KiB of proxy RSS per idle logged-in client
# Blueshift with a configuration of its own, each measured against PgBouncer and direct as
# plain Blueshift is: the worst-case policies (every statement governed) and the example
# policies as deployed (pgbench's statements take the fast path). target -> its column head.
CONFIG_TARGETS = {"blueshift+policies": "bs+pol/bs", "blueshift+example": "bs+ex/bs"}


def verdict_line(ok, text):
    return f"TARGET {'MET   ' if ok else 'MISSED'}: {text}"


class Report:
    def __init__(self, bench):
        self.b = bench
        self.out = []
        self.verdicts = []

    def e(self, line=""):
        self.out.append(line)

    def target(self, ok, text):
        self.verdicts.append(verdict_line(ok, text))

    # ---- header ------------------------------------------------------------------------------
    def header(self, phases):
        a = self.b.args
        self.e("=" * 100)
        self.e("BLUESHIFT BENCHMARK SUMMARY")
        self.e(f"date {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  host cores {os.cpu_count()}  "
               f"loadavg at end {open('/proc/loadavg').read().split()[:3]}")
        self.e(f"binary {a.binary}")
        self.e(f"warehouse: {a.warehouse_note}")
        self.e(f"pgbouncer: {a.pgbouncer_note}")
        self.e(f"blueshift+policies: {a.policies_note}")
        self.e(f"blueshift+example: {a.example_note}")
        for load, ph in phases.items():
            self.e(f"phase {load}: {ph['note']}; loadavg at start {ph['load_start']}, at end "
                   f"{ph['load_end']}; blueshift {ph['placement']}")
        self.e("NOTE: shared, noisy VM; medians of interleaved rounds. Compare ratios, not absolutes.")
        self.e()

    # ---- throughput --------------------------------------------------------------------------
    def tps_table(self, load, tps, rounds):
        b, names = self.b, list(self.b.targets["tps"])
        configs = [n for n in CONFIG_TARGETS if n in names]
        self.e(f"[{load}] Throughput: pgbench -S, {b.clients} clients, -j {b.jobs}, {b.seconds} s runs, "
               f"median of {rounds} interleaved rounds (TPS after each run's first {b.warmup} s, while new "
               f"warehouse backends warm up; whole-run figures in the INFO line below)")
        w = {n: max(14, len(n) + 2) for n in names}
        self.e(f"{'mode':10}" + "".join(f"{n:>{w[n]}}" for n in names) +
               f"{'bs/direct':>11}{'pgb/direct':>11}{'bs/pgb':>9}" + "".join(f"{CONFIG_TARGETS[n]:>11}" for n in configs))
        med = {}
        for mode in b.modes:
            m = med[mode] = {n: median([r.get("tps") for r in tps[mode][n]]) for n in names}
            line = f"{mode:10}" + "".join(fmt(m[n], width=w[n]) for n in names)
            for num, den, width in (("blueshift", "direct", 11), ("pgbouncer", "direct", 11),
                                    ("blueshift", "pgbouncer", 9)):
                line += fmt(ratio(m.get(num), m.get(den)), ".3f", width)
                if ratio(m.get(num), m.get(den)) is None:
                    b.problems.append(f"[{load}] no {num}/{den} ratio in mode {mode}")
            for n in configs:
                line += fmt(ratio(m.get(n), m.get("blueshift")), ".3f", 11)
            self.e(line)
        return med

    def paired_lines(self, tps, num, den):
        """Per-mode paired num/den TPS ratios of the same round (runs seconds apart, so the
        VM's slow drift cancels), printed; returns {mode: [ratios]}."""
        modes = self.b.modes
        paired = {mode: paired_ratios(tps[mode].get(num, []), tps[mode].get(den, [])) for mode in modes}
        flat = [x for mode in modes for x in paired[mode]]
        self.e(f"paired {num}/{den} per round: " + "; ".join(
            f"{mode} " + " ".join(f"{x:.3f}" for x in paired[mode]) +
            f" (median {fmt(median(paired[mode]), '.3f', 0)})" for mode in modes) +
            f"; all modes: geometric mean {fmt(geomean(flat), '.3f', 0)} of {len(flat)} pairs,"
            f" {sum(x > 1 for x in flat)} above 1")
        return paired

    def run_lines(self, tps):
        names, modes = list(self.b.targets["tps"]), self.b.modes
        self.e("per-round TPS: " + "; ".join(
            f"{mode}/{n}=" + ",".join("ERR" if "error" in r else f"{r['tps']:.0f}" for r in tps[mode][n])
            for mode in modes for n in names))
        failures = [f"{mode}/{n}: {r['error']}" for mode in modes for n in names
                    for r in tps[mode][n] if "error" in r]
        for f in failures[:6]:
            self.e(f"FAILED RUN {f}")
        self.e()

    def cpu_table(self, load, tps):
        proxies = [n for n, t in self.b.targets["tps"].items() if t.get("pid")]
        self.e(f"[{load}] Proxy CPU-seconds per 100k transactions (utime+stime of the proxy process over"
               " all rounds; 1.000 = 10 us of proxy CPU per transaction), and the proxy's context"
               " switches per transaction (all threads, voluntary + involuntary)")
        w = {n: max(20, len(n) + 6) for n in proxies}
        self.e(f"{'mode':10}" + "".join(f"{n + ' cpu':>{w[n]}}{'cs/tx':>8}" for n in proxies))
        for mode in self.b.modes:
            cells = ""
            for n in proxies:
                for key, scale, spec, width in (("cpu", 1e5, ".3f", w[n]), ("cs", 1, ".2f", 8)):
                    ok = [r for r in tps[mode][n] if key in r and r.get("txs")]
                    txs = sum(r["txs"] for r in ok)
                    cells += fmt(sum(r[key] for r in ok) / txs * scale if txs else None, spec, width)
            self.e(f"{mode:10}" + cells)
        self.e()

    def tail_table(self, load, tps):
        """The throughput runs' tail: p99 latency and the slowest client's share, from the
        transactions each run logged (BENCH_TAIL_SAMPLING)."""
        b, modes = self.b, self.b.modes
        names = [n for n in b.targets["tps"] if any("p99_us" in r for m in modes for r in tps[m][n])]
        if not names:
            return
        self.e(f"[{load}] Under load, from the {b.tail_sample:.0%} of the throughput runs' transactions logged "
               f"(after each run's first {b.warmup} s, as for TPS): "
               "p99 latency (ms) / the slowest client's transactions over the median client's (1 = every client "
               "served alike; a proxy can buy total TPS by letting some sessions fall behind), medians of rounds")
        w = {n: max(14, len(n) + 2) for n in names}
        self.e(f"{'mode':10}" + "".join(f"{n:>{w[n]}}" for n in names))
        for mode in modes:
            cells = ""
            for n in names:
                p99 = median([r.get("p99_us") for r in tps[mode][n] if "error" not in r])
                slowest = median([r.get("slowest") for r in tps[mode][n] if "error" not in r])
                cells += f"{fmt(p99 / 1000 if p99 else None, '.2f', 0)} / {fmt(slowest, '.2f', 0)}".rjust(w[n])
            self.e(f"{mode:10}" + cells)
        for n in [n for n in ("blueshift", *CONFIG_TARGETS) if n in names]:
            flat = [x for mode in modes for x in paired_ratios(tps[mode][n], tps[mode].get("pgbouncer", []), "p99_us")]
            share = {t: median([r.get("slowest") for mode in modes for r in tps[mode].get(t, []) if "error" not in r])
                     for t in (n, "pgbouncer")}
            self.e(f"INFO: [{load}] {n} under load against pgbouncer: p99 latency ratio, geometric mean of "
                   f"{len(flat)} paired runs, {fmt(geomean(flat), '.3f', 0)}{settled_text(geomean_interval(flat), 1)}; "
                   f"slowest client's share, median of all runs, {fmt(share[n], '.2f', 0)} against "
                   f"{fmt(share['pgbouncer'], '.2f', 0)}")
        self.e()

    # ---- latency -----------------------------------------------------------------------------
    def latency_table(self, load, lat):
        b = self.b
        self.e(f"[{load}] Single-client latency: pgbench -S -c 1 -M simple -l, {b.lat_seconds} s runs x "
               f"{len(next(iter(lat.values()), []))} interleaved rounds. best p50: the lowest per-round "
               f"median (noise only adds latency, and on this VM it comes in bursts that spoil whole "
               f"rounds); p50/p90/p99/mean: over every transaction of all rounds")
        self.e(f"{'target':20}{'best p50':>9}{'added':>7}{'p50 us':>8}{'added':>7}{'p90 us':>8}"
               f"{'added':>7}{'p99 us':>8}{'mean us':>9}{'added':>7}{'transactions':>14}")
        pct = {n: latency_figures(lat[n]) for n in lat}
        for n, p in pct.items():
            self.e(f"{n:20}{fmt(p['best'], 'd', 9)}{fmt(added(pct, 'best', n), '+d', 7)}"
                   f"{fmt(p['p50'], 'd', 8)}{fmt(added(pct, 'p50', n), '+d', 7)}"
                   f"{fmt(p['p90'], 'd', 8)}{fmt(added(pct, 'p90', n), '+d', 7)}"
                   f"{fmt(p['p99'], 'd', 8)}{fmt(p['mean'], '.1f', 9)}{fmt(added(pct, 'mean', n), '+.0f', 7)}"
                   f"{p['n']:>14,}")
        self.e()
        return pct

    # ---- COPY and idle memory ----------------------------------------------------------------
    def copy_table(self, copy):
        b = self.b
        what = (f"{b.copy_rows:,} rows of pgbench_accounts" if "BENCH_COPY_QUERY" not in os.environ
                else b.copy_query)
        self.e(f"COPY TO STDOUT via psql: {what}, median of {b.copy_rounds} rounds (quiet machine)")
        self.e(f"{'target':20}{'seconds':>10}{'MB':>9}{'MB/s':>9}{'vs direct':>11}{'proxy CPU s/GB':>16}")
        copy_med = {}
        for n in copy:
            ok = [r for r in copy[n] if "error" not in r]
            secs = copy_med[n] = median([r["seconds"] for r in ok])
            mb = median([r["bytes"] / 1e6 for r in ok])
            cpu_ok = [r for r in ok if "cpu" in r]
            cpu_gb = (sum(r["cpu"] for r in cpu_ok) / (sum(r["bytes"] for r in cpu_ok) / 1e9)
                      if cpu_ok else None)
            self.e(f"{n:20}{fmt(secs, '.2f')}{fmt(mb, '.1f', 9)}"
                   f"{fmt(mb / secs if mb and secs else None, '.1f', 9)}"
                   f"{fmt(ratio(copy_med.get('direct'), secs), '.3f', 11)}{fmt(cpu_gb, '.2f', 16)}")
            for r in copy[n]:
                if "error" in r:
                    self.e(f"FAILED COPY {n}: {r['error']}")
        self.e()
        return copy_med

    def idle_table(self, title, rows):
        self.e(title)
        self.e(f"{'target':24}{'clients':>9}{'errors':>8}{'RSS before KiB':>16}{'RSS after KiB':>15}"
               f"{'KiB/client':>12}")
        for n, r in rows.items():
            self.e(f"{n:24}{r.get('clients', 0):>9}{r.get('errors', 0):>8}{fmt(r.get('before'), 'd', 16)}"
                   f"{fmt(r.get('after'), 'd', 15)}{fmt(r.get('per_client'), '.1f', 12)}")
            if r.get("first_error"):
                self.e(f"  first error: {r['first_error']}")
        self.e()

    # ---- verdicts ----------------------------------------------------------------------------
    def tps_targets(self, load, med, vs_pgb, vs_direct, label="blueshift"):
        for mode in self.b.modes:
            pm = median(vs_pgb[mode])
            self.target(pm is not None and pm >= 1,
                        f"[{load}] {label} TPS >= pgbouncer TPS ({mode}): median paired ratio "
                        f"{fmt(pm, '.3f', 0)}  [median TPS {fmt(med[mode].get(label), '.0f', 0)} vs "
                        f"{fmt(med[mode].get('pgbouncer'), '.0f', 0)}]")
            if load == "quiet" and vs_direct is not None:
                pd = median(vs_direct[mode])
                self.target(pd is not None and pd >= DIRECT_SHARE,
                            f"[{load}] {label} TPS >= {DIRECT_SHARE} x direct TPS ({mode}): median "
                            f"paired ratio {fmt(pd, '.3f', 0)}")
        flat = [x for mode in self.b.modes for x in vs_pgb[mode]]
        g = geomean(flat)
        self.target(g is not None and g >= 1,
                    f"[{load}] {label} TPS >= pgbouncer TPS (all modes): geometric mean of "
                    f"{len(flat)} paired ratios {fmt(g, '.3f', 0)}{settled_text(geomean_interval(flat), 1)}")

    def latency_targets(self, load, pct, lat):
        for key, what in (("p50", "all-transaction p50"), ("mean", "mean")):
            ab, ap = added(pct, key, "blueshift"), added(pct, key, "pgbouncer")
            diffs = round_differences(lat.get("blueshift", []), lat.get("pgbouncer", []), key)
            self.target(ab is not None and ap is not None and ab <= ap,
                        f"[{load}] blueshift added latency <= pgbouncer added latency ({what}): "
                        f"{fmt(ab, '+.0f', 0)} us vs {fmt(ap, '+.0f', 0)} us  [best-round p50: "
                        f"{fmt(added(pct, 'best', 'blueshift'), '+d', 0)} vs "
                        f"{fmt(added(pct, 'best', 'pgbouncer'), '+d', 0)} us; blueshift - pgbouncer "
                        f"by round ({key}, us): " + " ".join(f"{d:+.0f}" for d in diffs) + "]" +
                        settled_text(mean_interval(diffs), 0, "+.1f"))
            if ab is None or ap is None:
                self.b.problems.append(f"[{load}] no added-latency figure ({key})")

    def copy_target(self, copy_med):
        r = ratio(copy_med.get("blueshift"), copy_med.get("direct"))
        self.target(r is not None and r <= COPY_SLACK,
                    f"COPY TO STDOUT through blueshift within {COPY_SLACK - 1:.0%} of direct: "
                    f"{fmt(r, '.3f', 0)} x direct's time")

    def idle_target(self, label, r):
        per = r.get("per_client")
        samples = r.get("samples") or []
        spread = "" if len(samples) < 2 else \
            f" (median of {len(samples)} fresh proxies: " + " / ".join(fmt(x, '.1f', 0) for x in samples) + ")"
        self.target(per is not None and per <= IDLE_KIB,
                    f"idle logged-in client <= {IDLE_KIB} KiB ({label}): {fmt(per, '.1f', 0)} KiB{spread}")

    def fresh_line(self, tps):
        fresh = {mode: paired_ratios(tps[mode].get("blueshift", []), tps[mode].get("pgbouncer-fresh", []))
                 for mode in self.b.modes}
        flat = [x for mode in self.b.modes for x in fresh[mode]]
        self.e("INFO: blueshift / pgbouncer-fresh (PgBouncer with new server connections each run, as "
               "Blueshift has), median paired ratio: " +
               ", ".join(f"{mode} {fmt(median(fresh[mode]), '.3f', 0)}" for mode in self.b.modes) +
               f"; all modes: geometric mean {fmt(geomean(flat), '.3f', 0)} of {len(flat)} pairs")

    def whole_run_line(self, tps):
        """The paired ratios over whole runs, first second included, against PgBouncer's warm
        pool: what the verdicts were measured on before session 20."""
        names = [n for n in ("blueshift", *CONFIG_TARGETS, "direct") if n in self.b.targets["tps"]]
        parts = []
        for n in names:
            flat = [x for mode in self.b.modes
                    for x in paired_ratios(tps[mode].get(n, []), tps[mode].get("pgbouncer", []), key="tps_whole")]
            lo, hi = geomean_interval(flat) or (None, None)
            parts.append(f"{n} {fmt(geomean(flat), '.3f', 0)} ({fmt(lo, '.3f', 0)}-{fmt(hi, '.3f', 0)})")
        self.e("INFO: whole runs, first second included (new backends warming up), paired against PgBouncer's "
               "warm pool, geometric mean of all modes (90 % interval): " + ", ".join(parts))

    # ---- the whole summary -------------------------------------------------------------------
    def phase(self, load, ph):
        names = list(self.b.targets["tps"])
        med = self.tps_table(load, ph["tps"], ph["rounds"])
        vs_pgb = self.paired_lines(ph["tps"], "blueshift", "pgbouncer")
        vs_direct = self.paired_lines(ph["tps"], "blueshift", "direct")
        configs = {n: (self.paired_lines(ph["tps"], n, "pgbouncer"), self.paired_lines(ph["tps"], n, "direct"))
                   for n in CONFIG_TARGETS if n in names}
        self.run_lines(ph["tps"])
        self.cpu_table(load, ph["tps"])
        self.tail_table(load, ph["tps"])
        pct = self.latency_table(load, ph["lat"])
        self.tps_targets(load, med, vs_pgb, vs_direct)
        for n, (vs_pgb_n, vs_direct_n) in configs.items():
            self.tps_targets(load, med, vs_pgb_n, vs_direct_n, label=n)
        self.latency_targets(load, pct, ph["lat"])
        self.whole_run_line(ph["tps"])
        if "pgbouncer-fresh" in names:
            self.fresh_line(ph["tps"])

    def syscall_table(self, calls):
        if "skipped" in calls:
            self.e(f"System calls per transaction: skipped ({calls['skipped']})")
            return
        self.e("System calls per transaction: strace -c of the proxy (all threads) during pgbench -S -c 1 "
               "(exact counts; runs of N and 2N transactions, the difference over N, so log-ins are left out)")
        self.e(f"{'mode':10}{'target':20}{'total':>8}{'epoll_wait':>12}{'recvfrom':>10}{'sendto':>8}")
        for mode, rows in calls.items():
            for name, r in rows.items():
                if "error" in r:
                    self.e(f"{mode:10}{name:20}  FAILED: {r['error']}")
                    continue
                self.e(f"{mode:10}{name:20}{sum(r.values()):8.2f}{r.get('epoll_wait', 0):12.2f}"
                       f"{r.get('recvfrom', 0):10.2f}{r.get('sendto', 0):8.2f}")
        self.e()
        for mode, rows in calls.items():
            bs, pgb = rows.get("blueshift", {}), rows.get("pgbouncer", {})
            if "error" in bs or "error" in pgb or not bs or not pgb:
                continue
            # A tenth of a call per transaction of slack: log-in and timer calls, spread out.
            self.target(sum(bs.values()) <= sum(pgb.values()) + 0.1,
                        f"blueshift system calls per transaction <= pgbouncer's ({mode}): "
                        f"{sum(bs.values()):.2f} vs {sum(pgb.values()):.2f}")

    def render(self, phases, copy, idle, idle_scripted, calls=None):
        self.header(phases)
        for load, ph in phases.items():
            self.phase(load, ph)
            self.e()
        self.copy_target(self.copy_table(copy))
        if calls:
            self.syscall_table(calls)
        self.idle_table("Memory per idle logged-in client via the warehouse (VmRSS delta of a proxy process "
                        "warmed by 100 sessions opened together and closed / clients; each client logged in as etl with SCRAM and ran SELECT 1)", idle)
        if "blueshift" in idle:
            self.idle_target(f"{idle['blueshift'].get('clients', 0)} via the warehouse", idle["blueshift"])
        rows = {f"{n} x{count}": r for count, pair in idle_scripted.items() for n, r in pair.items()}
        if rows:
            self.idle_table("Memory per idle logged-in client at scale, via tests/bench/idle_upstream.py (VmRSS "
                            "delta of a fresh proxy process warmed by 100 sessions / clients; trust login, one SELECT; no warehouse "
                            "backends, so thousands fit; the median of BENCH_IDLE_SAMPLES fresh proxies)", rows)
            for count, pair in idle_scripted.items():
                if "blueshift" in pair:
                    self.idle_target(f"{count} via idle_upstream", pair["blueshift"])
        self.out.extend(self.verdicts)
        for n, note in (("blueshift+policies", self.b.args.policies_note), ("blueshift+example", self.b.args.example_note)):
            if n not in self.b.targets["tps"]:
                self.e(f"{n} run: {note}")
        for prob in self.b.problems:
            self.e(f"HARNESS PROBLEM: {prob}")
        self.e("=" * 100)
        return self.out


def round_differences(a_runs, b_runs, key):
    """a - b of one latency statistic ("p50" or "mean", µs) of the runs of the same round:
    rounds are interleaved, so the VM's drift between rounds cancels."""
    out = []
    for a, b in zip(a_runs, b_runs):
        if a.get("tx_us") and b.get("tx_us"):
            fa, fb = latency_figures([a]), latency_figures([b])
            out.append(fa[key] - fb[key])
    return out


def latency_figures(runs):
    all_us = sorted(v for r in runs for v in r.get("tx_us", []))
    round_p50 = [percentile(sorted(r["tx_us"]), 0.5) for r in runs if r.get("tx_us")]
    return {"p50": percentile(all_us, 0.5), "p90": percentile(all_us, 0.9),
            "p99": percentile(all_us, 0.99), "mean": statistics.fmean(all_us) if all_us else None,
            "n": len(all_us), "best": min(round_p50) if round_p50 else None}


def added(pct, key, n):
    """Latency a target adds over a direct connection by one figure (p50, mean, ...)."""
    if n == "direct" or n not in pct or "direct" not in pct:
        return None
    mine, direct = pct[n][key], pct["direct"][key]
    return None if mine is None or direct is None else mine - direct

"""Small statistics and formatting helpers shared by bench.py and bench_report.py."""

import math
import re
import statistics


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


def paired_ratios(a_runs, b_runs, key="tps"):
    """a/b TPS (or another figure) of the runs of the same round, where both runs worked."""
    return [a[key] / b[key] for a, b in zip(a_runs, b_runs)
            if "error" not in a and "error" not in b and a.get(key) and b.get(key)]


_PROGRESS = re.compile(r"^progress: ([0-9.]+) s, ([0-9.]+) tps", re.M)


def steady_tps(output, warmup_s):
    """TPS once the run's connections are warm: the mean of pgbench's per-second progress
    figures (-P 1) after its first warmup_s seconds, or None with fewer than two left.

    A target that opens new server connections (direct, Blueshift, PgBouncer after KILL)
    gets new warehouse backends, which ran at 45 to 75 % of their speed in their first second
    on this VM (that second also holds the log-ins); PgBouncer's warm pool skips that. In
    session 20's two full runs, leaving it out moved the ratios against PgBouncer by 0.7 to
    2.6 %."""
    after = [float(tps) for t, tps in _PROGRESS.findall(output) if float(t) > warmup_s + 1e-6]
    return statistics.fmean(after) if len(after) >= 2 else None


def tx_log(lines):
    """pgbench's per-transaction log (-l; "client_id tx_no latency_us script_no epoch_s
    epoch_us" a line) as (client, latency in µs, end time in s) records. Lines of failed
    transactions (no number in the latency field) are left out."""
    records = []
    for line in lines:
        f = line.split()
        if len(f) < 6 or not f[2].isdigit():
            continue
        records.append((f[0], int(f[2]), int(f[4]) + int(f[5]) / 1e6))
    return records


def tail_figures(records, warmup_s, clients=0):
    """p99 latency (µs) and the slowest client's share (slowest_share) of the transactions
    that ended after the run's first warmup_s seconds, as its TPS is counted (steady_tps);
    (None, None) when none did. A client that logged none then counts as 0, whether it logged
    some earlier or is one of the run's `clients` (ids 0 to clients - 1) never seen."""
    if not records:
        return None, None
    start = min(t for _, _, t in records)
    per_client = {str(i): 0 for i in range(clients)}
    per_client.update((client, 0) for client, _, _ in records)
    latencies = []
    for client, latency, t in records:
        if t - start >= warmup_s:
            latencies.append(latency)
            per_client[client] += 1
    if not latencies:
        return None, None
    return percentile(sorted(latencies), 0.99), slowest_share(per_client)


def slowest_share(per_client):
    """The slowest client's transactions over the median client's (1: every client served
    alike; 0 when at least half got none), or None with fewer than two clients.

    A proxy that serves some sessions faster than others (session 21: two I/O threads, with
    the clients on the same host) can show more total TPS than a fair one in a closed-loop
    run, because the clients it favours go round faster; this and the tail latency show what
    the total hides."""
    counts = sorted(per_client.values())
    if len(counts) < 2:
        return None
    middle = statistics.median(counts)
    return counts[0] / middle if middle else 0.0  # half the clients or more got nothing


def tail_text(r):
    """', p99 1.23 ms, slowest client 0.85' for a run's log line, or '' without tail figures."""
    p99, slowest = r.get("p99_us"), r.get("slowest")
    return (f", p99 {p99 / 1000:.2f} ms" if p99 is not None else "") + \
        (f", slowest client {slowest:.2f}" if slowest is not None else "")


def geomean(values):
    return statistics.geometric_mean(values) if values else None


# One-sided 95 % quantiles of Student's t by degrees of freedom (two-sided 90 % interval).
_T95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833,
        10: 1.812, 11: 1.796, 12: 1.782, 13: 1.771, 14: 1.761, 15: 1.753, 16: 1.746, 17: 1.740,
        18: 1.734, 19: 1.729, 20: 1.725, 25: 1.708, 30: 1.697}


def geomean_interval(values):
    """90 % interval of the geometric mean of ratios (t on their logarithms), or None.

    Rounds on this VM scatter by more than the differences measured, so a verdict from one
    run's point estimate can flip in the next: the interval says whether it is settled."""
    if len(values) < 2:
        return None
    lo, hi = mean_interval([math.log(v) for v in values])
    return math.exp(lo), math.exp(hi)


def _t95(n):
    return next((q for d, q in sorted(_T95.items()) if d >= n - 1), 1.645)  # the next df listed: wider


def mean_interval(values):
    """90 % interval of the mean of paired differences (t), or None."""
    if len(values) < 2:
        return None
    half = _t95(len(values)) * statistics.stdev(values) / math.sqrt(len(values))
    centre = statistics.fmean(values)
    return centre - half, centre + half


def settled_text(interval, bound, spec=".3f"):
    """' [90 % interval lo-hi: ...]' saying whether the interval lies on one side of bound."""
    if interval is None:
        return ""
    lo, hi = interval
    side = "above" if lo >= bound else "below" if hi < bound else "spans"
    return (f"  [90 % interval {lo:{spec}} to {hi:{spec}}, {side} {bound:g}"
            f"{': not settled by this run' if side == 'spans' else ''}]")

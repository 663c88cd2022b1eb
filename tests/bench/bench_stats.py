"""Small statistics and formatting helpers shared by bench.py and bench_report.py."""

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


def paired_ratios(a_runs, b_runs):
    """a/b TPS of the runs of the same round, for the rounds where both runs worked."""
    return [a["tps"] / b["tps"] for a, b in zip(a_runs, b_runs)
            if "error" not in a and "error" not in b and a.get("tps") and b.get("tps")]


def geomean(values):
    return statistics.geometric_mean(values) if values else None

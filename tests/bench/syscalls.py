"""System calls a proxy makes per transaction, counted by strace -c (exact counts, not time).

On loopback nearly all of a proxy's CPU per transaction is in the kernel, so the number of
system calls per forwarded transaction is the figure to hold against PgBouncer's: it does
not depend on how busy the machine is, unlike TPS. strace slows the proxy down, which does
not change what it calls, only how fast.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time


def available():
    return shutil.which("strace") is not None


def count_per_transaction(pid, run_transactions, txs):
    """{syscall: calls per transaction} of process pid, and an error (or None).
    run_transactions(n) runs n transactions on a new connection and returns how many ran.
    Counted for n and 2n transactions, and the difference taken, so that log-in and
    connection set-up (which differ between proxies) are not spread over the transactions."""
    small, error = count_calls(pid, lambda: run_transactions(txs))
    if error:
        return None, error
    large, error = count_calls(pid, lambda: run_transactions(2 * txs))
    if error:
        return None, error
    return {name: max(0, large.get(name, 0) - small.get(name, 0)) / txs for name in large}, None


def count_calls(pid, run):
    """({syscall: calls}, error) of process pid while run() runs."""
    fd, out = tempfile.mkstemp(prefix="bench-strace-")
    os.close(fd)
    tracer = subprocess.Popen(["strace", "-c", "-f", "-q", "-p", str(pid), "-o", out],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)  # attached to every thread before the first transaction
        ran = run()
    finally:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            tracer.kill()
    try:
        with open(out) as f:
            table = f.read()
    finally:
        os.unlink(out)
    if not ran:
        return None, "pgbench failed"
    calls = parse_strace_summary(table)
    if not calls:
        return None, "strace counted nothing (ptrace not permitted?)"
    return calls, None


def parse_strace_summary(text):
    """{syscall: calls} from the table strace -c prints."""
    calls = {}
    for line in text.splitlines():
        m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$", line)
        if m and m.group(2) != "total":
            calls[m.group(2)] = int(m.group(1))
    return calls

"""The benchmark's contended mode: a bounded CPU load beside the measured processes.

Users run Blueshift on shared hosts and Kubernetes nodes, where other processes take the
cores it runs on. Contention() starts one busy process per core at normal priority (the
neighbours a node really has, not niced ones) and stops them on exit, so that the same
targets are measured quiet and contended in one run.
"""

import glob
import os
import signal
import subprocess
import sys

BUSY_LOOP = "while True:\n    pass"


class Contention:
    def __init__(self, processes=None):
        self.count = processes if processes is not None else len(os.sched_getaffinity(0))
        self.procs = []

    def __enter__(self):
        for _ in range(self.count):
            self.procs.append(subprocess.Popen([sys.executable, "-c", BUSY_LOOP],
                                               stdin=subprocess.DEVNULL, start_new_session=True))
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.send_signal(signal.SIGKILL)
        for p in self.procs:
            p.wait()
        self.procs = []
        return False

    def describe(self):
        return f"{self.count} busy processes (one per core, nice 0)" if self.count else "no added load"


def thread_placement(pid):
    """'3 threads, CPUs 0 | 1 | 0-1': a process's threads and where each may run, from
    /proc/PID/task/*/status (shows whether the proxy pinned its I/O threads)."""
    if not pid:
        return "n/a"
    cpus = []
    for task in sorted(glob.glob(f"/proc/{pid}/task/*")):
        try:
            with open(f"{task}/status") as f:
                for line in f:
                    if line.startswith("Cpus_allowed_list:"):
                        cpus.append(line.split()[1])
        except OSError:
            pass  # a thread that ended in between
    return f"{len(cpus)} threads, CPUs {' | '.join(cpus)}" if cpus else "n/a"

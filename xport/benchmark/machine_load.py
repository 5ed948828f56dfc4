"""How busy the machine was while the bench timed: other processes' CPU use and the load average.

The bench's own threads must not count as "busy": ``/proc/stat`` adds up the CPU time of every process, and
``os.times()`` gives this process's (all its threads: runtime thread pools, their spin-waits too; and the child
processes it waited for, which time the candidates of ``bench(isolate=True)``), so the
difference over the timed window is what other processes took from the cores meanwhile. Off Linux only the
1-minute load average is known; it counts the bench's own runnable threads too, which are subtracted as an
estimate (and it lags: it still remembers the exports that ran before the timing).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")

# Below this the counters' 10-ms tick (USER_HZ = 100) is more than a tenth of a core's worth of error.
MIN_WINDOW_S = 0.5


@dataclass(frozen=True)
class MachineLoad:
    """What else ran on the machine during the timed window (all numbers in cores, averaged over the window)."""

    cores: int
    threads: int  # the bench's own thread count
    window_s: float
    load_before: float | None  # 1-minute load average when the timing started (None: unknown on this OS)
    load_after: float | None
    other_cores: float | None  # cores other processes kept busy on average; None: not measurable here
    source: str  # how other_cores was found: "/proc/stat", "load average", or why it is None

    @property
    def free_cores(self) -> int:
        """Cores the bench leaves to everything else."""
        return max(0, self.cores - self.threads)


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has none
        return None


def _busy_seconds() -> float | None:
    """CPU seconds all processes spent off idle since boot, from ``/proc/stat``; None off Linux."""
    try:
        fields = PROC_STAT.read_text().splitlines()[0].split()
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    # steal counts as busy: a hypervisor that takes the core away slows the bench like a neighbour would
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    times = os.times()  # with the finished child processes it waited for: the timing children of ``isolate``
    return times.user + times.system + times.children_user + times.children_system


class LoadWatch:
    """Started right before the timed region and stopped right after it: ``LoadWatch(threads)`` … ``.stop()``."""

    def __init__(self, threads: int):
        self.threads = threads
        self._load = _load_average()
        self._busy = _busy_seconds()
        self._own = _own_seconds()
        self._start = time.perf_counter()

    def stop(self) -> MachineLoad:
        """What other processes used since this watch was started."""
        window = time.perf_counter() - self._start
        busy, own, load_after = _busy_seconds(), _own_seconds(), _load_average()
        cores = os.cpu_count() or 1
        if busy is not None and self._busy is not None:
            if window >= MIN_WINDOW_S:
                other, source = max(0.0, (busy - self._busy) - (own - self._own)) / window, "/proc/stat"
            else:
                other, source = None, f"timing took {window:.2f} s, too short to measure (needs {MIN_WINDOW_S} s)"
        elif load_after is not None:
            other, source = max(0.0, load_after - self.threads), "load average"
        else:
            other, source = None, "neither /proc/stat nor a load average on this OS"
        return MachineLoad(cores=cores, threads=self.threads, window_s=window, load_before=self._load,
                           load_after=load_after, other_cores=other, source=source)

"""What the numbers were measured on: CPU, versions, and this machine's fp32 matrix-multiply peak.

The matmul peak is the yardstick for "how much of the machine does this artifact use": a large fp32 GEMM
at the benchmark's thread count is as close to the CPU's sustained fp32 throughput as a user-level
measurement gets (vendor BLAS kernels, cache-blocked). It is measured in the same run as the artifacts, so
a machine that is busy or thermally throttled lowers both.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch

from .. import __version__


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def matmul_peak_gflops(threads: int, size: int = 1024, runs: int = 10) -> float:
    """fp32 GEMM throughput (GFLOP/s) of ``size``×``size`` matrices at ``threads`` threads; best of ``runs``.

    The best run, not the median: a peak is what the hardware can do, and noise only ever slows it down.
    """
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.mm(a, b)  # warm-up: thread pool start, page faults of the output
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            torch.mm(a, b)
            seconds.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * size**3 / min(seconds) / 1e9


def describe(threads: int) -> dict[str, object]:
    """CPU, core count, OS, tool versions and the date, for the report's header."""
    import os

    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpu": cpu_model(), "logical_cores": os.cpu_count(),
        "threads": threads,
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "python": sys.version.split()[0], "torch": torch.__version__, "xport": __version__,
    }


"""Peak memory of loading and running one candidate, measured in a fresh child process.

In one process the high-water mark only grows and every runtime loaded stays mapped, so each candidate
gets its own process. The child first imports the runtime and takes its resident set as the baseline,
then loads the model and runs it; the result is the peak resident set (what the OS must provide) and the
peak's increase over the baseline (what this model costs in that runtime: weights, arena, workspace).

    python -m xport.benchmark.memory artifact PATH [--runs N] [--threads T]
    python -m xport.benchmark.memory eager MODEL.pt SHAPE [SHAPE ...] [--runs N] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xport import backends, load

_STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class MemoryUse:
    """Peak resident memory of a child process that loaded and ran one candidate (MB = 10⁶ bytes)."""

    peak_mb: float
    model_mb: float  # peak minus the resident set after importing the runtime, before loading the model


def _status_kb(field: str) -> int | None:
    if not _STATUS.exists():
        return None
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def _reset_peak() -> None:
    """Start a new high-water mark (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # no reset: the peak then also covers the imports, which only overstates it


def _peak_kb() -> int:
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS, KiB on Linux


def measure(kind: str, target: Path, shapes: Sequence[Sequence[int]] = (), runs: int = 3, threads: int = 2,
            timeout: float = 900) -> MemoryUse | str:
    """Run ``kind`` ("artifact" or "eager") in a child process; the memory use, or why it could not be measured."""
    command = [sys.executable, "-m", __name__, kind, str(target), *(",".join(map(str, s)) for s in shapes),
               "--runs", str(runs), "--threads", str(threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"the memory probe ran past {timeout:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        return f"the memory probe failed: {last}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return MemoryUse(result["peak_kb"] * 1024 / 1e6, (result["peak_kb"] - result["baseline_kb"]) * 1024 / 1e6)


def _probe(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xport.benchmark.memory")
    parser.add_argument("kind", choices=("artifact", "eager"))
    parser.add_argument("target", type=Path)
    parser.add_argument("shapes", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)


    import torch


    torch.set_num_threads(args.threads)
    if args.kind == "artifact":  # import the runtime before the baseline: its libraries are not the model's cost
        backends.get(backends.for_path(args.target)).module("runtime")
    baseline = _status_kb("VmRSS") or _peak_kb()
    _reset_peak()
    with torch.no_grad():
        if args.kind == "artifact":
            artifact = load(args.target, threads=args.threads)
            inputs = [torch.zeros(s.example_shape(), dtype=getattr(torch, s.dtype)) for s in artifact.manifest.inputs]
            run = artifact.run
        else:
            run = torch.load(args.target, weights_only=False).eval()
            inputs = [torch.zeros(*map(int, s.split(","))) for s in args.shapes]
        for _ in range(args.runs):
            run(*inputs)
    print(json.dumps({"baseline_kb": baseline, "peak_kb": _peak_kb()}))


if __name__ == "__main__":
    _probe()

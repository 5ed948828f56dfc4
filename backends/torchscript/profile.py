"""Per-op times from torch's profiler around the lite interpreter: the ATen (or ``quantized::``) calls it makes.

The lite interpreter keeps no node names, so each call's module is found by pairing op kinds in order
(:meth:`NodeMap.in_order`) with the graph xport exported.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.profiler import ProfilerActivity, record_function
from torch.profiler import profile as torch_profile

from xport.node_map import NodeMap
from xport.profiling.records import NodeTime

from .runtime import LiteRunner

_RUN = "xport profiled run"


def _calls_per_run(runner: LiteRunner, arrays: Sequence[np.ndarray], runs: int) -> list[list[tuple[str, float]]]:
    """(op, ms) of each run's top-level calls. One profiler session for all runs, each run marked, the first one
    dropped: a session started per run slows the first ops after it (measured: 24 ms for a 0.8 ms convolution)."""
    with torch_profile(activities=[ProfilerActivity.CPU]) as recorded:
        for _ in range(runs + 1):
            with record_function(_RUN):
                runner.run(*arrays)
    marks = [e for e in recorded.events() if e.name == _RUN and e.cpu_parent is None]
    return [[(c.name, c.cpu_time_total / 1e3) for c in mark.cpu_children] for mark in marks[1:]]


def _precision(op: str, file_precision: str) -> str:
    """``quantized::`` ops run int8 kernels; in an int8 file an ATen op may see int8 or float tensors (unknown)."""
    if op.startswith("quantized::"):
        return "int8"
    return "fp32" if file_precision == "fp32" else ""


def profile(path: Path, arrays: Sequence[np.ndarray], runs: int, threads: int, nodes: NodeMap | None,
            warmup: int = 2) -> list[NodeTime]:
    """Median time per op call over ``runs`` runs, in execution order."""
    runner = LiteRunner(path)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            runner.run(*arrays)
        recorded = _calls_per_run(runner, arrays, runs)
    finally:
        torch.set_num_threads(previous)
    calls = [name for name, _ in recorded[0]]
    if any([name for name, _ in run] != calls for run in recorded):
        raise RuntimeError("the lite interpreter ran different ops from one run to the next; cannot profile it")
    paired = nodes.in_order(calls) if nodes is not None else [None] * len(calls)
    return [NodeTime(f"{name} #{i}", name.split("::")[-1], name, _precision(name, runner.manifest.precision),
                     statistics.median(run[i][1] for run in recorded), module=found.module if found else None)
            for i, (name, found) in enumerate(zip(calls, paired))]

"""Per-node times from OpenVINO's performance counters (``PERF_COUNT``), read from the compiled runtime model.

The CPU plugin names a compiled node after the IR node it grew from, and ``ov.convert_model`` named IR nodes
``<graph node>/<aten op>/<OpenVINO op>``; a layout change the plugin inserts is named after the node it feeds.
The execution type says which kernel ran and at what precision (``brgconv_avx512_1x1_I8``: an int8 kernel).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from xport.node_map import NodeMap
from xport.profiling.records import NodeTime

from .runtime import OpenVinoRunner

_PRECISIONS = {"f32": "fp32", "i8": "int8", "u8": "int8", "bf16": "bf16", "f16": "fp16"}


def _precision(exec_type: str) -> str:
    return _PRECISIONS.get(exec_type.rsplit("_", 1)[-1].lower(), "") if "_" in exec_type else ""


def profile(path: Path, arrays: Sequence[np.ndarray], runs: int, threads: int, nodes: NodeMap | None,
            warmup: int = 2) -> list[NodeTime]:
    """Median time per executed node over ``runs`` runs, in execution order."""
    runner = OpenVinoRunner(path, threads, perf_counts=True)
    for _ in range(warmup):
        runner.run(*arrays)
    times: dict[str, list[float]] = defaultdict(list)
    order = None
    for _ in range(runs):
        runner.run(*arrays)
        executed = [p for p in runner.profiling_info() if p.status.name == "EXECUTED"]
        order = order or executed
        for p in executed:
            times[p.node_name].append(p.real_time.total_seconds() * 1e3)
    result = []
    for p in order or []:
        found = nodes.by_name(p.node_name) if nodes is not None else None
        result.append(NodeTime(p.node_name, p.node_type, p.exec_type, _precision(p.exec_type),
                               statistics.median(times[p.node_name]), module=found.module if found else None))
    return result

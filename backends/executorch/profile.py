"""Per-operator times from ExecuTorch's ETDump, read with its own Inspector.

Inside the XNNPACK delegate ETDump names XNNPACK's operators (``Convolution (NHWC, QS8) IGEMM #3``), not the graph's
nodes, so the module of each is found by pairing operator kinds in order (:meth:`NodeMap.in_order`); ops that ran
outside the delegate are ExecuTorch's portable kernels (``native_call_<op>``), the fallback this table flags.
"""

from __future__ import annotations

import re
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from xport._warnings import native_stderr_silenced
from xport.node_map import NodeMap
from xport.profiling.records import NodeTime

from . import BACKEND
from .runtime import _use_threads

_AGGREGATES = {"DELEGATE_CALL", "Method::execute", "OPERATOR_CALL"}
_PRECISIONS = {"F32": "fp32", "F16": "fp16", "QS8": "int8", "QC8": "int8", "QU8": "int8", "QD8": "int8",
               "QP8": "int8"}


def _precision(kernel: str) -> str:
    types = re.findall(r"\b(F32|F16|QS8|QC8|QU8|QD8|QP8)\b", kernel)
    return _PRECISIONS[types[0]] if types else ""


def _events(path: Path, arrays: Sequence[np.ndarray], runs: int, threads: int, warmup: int) -> list:
    from executorch.devtools import Inspector
    from executorch.extension.pybindings.portable_lib import _load_for_executorch

    inputs = [torch.from_numpy(np.ascontiguousarray(x)) for x in arrays]
    with BACKEND.quiet(), native_stderr_silenced(), tempfile.TemporaryDirectory(prefix="xport-etdump-") as scratch:
        _use_threads(threads)
        module = _load_for_executorch(str(path), enable_etdump=True, debug_buffer_size=0)
        for _ in range(warmup + runs):
            module.forward(inputs)
        dump = Path(scratch) / "model.etdp"
        module.write_etdump_result_to_file(str(dump))
        blocks = Inspector(etdump_path=str(dump)).event_blocks
    execute = next(b for b in blocks if b.name == "Execute")
    return [e for e in execute.events if e.name not in _AGGREGATES and e.perf_data is not None]


def profile(path: Path, arrays: Sequence[np.ndarray], runs: int, threads: int, nodes: NodeMap | None,
            warmup: int = 2) -> list[NodeTime]:
    """Median time per operator over the last ``runs`` runs, in execution order."""
    events = _events(path, arrays, runs, threads, warmup)
    kernels = [e.name.split(" #")[0].removeprefix("native_call_") for e in events]
    paired = nodes.in_order(kernels) if nodes is not None else [None] * len(events)
    return [NodeTime(e.name, kernel.split(" (")[0], kernel, _precision(kernel),
                     statistics.median(e.perf_data.raw[-runs:]), delegated=bool(e.is_delegated_op),
                     module=found.module if found else None)
            for e, kernel, found in zip(events, kernels, paired)]

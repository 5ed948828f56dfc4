"""``xport profile``: which block of a model costs what on each runtime, from the runtime's own profiler.

Every runtime profiles in its own terms (ONNX Runtime's JSON trace, OpenVINO's performance counters, ExecuTorch's
ETDump, torch's profiler around the lite interpreter); each backend's ``profile.py`` reads its own and returns
:class:`NodeTime` records in execution order. The node map xport writes into every manifest at export
(:mod:`xport.node_map`) names the ``nn.Module`` each runtime node came from, and :class:`ProfileReport` sums them per
block, next to the whole-model latency measured with the benchmark protocol.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from xport.artifact import DEFAULT_THREADS, Artifact
from xport.errors import XportError
from xport.node_map import NodeMap
from xport.tensor_spec import validate_inputs

from .compare import cross_table, draw_chart
from .here import profile_here
from .records import BlockTime, NodeTime
from .report import DEFAULT_DEPTH, ProfileReport


def _example_inputs(artifact: Artifact, inputs: Any) -> tuple[torch.Tensor, ...]:
    if inputs is None:
        generator = torch.Generator().manual_seed(0)
        return tuple(torch.randn(s.example_shape(), generator=generator).to(getattr(torch, s.dtype))
                     if s.dtype.startswith("float") else torch.zeros(s.example_shape(), dtype=getattr(torch, s.dtype))
                     for s in artifact.manifest.inputs)
    if isinstance(inputs, torch.Tensor | np.ndarray):
        inputs = (inputs,)
    return tuple(torch.as_tensor(x) for x in inputs)


def profile(target: Artifact | str | Path, inputs: Any = None, *, runs: int = 10, threads: int = DEFAULT_THREADS,
            label: str | None = None, isolate: bool = True) -> ProfileReport:
    """Profile one artifact with its runtime's own profiler; times per node and per block (:class:`ProfileReport`).

    ``inputs`` default to seeded random tensors of the manifest's shapes. ``runs`` profiled runs give each node's
    median; the whole-model latency is measured with the benchmark protocol, profiling off, half before and half
    after them. With ``isolate`` (the default) all of it happens in a child process that loads only this runtime,
    so no other runtime's spinning threads or process-wide state can disturb the times. A runtime without a
    profiler here gives the whole-model time and a note saying why.
    """
    if runs < 1 or threads < 1:
        raise XportError(f"profile needs at least one run and one thread (got runs={runs}, threads={threads})")
    if not isinstance(target, Artifact):
        from xport.api import load  # here, not at the top: backends import this package for its records

        target = load(target, threads)
    label = label or f"{target.backend} {target.precision}"
    tensors = _example_inputs(target, inputs)
    validate_inputs(tensors, target.manifest.inputs)  # a wrong input fails here, not in the child
    if isolate:
        from .child import profile_in_child

        return profile_in_child(target.path, tensors, runs=runs, threads=threads, label=label)
    return profile_here(target, tensors, runs=runs, threads=threads, label=label)


__all__ = ["profile", "ProfileReport", "NodeTime", "BlockTime", "NodeMap", "cross_table", "draw_chart",
           "DEFAULT_DEPTH"]

"""One artifact profiled in this process: the whole-model latency, then the runtime's own profiler, mapped to
modules (what :func:`xport.profile` runs, in a child process by default)."""

from __future__ import annotations

import logging
import statistics
from dataclasses import replace

import torch

from xport import backends as backend_registry
from xport.artifact import Artifact
from xport.benchmark.protocol import interleaved
from xport.node_map import NodeMap, between
from xport.tensor_spec import validate_inputs

from .report import ProfileReport

log = logging.getLogger("xport")

NO_NODE_MAP = ("this artifact has no node map (it was written by an older xport, or not by xport), so times are per "
               "runtime node; export it again with `xport export` to see them per block")


def profile_here(artifact: Artifact, inputs: tuple[torch.Tensor, ...], *, runs: int, threads: int,
                 label: str) -> ProfileReport:
    """:func:`profile` in this process."""
    backend = backend_registry.get(artifact.backend)
    arrays = validate_inputs(inputs, artifact.manifest.inputs)

    def whole(count: int) -> tuple[float, ...]:
        timed = interleaved({label: lambda: artifact.runner.run(*arrays)}, runs=count, warmup=2, threads=threads)
        return timed[label].samples_ms

    log.info("profile %s: whole-model latency, then %d runs with %s", label, runs,
             backend.spec.profiler or "no profiler")
    samples = whole(max(1, runs // 2))
    report = ProfileReport(label, artifact.backend, artifact.precision, str(artifact.path),
                           backend.spec.profiler or "none", runs, threads, (), 0.0)
    if not backend.spec.profiler:
        samples += whole(max(1, runs - len(samples)))
        return replace(report, whole_ms=statistics.median(samples),
                       notes=(f"{artifact.backend}: {backend.spec.no_profiler}; whole-model time only",))
    nodes = NodeMap.from_extra(artifact.manifest.extra)
    with backend.quiet():
        timed = backend.profile(artifact.path, arrays, runs, threads, nodes)
    samples += whole(max(1, runs - len(samples)))
    report = replace(report, whole_ms=statistics.median(samples))
    if nodes is None:
        return replace(report, nodes=tuple(timed), notes=(NO_NODE_MAP,))
    modules = between([n.module for n in timed])
    return replace(report, nodes=tuple(replace(n, module=m) for n, m in zip(timed, modules)))

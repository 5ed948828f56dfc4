"""``xport design measure``: time every distinct block of a grid of variants on one backend, and the whole models.

Each block is exported alone (``xport.export`` of the module, fed the input shape it sees inside the model) and
timed with the benchmark protocol beside a reference model (:class:`_BesideReference`), less the runtime's cost of
one call (timed on an almost empty model: a block timed alone pays it once, a model pays it once for all its blocks);
the whole variants are timed too, so the table knows how blocks add up to a model on this runtime. Progress is
logged per variant; a backend that cannot export a block fails with its own error.
"""

from __future__ import annotations

import copy
import logging
import platform
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from xport import backends as backend_registry
from xport.api import export
from xport.artifact import DEFAULT_THREADS, Artifact
from xport.benchmark.protocol import interleaved
from xport.profiling import profile
from xport.profiling.report import DEFAULT_DEPTH
from xport.quant.sources import calibration_from

from .table import BlockTable
from .units import Unit, units_of
from .variants import MEASURE_GRID, X3dVariant

log = logging.getLogger("xport")


def export_for_timing(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backend: str, precision: str,
                      work_dir: Path, *, options: dict[str, Any]) -> Artifact:
    """``module`` exported to ``backend`` (int8: calibrated on seeded noise, right for timing only)."""
    if precision == "int8":
        options = {**options, "calibration": calibration_from("synthetic", module, inputs, synthetic_count=8)}
    return export(module, inputs, backend, work_dir, precision, overwrite=True, **options)


def call_of(artifact: Artifact, inputs: tuple[torch.Tensor, ...]) -> Callable[[], Any]:
    """A call that runs ``artifact`` once on ``inputs`` in its runtime."""
    arrays = [x.numpy() for x in inputs]
    runner = artifact.runner
    return lambda: runner.run(*arrays)


class _BesideReference:
    """Times candidates interleaved with a reference model, as ratios, and turns them into ms at the reference's
    median speed over the whole measurement. This machine's speed drifts by up to 2x within minutes (one X3D-XS
    timed 12.8 ms and 25 ms in one run); a ratio to a reference timed in the same seconds does not drift."""

    def __init__(self, reference: Callable[[], Any], *, runs: int, threads: int):
        self.reference, self.runs, self.threads = reference, runs, threads
        self.reference_medians: list[float] = []

    def ratio(self, call: Callable[[], Any]) -> float:
        timed = interleaved({"reference": self.reference, "candidate": call}, runs=self.runs, warmup=2,
                            threads=self.threads)
        self.reference_medians.append(timed["reference"].median_ms)
        return timed["candidate"].median_ms / timed["reference"].median_ms

    @property
    def reference_ms(self) -> float:
        return statistics.median(self.reference_medians)


def _profiled_shares(artifact: Artifact, units: Sequence[Unit], *, runs: int, threads: int) -> dict[str, float]:
    """Each unit's share (by path) of its model's profiled time, from the runtime's own profiler
    (:func:`xport.profile`): blocks timed in context, as the model runs them. A share of the profiled sum, not of the
    whole-model time: profilers add a cost per node, which on small blocks outweighs the node itself. Time between
    units (layout changes) is in no unit's share."""
    report = profile(artifact, runs=runs, threads=threads)
    shares = dict.fromkeys((u.path for u in units), 0.0)
    for block in report.blocks(depth=DEFAULT_DEPTH):
        path = next((p for p in shares if block.block == p or block.block.startswith(p + ".")), None)
        if path is not None:
            shares[path] += block.ms / report.total_ms
    return shares


def measure(backend: str, precision: str = "fp32", variants: Sequence[X3dVariant] = MEASURE_GRID, *,
            threads: int = DEFAULT_THREADS, runs: int = 10, **options: Any) -> BlockTable:
    """The :class:`BlockTable` of ``backend`` on this machine, from every distinct block of ``variants``; the first
    variant is the reference every block and model is timed beside.

    Where the runtime has a profiler here, each variant is exported whole, timed beside the reference and profiled,
    and each block's time is its profiled share of its model's time (in context: no per-call cost, no fusion lost
    at a block's edges). Elsewhere (LiteRT) each distinct block is exported and timed alone, less the cost of one
    call.
    """
    in_context = bool(backend_registry.get(backend).spec.profiler)
    table = BlockTable(backend, precision, threads, {"machine": platform.machine(), "cpu": platform.processor()},
                       options=options, reference=variants[0].name,
                       method="profiled inside whole models" if in_context else "each block exported alone")
    units_by_key: dict[str, Unit] = {}
    observed: dict[str, list[float]] = defaultdict(list)  # block key → its times, as ratios to the reference
    wholes: list[tuple[str, float, list[str]]] = []
    with tempfile.TemporaryDirectory(prefix="xport-design-") as scratch:
        work = Path(scratch)

        def exported(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], folder: str) -> Artifact:
            return export_for_timing(module, inputs, backend, precision, work / folder, options=options)

        reference = exported(variants[0].build(), variants[0].example_input(), "reference")
        beside = _BesideReference(call_of(reference, variants[0].example_input()), runs=runs, threads=threads)
        call = 0.0
        if not in_context:
            torch.manual_seed(0)  # an almost empty model: its time is the runtime's cost of one call
            empty = (torch.zeros(1, 8, 1, 8, 8),)
            call = beside.ratio(call_of(exported(torch.nn.Conv3d(8, 8, 1).eval(), empty, "call"), empty))
        for v, variant in enumerate(variants, 1):
            model, inputs = variant.build(), variant.example_input()
            pairs = units_of(model, inputs)
            units = [u for u, _ in pairs]
            units_by_key.update((u.key, u) for u in units)
            artifact = exported(model, inputs, "whole")
            whole = beside.ratio(call_of(artifact, inputs))
            wholes.append((variant.name, whole, [u.key for u in units]))
            if in_context:
                log.info("[%d/%d] %s: profiling its %d blocks", v, len(variants), variant.name, len(units))
                shares = _profiled_shares(artifact, units, runs=runs, threads=threads)
                for unit in units:
                    observed[unit.key].append(shares[unit.path] * whole)
                continue
            new = list({u.key: (u, m) for u, m in pairs if u.key not in observed}.values())  # each key once
            log.info("[%d/%d] %s: %d blocks, %d not timed yet", v, len(variants), variant.name, len(units), len(new))
            for unit, module in new:
                block_inputs = (unit.example_input(),)
                observed[unit.key].append(beside.ratio(call_of(exported(copy.deepcopy(module), block_inputs,
                                                                        "block"), block_inputs)) - call)
    ms = beside.reference_ms  # every ratio in ms at the reference's median speed
    table.reference_ms, table.call_ms = ms, call * ms
    for key, ratios in observed.items():
        table.add(units_by_key[key], max(0.0, statistics.median(ratios) * ms))
    for name, ratio, keys in wholes:
        table.wholes.append({"name": name, "ms": ratio * ms, "blocks_ms": sum(table.blocks[k]["ms"] for k in keys)})
        log.info("%s: whole model %.2f ms, its blocks %.2f ms", name, ratio * ms, table.wholes[-1]["blocks_ms"])
    table.overhead_ms, table.scale = table.fitted_model()
    return table

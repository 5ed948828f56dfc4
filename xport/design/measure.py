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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from xport.api import export
from xport.artifact import DEFAULT_THREADS
from xport.benchmark.protocol import interleaved
from xport.quant import Calibration

from .table import BlockTable
from .units import Unit, units_of
from .variants import MEASURE_GRID, X3dVariant

log = logging.getLogger("xport")


def exported_runner(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backend: str, precision: str,
                    work_dir: Path, *, options: dict[str, Any]) -> Callable[[], Any]:
    """``module`` exported to ``backend`` and loaded: a call that runs it once on ``inputs`` (int8: calibrated on
    seeded noise, right for timing only)."""
    if precision == "int8":
        generator = torch.Generator().manual_seed(1)
        noise = [tuple(torch.randn(x.shape, generator=generator) for x in inputs) for _ in range(8)]
        options = {**options, "calibration": Calibration.from_data(noise, inputs)}
    artifact = export(module, inputs, backend, work_dir, precision, overwrite=True, **options)
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


def measure(backend: str, precision: str = "fp32", variants: Sequence[X3dVariant] = MEASURE_GRID, *,
            threads: int = DEFAULT_THREADS, runs: int = 10, **options: Any) -> BlockTable:
    """The :class:`BlockTable` of ``backend`` on this machine, from every distinct block of ``variants``; the first
    variant is the reference every block and model is timed beside."""
    table = BlockTable(backend, precision, threads, {"machine": platform.machine(), "cpu": platform.processor()},
                       options=options, reference=variants[0].name)
    blocks: dict[str, tuple[Unit, float]] = {}
    wholes: list[tuple[str, float, list[str]]] = []
    with tempfile.TemporaryDirectory(prefix="xport-design-") as scratch:
        work = Path(scratch)

        def runner(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], folder: str) -> Callable[[], Any]:
            return exported_runner(module, inputs, backend, precision, work / folder, options=options)

        beside = _BesideReference(runner(variants[0].build(), variants[0].example_input(), "reference"), runs=runs,
                                  threads=threads)
        torch.manual_seed(0)  # an almost empty model: its time is the runtime's cost of one call
        call = beside.ratio(runner(torch.nn.Conv3d(8, 8, 1).eval(), (torch.zeros(1, 8, 1, 8, 8),), "call"))
        for v, variant in enumerate(variants, 1):
            model, inputs = variant.build(), variant.example_input()
            units = units_of(model, inputs)
            new = list({u.key: (u, m) for u, m in units if u.key not in blocks}.values())  # each key once
            log.info("[%d/%d] %s: %d blocks, %d not timed yet", v, len(variants), variant.name, len(units), len(new))
            for unit, module in new:
                blocks[unit.key] = unit, beside.ratio(runner(copy.deepcopy(module), (unit.example_input(),), "block"))
            wholes.append((variant.name, beside.ratio(runner(model, inputs, "whole")), [u.key for u, _ in units]))
    ms = beside.reference_ms  # every ratio in ms at the reference's median speed
    table.reference_ms, table.call_ms = ms, call * ms
    for unit, ratio in blocks.values():
        table.add(unit, max(0.0, ratio * ms - table.call_ms))  # the block's own time, without the call
    for name, ratio, keys in wholes:
        table.wholes.append({"name": name, "ms": ratio * ms, "blocks_ms": sum(table.blocks[k]["ms"] for k in keys)})
        log.info("%s: whole model %.2f ms, its blocks alone %.2f ms", name, ratio * ms, table.wholes[-1]["blocks_ms"])
    table.overhead_ms, table.scale = table.fitted_model()
    return table

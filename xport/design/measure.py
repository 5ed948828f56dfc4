"""``xport design measure``: time every distinct block of a grid of variants on one backend, and the whole models.

Each block is exported alone (``xport.export`` of the module, fed the input shape it sees inside the model) and
timed with the benchmark protocol, less the runtime's cost of one call (timed on an almost empty model: a block timed
alone pays it once, a model pays it once for all its blocks); the whole variants are timed too, so the table knows
the runtime's cost beyond its blocks. Progress is logged per variant; a backend that cannot export a block fails
with its own error.
"""

from __future__ import annotations

import copy
import logging
import platform
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
from .units import units_of
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


def time_exported(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backend: str, precision: str,
                  work_dir: Path, *, runs: int, threads: int, options: dict[str, Any]) -> float:
    """Median ms of ``module`` exported to ``backend`` (:func:`exported_runner`)."""
    call = exported_runner(module, inputs, backend, precision, work_dir, options=options)
    return interleaved({"m": call}, runs=runs, warmup=2, threads=threads)["m"].median_ms


def _call_cost(backend: str, precision: str, work_dir: Path, *, runs: int, threads: int,
               options: dict[str, Any]) -> float:
    """Median ms of one call of an almost empty model (a 1×1 convolution on a 8×1×8×8 tensor): the runtime's cost
    per call, which every block timed alone pays once and a whole model pays once for all its blocks."""
    torch.manual_seed(0)
    tiny = torch.nn.Conv3d(8, 8, 1).eval()
    return time_exported(tiny, (torch.zeros(1, 8, 1, 8, 8),), backend, precision, work_dir, runs=runs,
                         threads=threads, options=options)


def measure(backend: str, precision: str = "fp32", variants: Sequence[X3dVariant] = MEASURE_GRID, *,
            threads: int = DEFAULT_THREADS, runs: int = 10, **options: Any) -> BlockTable:
    """The :class:`BlockTable` of ``backend`` on this machine, from every distinct block of ``variants``."""
    table = BlockTable(backend, precision, threads, {"machine": platform.machine(), "cpu": platform.processor()},
                       options=options)
    with tempfile.TemporaryDirectory(prefix="xport-design-") as scratch:
        table.call_ms = _call_cost(backend, precision, Path(scratch) / "call", runs=runs, threads=threads,
                                   options=options)
        log.info("%s: %.3f ms per call of an almost empty model", backend, table.call_ms)
        for v, variant in enumerate(variants, 1):
            model = variant.build()
            inputs = variant.example_input()
            units = units_of(model, inputs)
            new = list({u.key: (u, m) for u, m in units if u.key not in table.blocks}.values())  # each key once
            log.info("[%d/%d] %s: %d blocks, %d not timed yet", v, len(variants), variant.name, len(units), len(new))
            for unit, module in new:
                ms = time_exported(copy.deepcopy(module), (unit.example_input(),), backend, precision,
                                   Path(scratch) / "block", runs=runs, threads=threads, options=options)
                table.add(unit, max(0.0, ms - table.call_ms))  # the block's own time
            whole = time_exported(model, inputs, backend, precision, Path(scratch) / "whole", runs=runs,
                                  threads=threads, options=options)
            table.wholes.append({"name": variant.name, "ms": whole,
                                 "blocks_ms": sum(table.blocks[u.key]["ms"] for u, _ in units)})
            log.info("[%d/%d] %s: whole model %.2f ms, its blocks %.2f ms", v, len(variants), variant.name, whole,
                     table.wholes[-1]["blocks_ms"])
    table.overhead_ms = table.fitted_overhead()
    return table

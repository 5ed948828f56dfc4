"""``xport design measure``: time every distinct block of a grid of variants on one backend, and the whole models.

Each block is exported alone (``xport.export`` of the module, fed the input shape it sees inside the model) and
timed with the benchmark protocol; the whole variants are timed too, so the table knows the runtime's cost beyond
its blocks. Progress is logged per block; a backend that cannot export a block fails with its own error.
"""

from __future__ import annotations

import copy
import logging
import platform
import tempfile
from collections.abc import Sequence
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


def time_exported(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backend: str, precision: str,
                  work_dir: Path, *, runs: int, threads: int, options: dict[str, Any]) -> float:
    """Median ms of ``module`` exported to ``backend`` (int8: calibrated on seeded noise, right for timing only)."""
    if precision == "int8":
        generator = torch.Generator().manual_seed(1)
        noise = [tuple(torch.randn(x.shape, generator=generator) for x in inputs) for _ in range(8)]
        options = {**options, "calibration": Calibration.from_data(noise, inputs)}
    artifact = export(module, inputs, backend, work_dir, precision, overwrite=True, **options)
    arrays = [x.numpy() for x in inputs]
    runner = artifact.runner
    return interleaved({"m": lambda: runner.run(*arrays)}, runs=runs, warmup=2, threads=threads)["m"].median_ms


def measure(backend: str, precision: str = "fp32", variants: Sequence[X3dVariant] = MEASURE_GRID, *,
            threads: int = DEFAULT_THREADS, runs: int = 10, **options: Any) -> BlockTable:
    """The :class:`BlockTable` of ``backend`` on this machine, from every distinct block of ``variants``."""
    table = BlockTable(backend, precision, threads, {"machine": platform.machine(), "cpu": platform.processor()},
                       options=options)
    with tempfile.TemporaryDirectory(prefix="xport-design-") as scratch:
        for v, variant in enumerate(variants, 1):
            model = variant.build()
            inputs = variant.example_input()
            units = units_of(model, inputs)
            new = [(u, m) for u, m in units if u.key not in table.blocks]
            log.info("[%d/%d] %s: %d blocks, %d not timed yet", v, len(variants), variant.name, len(units), len(new))
            for unit, module in new:
                ms = time_exported(copy.deepcopy(module), (unit.example_input(),), backend, precision,
                                   Path(scratch) / "block", runs=runs, threads=threads, options=options)
                table.add(unit, ms)
            whole = time_exported(model, inputs, backend, precision, Path(scratch) / "whole", runs=runs,
                                  threads=threads, options=options)
            table.wholes.append({"name": variant.name, "ms": whole,
                                 "blocks_ms": sum(table.blocks[u.key]["ms"] for u, _ in units)})
            log.info("[%d/%d] %s: whole model %.2f ms, its blocks %.2f ms", v, len(variants), variant.name, whole,
                     table.wholes[-1]["blocks_ms"])
    table.overhead_ms = table.fitted_overhead()
    return table

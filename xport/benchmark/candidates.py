"""What ``xport.bench`` exports to time: each backend × precision of the model, and of its stream step."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from .. import backends as backend_registry
from ..api import export
from ..artifact import Artifact
from ..capture import as_input_tuple
from ..errors import XportError

log = logging.getLogger("xport")


def _precisions_of(backend: str, wanted: Sequence[str] | str) -> tuple[list[str], list[str]]:
    """(precisions to run, precisions asked for that the backend lacks)."""
    have = list(backend_registry.get(backend).caps.precisions)
    if wanted == "all":
        return have, []
    return [p for p in wanted if p in have], [p for p in wanted if p not in have]


def _synthetic_calibration(inputs: tuple[torch.Tensor, ...], notes: list[str], count: int = 8) -> list[tuple]:
    """Seeded N(0, 1) clips of the input shapes: enough for int8 *latency* (ranges do not change the kernels)."""
    notes.append(f"int8 calibrated on {count} seeded random clips (pass calibration= for real clips): its latency "
                 "is representative, its parity column is not a statement about accuracy")
    generator = torch.Generator().manual_seed(1)
    return [tuple(torch.randn(x.shape, generator=generator) for x in inputs) for _ in range(count)]


def export_candidates(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backends: Sequence[str],
                       precisions: Sequence[str] | str, work_dir: Path, notes: list[str],
                       calibration: Any = None) -> list[Artifact]:
    """Export ``model`` to each backend at each of ``precisions`` it has, into ``work_dir/<backend>_<precision>``;
    what is skipped, and a synthetic int8 calibration, are said in ``notes``."""
    from ..quant import Calibration
    from ..quant.flow import quantizes_by_default

    plan = []
    for backend in backends:
        run, missing = _precisions_of(backend, precisions)
        if "int8" in run and not quantizes_by_default(backend):
            run.remove("int8")
            notes.append(f"{backend} quantizes no op at its default options (Core ML: int8 needs iOS 17); "
                         "int8 not benchmarked")
        plan += [(backend, p) for p in run]
        if missing:
            notes.append(f"{backend} has no {', '.join(missing)} (it has "
                         f"{', '.join(backend_registry.get(backend).caps.precisions)}); not benchmarked")
    if not plan:
        raise XportError(f"nothing to benchmark: no backend among {', '.join(backends)} has precision(s) "
                         f"{precisions}")
    if any(p == "int8" for _, p in plan):
        data = calibration if calibration is not None else _synthetic_calibration(inputs, notes)
        calibration = data if isinstance(data, Calibration) else Calibration.from_data(data, inputs)
    artifacts = []
    for i, (backend, precision) in enumerate(plan, 1):
        log.info("[%d/%d] exporting to %s %s", i, len(plan), backend, precision)
        extra = {"calibration": calibration} if precision == "int8" else {}
        artifacts.append(export(model, inputs, backend, work_dir / f"{backend}_{precision}", precision,
                                overwrite=True, **extra))
    return artifacts


def stream_candidates(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], backends: Sequence[str],
                      precisions: Sequence[str] | str, work_dir: Path, notes: list[str],
                      calibration: Any = None) -> list[Artifact]:
    """The model's stream step (:func:`xport.stream`, one frame of ``inputs[0]`` and the state) exported like the
    clip model into ``work_dir/stream``; int8 calibrated on the (frame, state) pairs the calibration clips reach."""
    from ..quant import Calibration
    from ..streaming.model import stream_clip_model

    clip = inputs[0]
    log.info("stream: capturing %s as a per-frame model with state (xport.stream)", type(model).__name__)
    streamed = stream_clip_model(model, clip.shape)
    step_clips = None
    if precisions == "all" or "int8" in precisions:
        if isinstance(calibration, Calibration):
            clips = calibration.inputs
        elif isinstance(calibration, (str, Path)):  # a saved calibration: the clip model's ranges, no clips
            clips = []
        else:
            clips = calibration if calibration is not None else _synthetic_calibration(inputs, [])  # noted once
        if not clips:
            raise XportError("a stream's int8 step calibrates on the states clips reach, and this calibration holds "
                             "ranges only (a saved JSON): pass the clips (calibration=[...] or --calibration DIR)")
        step_clips = streamed.calibration_inputs([as_input_tuple(c) for c in clips])
    return export_candidates(streamed, streamed.example_inputs(), backends, precisions, work_dir / "stream", notes,
                             step_clips)

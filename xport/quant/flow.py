"""Calibrate once for many backends, and quantize one backend's plan within an accuracy budget."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch.export import ExportedProgram

from xport import backends as backend_registry
from xport.caps import Capabilities
from xport.capture import as_input_tuple, capture
from xport.emit_options import resolve_settings
from xport.errors import XportError
from xport.plan import plan
from xport.toolchain_speedups import toolchain_speedups

from .blocks import BlockError, block_errors
from .calibration import Calibration
from .convert import QuantInfo, prepare, quantize

log = logging.getLogger("xport")


def plan_key(planned: ExportedProgram, backend: str) -> str:
    """Names a planned graph: ranges recorded for it apply to the same plan of the same model."""
    text = "\n".join(f"{n.name}:{n.target}" for n in planned.graph.nodes)
    return f"{backend}:{hashlib.sha1(text.encode()).hexdigest()[:16]}"


def int8_plan(model: torch.nn.Module, inputs: tuple, backend: str, options: dict | None = None):
    be = backend_registry.require(backend)
    settings = resolve_settings(backend, be.options, options or {})
    caps = be.caps_for(settings)
    if "int8" not in caps.precisions:
        raise XportError(f"backend '{backend}' has no int8 (precisions: {', '.join(caps.precisions)})")
    planned = plan(capture(model, inputs), caps, "fp32", settings.get("decompose", ()))
    return planned, caps


def quantizes_by_default(name: str) -> bool:
    """Whether ``name``'s default settings put any op at int8 (Core ML does only from iOS 17)."""
    be = backend_registry.get(name)
    if "int8" not in be.caps.precisions:
        return False
    caps = be.caps_for(resolve_settings(name, be.options, {}))
    return any("int8" in support.precisions for support in caps.ops.values())


@toolchain_speedups()
def calibrate(model: torch.nn.Module, data: Iterable[Any], example_inputs: Any = None,
              backends: Sequence[str] | None = None, options: dict[str, dict] | None = None) -> Calibration:
    """Measure activation and weight ranges of ``model`` on ``data`` for each backend's plan, in one pass.

    ``data`` yields example inputs (a tensor or a tuple per sample); ``example_inputs`` defaults to the first
    sample. ``backends`` defaults to every available backend whose default settings have int8 ops; ``options``
    gives a backend the export options its plan depends on (``{"coreml": {"minimum_deployment_target":
    "iOS17"}}``). Save the result with :meth:`Calibration.save`; pass it (or its path) as ``calibration=`` to
    :func:`xport.export` with the same options.
    """
    samples = list(data)
    if example_inputs is None and not samples:
        raise XportError("calibrate needs calibration data: an iterable of example inputs (a few dozen real clips)")
    example = as_input_tuple(example_inputs if example_inputs is not None else samples[0])
    calibration = Calibration.from_data(samples, example)
    options = options or {}
    names = backends if backends is not None else [
        n for n in backend_registry.available() if n in options or quantizes_by_default(n)]
    prepared = {}
    for name in names:
        planned, caps = int8_plan(model, example, name, options.get(name))
        prepared[plan_key(planned, name)] = prepare(planned, caps)[0]
    log.info("calibrating %d plan(s) on %d sample(s)", len(prepared), len(calibration.inputs))
    with torch.no_grad():
        for sample in calibration.inputs:  # the data is read once, every plan sees each sample
            for module in prepared.values():
                module(*sample)
    for key, module in prepared.items():
        calibration.record(key, module)
    return calibration


def _agreement(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> float:
    hits = [bool((x.reshape(-1, x.shape[-1]).argmax(-1) == y.reshape(-1, y.shape[-1]).argmax(-1)).all())
            for x, y in zip(a, b)]
    return sum(hits) / max(len(hits), 1)


# Each step of the max_drop search re-quantizes the whole model (seconds to a minute): at most this many.
MAX_SEARCH_STEPS = 6


def _float_counts(blocks: int, steps: int) -> list[int]:
    """How many of the worst blocks each step keeps in float: 1, 2, 4, ... ending at all of them if steps allow."""
    return sorted({min(2 ** i, blocks) for i in range(steps)})


def quantize_within_budget(planned: ExportedProgram, caps: Capabilities, calibration: Calibration,
                           max_drop: float | None = None) -> tuple[ExportedProgram, QuantInfo, list[BlockError]]:
    """Quantize; with ``max_drop``, keep the blocks that lose the most SQNR in float until the top-1 agreement
    with fp32 on the calibration clips drops by at most ``max_drop`` (0.01 = one clip in a hundred).

    The search is bounded: blocks are ranked once by the SQNR each loses in the all-int8 graph, and step k keeps
    the worst 2^k in float, for at most :data:`MAX_SEARCH_STEPS` re-quantizations. Every step is logged and
    recorded in ``QuantInfo.search``; a budget that no step meets raises with the path taken.
    """
    key = plan_key(planned, caps.backend)
    program, info = quantize(planned, caps, calibration, key)
    samples = calibration.inputs[:16]
    if max_drop is None:
        return program, info, []
    if not samples:
        raise XportError("max_drop measures top-1 agreement on the calibration clips, and a loaded calibration has "
                         "none; pass the clips (calibration=<iterable>) with max_drop")
    fp32 = planned.module()
    with torch.no_grad():
        reference = [fp32(*s) for s in samples]

    steps: list[dict] = []

    def measure(program: ExportedProgram, kept: list[str]) -> tuple[float, list[BlockError]]:
        qmodule = program.module()
        with torch.no_grad():
            drop = 1.0 - _agreement(reference, [qmodule(*s) for s in samples])
        steps.append({"float_blocks": list(kept), "top1_drop": round(drop, 4)})
        log.info("max_drop search step %d: int8 top-1 drop %.3f (budget %.3f)%s", len(steps) - 1, drop,
                 max_drop, f" with {len(kept)} block(s) in float" if kept else "")
        return drop, block_errors(fp32, qmodule, samples)

    drop, errors = measure(program, [])
    ranked = [e.block for e in sorted(errors, key=lambda e: -e.added_db)]
    counts = _float_counts(len(ranked), MAX_SEARCH_STEPS)
    for count in counts:
        if drop <= max_drop:
            break
        program, info = quantize(planned, caps, calibration, key, float_modules=ranked[:count])
        drop, errors = measure(program, ranked[:count])
    info.search = steps
    if drop <= max_drop:
        return program, info, errors
    path = "; ".join(f"{len(s['float_blocks'])} in float: drop {s['top1_drop']:.3f}" for s in steps)
    if counts and counts[-1] == len(ranked):
        raise XportError(f"int8 top-1 drop {drop:.3f} exceeds max_drop={max_drop} even with every block in float "
                         f"({path}); raise max_drop or calibrate on more representative clips")
    raise XportError(f"int8 top-1 drop {drop:.3f} still exceeds max_drop={max_drop} after {len(counts)} search steps "
                     f"({path}); raise max_drop, export fp16, or calibrate on more representative clips")

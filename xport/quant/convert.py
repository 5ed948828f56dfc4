"""Quantize a planned program for one backend: PT2E prepare with the xport quantizer, calibrated ranges, convert.

The result is a QDQ ExportedProgram (quantize/dequantize around int8 regions) that each backend's emitter
lowers its own way: ONNX as QDQ for ORT's int8 kernels, ExecuTorch through XNNPACK's int8 path, OpenVINO as
FakeQuantize for its int8 kernels.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch.export import ExportedProgram

from xport._warnings import quiet_export, quiet_torchao
from xport.caps import Capabilities
from xport.errors import XportError

from .bias_correction import apply_shifts
from .calibration import Calibration
from .quantizer import XportQuantizer

with quiet_torchao():
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

log = logging.getLogger("xport")


@dataclass
class QuantInfo:
    """What quantization did: int8 ops, float islands (op → count), blocks kept in float, biases corrected."""

    quantized: dict[str, int]
    float_islands: dict[str, int]
    float_modules: list[str] = field(default_factory=list)
    search: list[dict] = field(default_factory=list)  # the max_drop search's steps: float blocks, top-1 drop
    bias_corrected: int = 0  # layers whose bias took back the mean int8 rounding shifts their output by

    def summary(self) -> dict:
        summary = {"quantized_ops": self.quantized, "float_islands": self.float_islands,
                   "float_modules": self.float_modules, "bias_corrected": self.bias_corrected}
        return summary | ({"max_drop_search": self.search} if self.search else {})

    def brief(self) -> str:
        islands = ", ".join(f"{op} ×{n}" for op, n in sorted(self.float_islands.items())) or "none"
        kept = f"; kept in float: {', '.join(self.float_modules)}" if self.float_modules else ""
        return f"int8: {sum(self.quantized.values())} ops quantized; float islands: {islands}{kept}"


def prepare(planned: ExportedProgram, caps: Capabilities, float_modules: Iterable[str] = ()):
    quantizer = XportQuantizer(caps, float_modules=float_modules)
    with quiet_torchao(), quiet_export():
        prepared = prepare_pt2e(planned.module(), quantizer)
    return prepared, quantizer


def run_calibration(prepared: torch.fx.GraphModule, calibration: Calibration) -> None:
    with torch.no_grad():
        for sample in calibration.inputs:
            prepared(*sample)


def quantize(planned: ExportedProgram, caps: Capabilities, calibration: Calibration, plan_key: str,
             float_modules: Iterable[str] = ()) -> tuple[ExportedProgram, QuantInfo]:
    """The int8 QDQ program of ``planned`` with the calibration's ranges (measured now if not recorded)."""
    float_modules = list(float_modules)
    prepared, quantizer = prepare(planned, caps, float_modules)
    if not calibration.apply(plan_key, prepared):
        if not calibration.inputs:
            raise XportError(f"the calibration has no ranges for {plan_key} and no data to measure them; calibrate "
                             f"with this backend (xport.quant.calibrate(..., backends=['{caps.backend}']))")
        log.info("calibrating %s on %d sample(s)", plan_key, len(calibration.inputs))
        run_calibration(prepared, calibration)
        if not float_modules:
            calibration.record(plan_key, prepared)
    shifts = calibration.bias_shifts.get(plan_key)
    if shifts is None:
        log.info("the calibration has no bias shifts for %s (saved by an older xport): int8 biases uncorrected; "
                 "calibrate again for bias correction", plan_key)
    corrected = apply_shifts(prepared, shifts or {})
    with quiet_torchao(), quiet_export(), torch.no_grad():
        converted = convert_pt2e(prepared, fold_quantize=caps.int8.weights == "folded")
        program = torch.export.export(converted, planned.example_inputs[0])
    info = QuantInfo(dict(quantizer.quantized), dict(quantizer.float_islands), float_modules, bias_corrected=corrected)
    log.info("%s", info.brief())
    return program, info

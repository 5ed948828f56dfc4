"""``block_report``: where int8 hurts, block by block, for one backend's plan."""

from __future__ import annotations

from typing import Any

import torch

from xport.capture import as_input_tuple

from .blocks import BlockError, block_errors
from .calibration import Calibration
from .convert import quantize
from .flow import int8_plan, plan_key


def block_report(model: torch.nn.Module, example_inputs: Any, backend: str, calibration: Calibration,
                 inputs: list | None = None) -> list[BlockError]:
    """SQNR of every block's output (int8 vs fp32 of the same plan) on ``inputs`` (default: the calibration clips)."""
    example = as_input_tuple(example_inputs)
    planned, caps = int8_plan(model, example, backend)
    program, _info = quantize(planned, caps, calibration, plan_key(planned, backend))
    samples = [as_input_tuple(x) for x in inputs] if inputs is not None else calibration.inputs[:8] or [example]
    return block_errors(planned.module(), program.module(), samples)

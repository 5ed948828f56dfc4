"""Activation quantization (iOS 17+): the MIL ``quantize`` and ``dequantize`` ops.

    quantize:    clip(round(input / scale) + zero_point, dtype range)    fp16/fp32 → int8/uint8
    dequantize:  scale · (input − zero_point)                            int8/uint8 → the scale's dtype

``scale`` and ``zero_point`` are scalars, or vectors along ``axis``; a missing zero point is 0. The MIL reference
says "round" without a mode; coremltools' own reference implementation (``quantize.value_inference``, which
constant-folds these ops) uses ``np.around``, round half to even, as does PyTorch's ``quantize_per_tensor`` that
the program came from, so the kernel does too. ``input / scale`` is computed in fp32 from the fp16 values the
program holds: one rounding, the one to an integer.
"""

from __future__ import annotations

import torch

from .args import Args
from .registry import kernel

_RANGES = {"int8": (-128, 127), "uint8": (0, 255)}


def _along(a: Args, values: torch.Tensor, rank: int) -> torch.Tensor:
    """A scalar, or a vector shaped to broadcast along the op's ``axis`` of a rank-``rank`` input."""
    if values.dim() == 0:
        return values
    axis = a.value("axis", None)
    if values.dim() != 1 or axis is None:
        raise a.fail(f"a {values.dim()}-D scale or zero point needs a vector and an axis (MIL: scalar or vector)")
    shape = [1] * rank
    shape[axis % rank] = values.numel()
    return values.reshape(shape)


@kernel("quantize")
def quantize(a: Args) -> torch.Tensor:
    dtype = a.value("output_dtype")
    if dtype not in _RANGES:
        raise a.fail(f"output_dtype '{dtype}' is not int8 or uint8")
    x = a.tensor("input").to(torch.float32)
    scale = _along(a, a.tensor("scale").to(torch.float32), x.dim())
    q = torch.round(x / scale)  # half to even
    zero = a.tensor("zero_point", None)
    if zero is not None:
        q = q + _along(a, zero.to(torch.float32), x.dim())
    low, high = _RANGES[dtype]
    return q.clamp(low, high).to(torch.int32)


@kernel("dequantize")
def dequantize(a: Args) -> torch.Tensor:
    q = a.tensor("input")
    if q.is_floating_point():
        raise a.fail("its input is a float tensor; dequantize reads int8 or uint8")
    x = q.to(torch.float32)
    zero = a.tensor("zero_point", None)
    if zero is not None:
        x = x - _along(a, zero.to(torch.float32), x.dim())
    return _along(a, a.tensor("scale").to(torch.float32), x.dim()) * x

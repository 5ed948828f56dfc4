"""Modules around PyTorch's prepacked quantized conv/linear kernels, as the lowered int8 graph calls them.

Each holds the ``torch.ops.quantized.*_prepack`` object of one layer (int8 per-channel weight, float bias) and
the output scale/zero point. Traced, the packed object becomes a module attribute of the TorchScript module;
saved, it is stored as its unpacked weight and bias, and re-packed for the current engine when loaded.
"""

from __future__ import annotations

import torch

# op name, fused-relu op name, prepack op name: by conv rank (1 = conv1d, 2 = conv2d).
_CONV_OPS = {
    1: ("conv1d", "conv1d_relu", "conv1d_prepack"),
    2: ("conv2d", "conv2d_relu", "conv2d_prepack"),
}


class QuantizedConv(torch.nn.Module):
    """``quantized::conv{1,2}d[_relu]`` with prepacked weights; quint8 in, quint8 out."""

    def __init__(self, rank: int, weight: torch.Tensor, bias: torch.Tensor | None, stride: list[int],
                 padding: list[int], dilation: list[int], groups: int, scale: float, zero_point: int, relu: bool):
        super().__init__()
        op, op_relu, prepack = _CONV_OPS[rank]
        self._op = getattr(torch.ops.quantized, op_relu if relu else op)
        self.packed = getattr(torch.ops.quantized, prepack)(weight, bias, stride, padding, dilation, groups)
        self.scale, self.zero_point = float(scale), int(zero_point)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._op(x, self.packed, self.scale, self.zero_point)


class QuantizedLinear(torch.nn.Module):
    """``quantized::linear[_relu]`` with a prepacked weight; quint8 in, quint8 out."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, scale: float, zero_point: int, relu: bool):
        super().__init__()
        self._op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
        self.packed = torch.ops.quantized.linear_prepack(weight, bias)
        self.scale, self.zero_point = float(scale), int(zero_point)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._op(x, self.packed, self.scale, self.zero_point)

"""The activations PyTorch's quantized kernels fuse, and the ops that take them (conv/linear/add/mul).

The planner puts a conv's activation right after it (``xport.passes.ActivationBeforeView``), so the QDQ graph
quantizes the conv's output once, after the activation, and the pair lowers to one fused kernel.
"""

from __future__ import annotations

import torch
import torch.fx

_aten = torch.ops.aten
ACTIVATIONS = (_aten.relu.default, _aten.clamp.default, _aten.hardtanh.default)
COMPUTE = (_aten.convolution.default, _aten.conv1d.default, _aten.conv2d.default, _aten.linear.default,
           _aten.add.Tensor, _aten.mul.Tensor)


def fusable_activation(node: torch.fx.Node) -> bool:
    """relu, or clamp to [0, 6] (relu6): the activations the quantized kernels fuse."""
    if node.target is _aten.relu.default:
        return True
    if node.target in (_aten.clamp.default, _aten.hardtanh.default):
        bounds = tuple(float(b) if b is not None else None for b in node.args[1:3])
        return bounds == (0.0, 6.0) and not node.kwargs
    return False

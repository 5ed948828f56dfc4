"""The producers PyTorch's quantized kernels fuse an activation into (conv/linear/add/mul), in the QDQ graph's ATen.

Which activations fuse is :mod:`xport.spec.fusion`'s decision (relu and relu6 here, its ``COMMON_KINDS``). The
QDQ graph is in torch.export's training dialect (``aten.conv2d``, not ``aten.convolution``), which the op spec does
not match, so the producers are named by their targets here. The planner puts a conv's activation right after it
(``xport.passes.ActivationBeforeView``), so the QDQ graph quantizes the conv's output once, after the activation,
and the pair lowers to one fused kernel.
"""

from __future__ import annotations

import torch

_aten = torch.ops.aten
COMPUTE = (_aten.convolution.default, _aten.conv1d.default, _aten.conv2d.default, _aten.linear.default,
           _aten.add.Tensor, _aten.mul.Tensor)

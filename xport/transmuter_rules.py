"""Built-in transmuter rules: vanilla modules → efficient blocks computing the same function.

A rule is three small functions: ``matches(module)``, ``build(module)`` (the replacement, weights copied) and
``probe(module)`` (an input on which both must agree; the transmuter checks it before swapping).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .efficient_ops import activations as eff_act
from .efficient_ops.conv_blocks import (
    Conv3d3x3x3DwBnAct,
    Conv3dPwBnAct,
    Conv3dSpatialBnAct,
    Conv3dTemporalBnAct,
    ConvBnAct3d,
)
from .efficient_ops.pooling import GlobalAvgPool3d


@dataclass(frozen=True)
class Rule:
    """Replace modules that ``matches`` with ``build(module)``; ``probe(module)`` gives a test input."""

    name: str
    matches: Callable[[nn.Module], bool]
    build: Callable[[nn.Module], nn.Module]
    probe: Callable[[nn.Module], torch.Tensor]


def probe_clip(channels: int = 4) -> torch.Tensor:
    return torch.randn(2, channels, 5, 9, 9, generator=torch.Generator().manual_seed(0))


ACTIVATION_NAMES: dict[type, str] = {
    nn.ReLU: "relu", nn.ReLU6: "relu6", nn.Hardswish: "hswish", nn.Hardsigmoid: "hsigmoid", nn.SiLU: "swish",
    eff_act.Swish: "swish", nn.Sigmoid: "sigmoid",
}


def conv_is_supported(conv: nn.Conv3d) -> bool:
    """Efficient conv blocks cover zero-padded, undilated 3-D convs with explicit integer padding."""
    return conv.padding_mode == "zeros" and conv.dilation == (1, 1, 1) and not isinstance(conv.padding, str)


def efficient_conv(conv: nn.Conv3d, bn: nn.BatchNorm3d | None = None, activation: str = "identity") -> ConvBnAct3d:
    """The most specific efficient block for ``conv`` [+ ``bn``] [+ activation], weights copied."""
    k, s, p, g = conv.kernel_size, conv.stride, conv.padding, conv.groups
    cin, cout = conv.in_channels, conv.out_channels
    common = {"bias": conv.bias is not None, "use_bn": bn is not None, "activation": activation}
    if bn is not None:
        common |= {"bn_eps": bn.eps, "bn_momentum": bn.momentum if bn.momentum is not None else 0.1}
    if k == (1, 1, 1) and p == (0, 0, 0) and g == 1:
        block: ConvBnAct3d = Conv3dPwBnAct(cin, cout, s, **common)
    elif k == (3, 3, 3) and p == (1, 1, 1) and g == cin == cout and s[0] == 1:
        block = Conv3d3x3x3DwBnAct(cin, s, **common)
    elif k[0] == 1 and k[1] == k[2] and k[1] % 2 and p == (0, k[1] // 2, k[1] // 2) and s[0] == 1 and s[1] == s[2] \
            and g == 1:
        block = Conv3dSpatialBnAct(cin, cout, k[1], s[1], **common)
    elif k[1:] == (1, 1) and k[0] % 2 and p == (k[0] // 2, 0, 0) and s == (1, 1, 1):
        block = Conv3dTemporalBnAct(cin, cout, k[0], groups=g, **common)
    else:
        block = ConvBnAct3d(cin, cout, k, s, p, groups=g, **common)
    block.kernel.conv.load_state_dict(conv.state_dict())
    if bn is not None:
        block.kernel.bn.load_state_dict(bn.state_dict())
    return block


def _is_foreign_swish(m: nn.Module) -> bool:
    # PyTorchVideo's (and timm's "MemoryEfficientSwish") custom-autograd swish; the probe proves it is x·σ(x).
    return type(m).__name__.lower() in {"swish", "memoryefficientswish"} and not isinstance(m, eff_act.Swish)


def _is_global_adaptive_pool(m: nn.Module) -> bool:
    size = m.output_size if isinstance(m, nn.AdaptiveAvgPool3d) else None
    return size is not None and (size == 1 or tuple(size) == (1, 1, 1))


BUILTIN_RULES = [
    Rule("conv3d", lambda m: type(m) is nn.Conv3d and conv_is_supported(m), efficient_conv,
         lambda m: probe_clip(m.in_channels)),
    Rule("swish", _is_foreign_swish, lambda m: eff_act.Swish(), lambda m: probe_clip()),
    Rule("global_pool", _is_global_adaptive_pool, lambda m: GlobalAvgPool3d(keepdim=True),
         lambda m: probe_clip()),
]

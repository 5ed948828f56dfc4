"""X3D residual bottleneck and its shortcut projection.

    x ─ conv_0 (1×1×1, BN, ReLU) ─ conv_1 (3×3×3 depthwise, stride (1,s,s), BN) ─ [se] ─ swish ─ conv_2 (1×1×1, BN) ─┐
    └──────────────── shortcut: identity, or _res_proj (1×1×1, stride (1,s,s), BN) ───────────────────────── add ─ ReLU

Shapes: (N, C_in, T, H, W) → (N, C_out, T, H/s, W/s). ``causal=True`` makes conv_1 and the SE look only at past
frames (see :mod:`.conv_blocks`). Names (``layers.conv_0`` …, ``_res_proj``) follow the
official efficient X3D checkpoints.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import Tensor, nn

from .activations import make_activation
from .base import EfficientBlock
from .conv_blocks import Conv3d3x3x3DwBnAct, Conv3dPwBnAct
from .elementwise import ResidualAdd
from .squeeze_excitation import SqueezeExcitation3d, round_se_width


class X3dBottleneck(EfficientBlock):
    def __init__(self, in_channels: int, inner_channels: int, out_channels: int, spatial_stride: int = 1,
                 se_ratio: float = 0.0625, inner_activation: str = "swish", use_shortcut_bn: bool = True,
                 causal: bool = False):
        super().__init__()
        stride = (1, spatial_stride, spatial_stride)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv_0"] = Conv3dPwBnAct(in_channels, inner_channels, activation="relu")
        layers["conv_1"] = Conv3d3x3x3DwBnAct(inner_channels, stride, activation="identity", causal=causal)
        if se_ratio > 0:
            layers["se"] = SqueezeExcitation3d(inner_channels, round_se_width(inner_channels, se_ratio), causal)
        layers["act_func_1"] = make_activation(inner_activation)
        layers["conv_2"] = Conv3dPwBnAct(inner_channels, out_channels, activation="identity")
        self.layers = nn.Sequential(layers)
        if spatial_stride != 1 or in_channels != out_channels:
            self._res_proj = Conv3dPwBnAct(in_channels, out_channels, stride, use_bn=use_shortcut_bn,
                                           activation="identity")
        else:
            self._res_proj = None
        self.residual_add = ResidualAdd()
        self.final_act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self._res_proj is None else self._res_proj(x)
        return self.final_act(self.residual_add(self.layers(x), shortcut))

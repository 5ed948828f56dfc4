"""Conv + optional batch norm + activation blocks, one per kernel family of efficient video models.

Every block keeps its layers in ``self.kernel = Sequential(conv, [bn], [act])``, so parameter names are
``<block>.kernel.conv.weight`` / ``<block>.kernel.bn.*`` — the names of PyTorchVideo's efficient X3D
checkpoints. Shapes: input (N, C_in, T, H, W) → output (N, C_out, T', H', W') with the usual conv arithmetic.

``causal=True`` pads time on the left only (k − 1 past frames, zeros before the first), so frame t of the output
sees frames ≤ t: the form :func:`xport.stream` turns into a conv over a buffer of past frames. The parameters are
the same as the centred block's, so its checkpoints load into the causal one.
"""

from __future__ import annotations

from collections import OrderedDict

import torch.nn.functional as F
from torch import Tensor, nn

from .activations import make_activation
from .base import EfficientBlock

Triple = tuple[int, int, int]


def _triple(v: int | Triple) -> Triple:
    return (v, v, v) if isinstance(v, int) else tuple(v)  # type: ignore[return-value]


class ConvBnAct3d(EfficientBlock):
    """conv3d → batch norm (``use_bn``) → activation (by name, ``"identity"`` for none)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Triple, stride: int | Triple = 1,
                 padding: int | Triple | None = None, groups: int = 1, bias: bool = False, use_bn: bool = True,
                 activation: str = "relu", bn_eps: float = 1e-5, bn_momentum: float = 0.1, causal: bool = False):
        super().__init__()
        kernel = _triple(kernel_size)
        padding = tuple(k // 2 for k in kernel) if padding is None else _triple(padding)
        # Causal: the conv pads space only; forward pads k − 1 frames of the past (none of the future).
        self.past_frames = kernel[0] - 1 if causal else 0
        if causal:
            padding = (0, *padding[1:])
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv"] = nn.Conv3d(in_channels, out_channels, kernel, _triple(stride), padding, groups=groups,
                                   bias=bias)
        if use_bn:
            layers["bn"] = nn.BatchNorm3d(out_channels, eps=bn_eps, momentum=bn_momentum)
        if activation != "identity":
            layers["act"] = make_activation(activation)
        self.kernel = nn.Sequential(layers)

    @property
    def conv(self) -> nn.Conv3d:
        return self.kernel.conv

    def forward(self, x: Tensor) -> Tensor:
        if self.past_frames:
            x = F.pad(x, (0, 0, 0, 0, self.past_frames, 0))
        return self.kernel(x)


class Conv3dPwBnAct(ConvBnAct3d):
    """Pointwise 1×1×1 conv (channel mixing); ``stride`` may subsample space, e.g. (1, 2, 2)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int | Triple = 1, **kw):
        super().__init__(in_channels, out_channels, 1, stride, 0, **kw)


class Conv3d3x3x3DwBnAct(ConvBnAct3d):
    """Depthwise 3×3×3 conv (one filter per channel), ``stride`` usually (1, s, s)."""

    def __init__(self, channels: int, stride: int | Triple = 1, **kw):
        super().__init__(channels, channels, 3, stride, 1, groups=channels, **kw)


class Conv3dSpatialBnAct(ConvBnAct3d):
    """Spatial-only 1×k×k conv (a per-frame 2-D conv), padding k//2, stride (1, s, s)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3, spatial_stride: int = 1, **kw):
        super().__init__(in_channels, out_channels, (1, kernel, kernel), (1, spatial_stride, spatial_stride),
                         (0, kernel // 2, kernel // 2), **kw)


class Conv3dTemporalBnAct(ConvBnAct3d):
    """Temporal-only k×1×1 conv for odd k (3, 5, …), padding k//2 keeps T; ``groups=C`` for depthwise."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3, **kw):
        if kernel % 2 == 0 and not kw.get("causal"):
            raise ValueError(f"temporal kernel must be odd to keep T, got {kernel}")
        super().__init__(in_channels, out_channels, (kernel, 1, 1), 1, (kernel // 2, 0, 0), **kw)

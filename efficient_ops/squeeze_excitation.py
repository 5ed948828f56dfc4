"""3-D squeeze-excitation: a per-channel gate from the clip-wide mean.

Shapes: x (N, C, T, H, W) → mean (N, C, 1, 1, 1) → 1×1×1 conv C→R, ReLU, 1×1×1 conv R→C, sigmoid → x · gate.
``causal=True`` gates frame t by the mean of frames 0…t instead (N, C, T, 1, 1), as MoViNet's stream models do.
Parameter names ``se.block.0`` / ``se.block.2`` follow PyTorchVideo's efficient X3D checkpoints.
"""

from __future__ import annotations

from torch import Tensor, nn

from .base import EfficientBlock
from .elementwise import GatedMul
from .pooling import CausalAvgPool3d, GlobalAvgPool3d


def round_se_width(channels: int, ratio: float, divisor: int = 8, min_width: int = 8) -> int:
    """Reduced SE width: ``channels · ratio`` rounded to a multiple of ``divisor`` (never < 90 % of it)."""
    target = channels * ratio
    width = max(min_width, int(target + divisor / 2) // divisor * divisor)
    return width + divisor if width < 0.9 * target else width


class _SEGate(EfficientBlock):
    def __init__(self, channels: int, reduced: int, causal: bool = False):
        super().__init__()
        self.pool = CausalAvgPool3d() if causal else GlobalAvgPool3d()
        self.block = nn.Sequential(nn.Conv3d(channels, reduced, 1), nn.ReLU(), nn.Conv3d(reduced, channels, 1),
                                   nn.Sigmoid())
        self.gate = GatedMul()

    def forward(self, x: Tensor) -> Tensor:
        return self.gate(x, self.block(self.pool(x)))


class SqueezeExcitation3d(EfficientBlock):
    """x · sigmoid(W2 relu(W1 mean(x))), with ``reduced`` hidden channels."""

    def __init__(self, channels: int, reduced: int, causal: bool = False):
        super().__init__()
        self.se = _SEGate(channels, reduced, causal)

    def forward(self, x: Tensor) -> Tensor:
        return self.se(x)

"""Classification heads: a fully connected layer, and X3D's pre-conv → pool → post-conv → dropout → linear.

X3D head shapes: (N, 192, T, H, W) → conv_5 (1×1×1 → 432, BN, ReLU) → global mean (N, 432, 1, 1, 1) →
lin_5 (1×1×1 → 2048, no BN, ReLU) → dropout → projection (N, num_classes) logits.
"""

from __future__ import annotations

from torch import Tensor, nn

from .activations import make_activation
from .base import EfficientBlock
from .conv_blocks import Conv3dPwBnAct
from .pooling import GlobalAvgPool3d


class FullyConnected(EfficientBlock):
    """Linear layer (+ activation) over the last dim; the weight lives at ``model`` (checkpoint naming)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, activation: str = "identity"):
        super().__init__()
        self.model = nn.Linear(in_features, out_features, bias=bias)
        self.act = make_activation(activation)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.model(x))


class X3dHead(EfficientBlock):
    """Feature head; its output (N, 2048, 1, 1, 1) feeds the projection."""

    def __init__(self, in_channels: int, inner_channels: int, features: int):
        super().__init__()
        self.conv_5 = Conv3dPwBnAct(in_channels, inner_channels, activation="relu")
        self.avg_pool = GlobalAvgPool3d()
        self.lin_5 = Conv3dPwBnAct(inner_channels, features, use_bn=False, activation="relu")

    def forward(self, x: Tensor) -> Tensor:
        return self.lin_5(self.avg_pool(self.conv_5(x)))

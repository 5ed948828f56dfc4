"""Global average pooling as a ``mean`` (the reduction every runtime has; no adaptive pooling)."""

from __future__ import annotations

from torch import Tensor

from .base import EfficientBlock


class GlobalAvgPool3d(EfficientBlock):
    """(N, C, T, H, W) → (N, C, 1, 1, 1), or (N, C) with ``keepdim=False``."""

    def __init__(self, keepdim: bool = True):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=(2, 3, 4), keepdim=self.keepdim)

"""Global average pooling as a ``mean`` (the reduction every runtime has; no adaptive pooling), and its causal form."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import EfficientBlock


class GlobalAvgPool3d(EfficientBlock):
    """(N, C, T, H, W) → (N, C, 1, 1, 1), or (N, C) with ``keepdim=False``."""

    def __init__(self, keepdim: bool = True):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=(2, 3, 4), keepdim=self.keepdim)


class CausalAvgPool3d(EfficientBlock):
    """(N, C, T, H, W) → (N, C, T, 1, 1): frame t gets the mean of frames 0…t (a running mean over time).

    Written as ``cumsum / arange(1, T + 1)``, the form :func:`xport.stream` turns into a running sum and a frame
    count carried from frame to frame. MoViNet's causal squeeze-excitation pools this way.
    """

    def forward(self, x: Tensor) -> Tensor:
        frames = x.shape[2]
        count = torch.arange(1, frames + 1, dtype=x.dtype, device=x.device).view(1, 1, frames, 1, 1)
        return x.mean(dim=(3, 4), keepdim=True).cumsum(2) / count

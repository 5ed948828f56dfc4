"""A small causal video CNN with every construct :func:`xport.stream` turns into state, for demos and fast tests.

Causal temporal convs (k = 3, depthwise; a dilated k = 2 conv over frames t − 2 and t), a causal depthwise 3×3×3
with a causal squeeze-excitation (running mean over time), hardswish and swish, and a mean over time at the head.
``causal=False`` builds the same model with centred temporal kernels, which streaming refuses. The forward is its
top-level modules in order, so ``xport finetune`` can freeze a prefix of them.

Shapes (default input N×3×4×32×32): stem → N×8×T×16×16; temporal, block, dilated keep it; head → N×num_classes.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .bottleneck import X3dBottleneck
from .conv_blocks import Conv3dTemporalBnAct, ConvBnAct3d
from .head import FullyConnected
from .pooling import GlobalAvgPool3d
from .registry import ModelCard, register_model


class DilatedTemporalConv(nn.Module):
    """A k = 2 conv over frames t − 2 and t: causal, the past padded by a zero pad before it; else centred."""

    def __init__(self, channels: int, causal: bool):
        super().__init__()
        self.causal = causal
        self.conv = nn.Conv3d(channels, channels, (2, 1, 1), dilation=(2, 1, 1), padding=0 if causal else (1, 0, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 0, 0, 0, 2, 0)) if self.causal else x)


class TinyCausalCNN(nn.Sequential):
    def __init__(self, num_classes: int = 5, causal: bool = True):
        super().__init__(OrderedDict(
            stem=ConvBnAct3d(3, 8, (1, 3, 3), (1, 2, 2), activation="hswish"),
            temporal=Conv3dTemporalBnAct(8, 8, 3, groups=8, causal=causal),
            block=X3dBottleneck(8, 16, 8, se_ratio=0.5, causal=causal),
            dilated=DilatedTemporalConv(8, causal),
            pool=GlobalAvgPool3d(keepdim=False),  # over time too: streaming makes it a running mean
            head=FullyConnected(8, num_classes),
        ))


@register_model(ModelCard(
    name="tiny_causal_cnn", input_size=(3, 4, 32, 32), num_classes=5,
    description="small causal video CNN: streams frame by frame (xport.stream); for demos and fast tests"))
def tiny_causal_cnn(num_classes: int = 5, **kwargs) -> TinyCausalCNN:
    return TinyCausalCNN(num_classes=num_classes, **kwargs)

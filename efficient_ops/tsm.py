"""TSM's online MobileNetV2: a 2-D CNN over frames with a uni-directional temporal shift, as TSM's online demo runs.

Written the way TSM's code base writes it (Lin et al., mit-han-lab/temporal-shift-module, ``online_demo``): the
clip's frames are folded into the batch, (N·T, C, H, W); every inverted residual block with a residual connection
first replaces the first eighth of its input's channels with the previous frame's (zeros at the first frame: the
online shift, which looks only at the past), and the per-frame logits are averaged over time (the segment
consensus). :func:`xport.stream` turns it into a per-frame model whose state is each shift's eighth of the channels
of the last frame, and the consensus a running mean. The number of frames follows the input (not a fixed
``num_segments``), so the clip model also runs on the growing clip a stream is checked against.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .registry import ModelCard, register_model

# MobileNetV2 (width 1.0): (expansion, out channels, blocks, stride of the first block) per stage.
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
STEM, LAST = 32, 1280
SHIFT_DIV = 8  # the online shift moves 1/8 of the channels


def online_shift(x: Tensor, batch: int) -> Tensor:
    """Frame t's first C/8 channels from frame t − 1, zeros at t = 0; ``x`` is (N·T, C, H, W), T inner."""
    nt, c, h, w = x.shape
    frames = x.view(batch, nt // batch, c, h, w)
    fold = c // SHIFT_DIV
    past = nn.functional.pad(frames[:, :-1, :fold], (0, 0, 0, 0, 0, 0, 1, 0))
    return torch.cat([past, frames[:, :, fold:]], dim=2).view(nt, c, h, w)


def _conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU6(inplace=True)) if act else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2's block; with a residual connection, its branch reads the shifted input (TSM's residual shift)."""

    def __init__(self, cin: int, cout: int, stride: int, expansion: int):
        super().__init__()
        hidden = cin * expansion
        self.shift = stride == 1 and cin == cout
        layers = [_conv_bn(cin, hidden)] if expansion != 1 else []
        self.conv = nn.Sequential(*layers, _conv_bn(hidden, hidden, 3, stride, groups=hidden),
                                  _conv_bn(hidden, cout, act=False))

    def forward(self, x: Tensor, batch: int) -> Tensor:
        return x + self.conv(online_shift(x, batch)) if self.shift else self.conv(x)


class TsmMobileNetV2Online(nn.Module):
    def __init__(self, num_classes: int = 400, dropout: float = 0.2):
        super().__init__()
        self.stem = _conv_bn(3, STEM, 3, 2)
        blocks, cin = [], STEM
        for expansion, cout, count, stride in STAGES:
            for i in range(count):
                blocks.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expansion))
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.last = _conv_bn(cin, LAST)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(LAST, num_classes)

    def forward(self, clip: Tensor) -> Tensor:
        n, c, t, h, w = clip.shape
        x = self.stem(clip.transpose(1, 2).reshape(n * t, c, h, w))
        for block in self.blocks:
            x = block(x, n)
        x = self.last(x).mean((2, 3))
        return self.fc(self.dropout(x)).view(n, t, -1).mean(1)  # the segment consensus


@register_model(ModelCard(
    name="tsm_mobilenet_v2_online", input_size=(3, 8, 224, 224), num_classes=400,
    description=("TSM's online MobileNetV2 (uni-directional shift of 1/8 of the channels in every residual block, "
                 "frames folded into the batch, average consensus): streams frame by frame (xport.stream); no "
                 "checkpoint here: train or fine-tune. 400-class head (Kinetics-400 size)"),
    mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), resize_short_side=256, clip_seconds=2.0,
    gflops=4.80, params=2_736_272))
def tsm_mobilenet_v2_online(num_classes: int = 400, dropout: float = 0.2) -> TsmMobileNetV2Online:
    return TsmMobileNetV2Online(num_classes, dropout)

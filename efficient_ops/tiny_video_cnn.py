"""A small video CNN exercising every op class of X3D, for the demo and fast end-to-end tests.

It is deliberately built from plain ``torch.nn`` modules (not efficient blocks) so it also shows what
the planner does to an ordinary model: conv3d kernels (1,3,3), (5,1,1), (3,1,1), depthwise (3,3,3) and
dense (3,3,3) with strides and padding; batch norm; squeeze-excitation; swish and hardswish; residual adds;
a shortcut projection; global pooling, dropout and a linear head.

Shapes (default input N×3×4×64×64): stem → N×16×4×32×32; block1 keeps it; block2 → N×32×4×16×16;
mix (dense 3×3×3, stride (1,2,2)) → N×32×4×8×8; head → N×num_classes logits.
"""

from __future__ import annotations

import torch
from torch import nn

from .registry import ModelCard, register_model


def _conv_bn(cin: int, cout: int, kernel, stride=1, padding=0, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv3d(cin, cout, kernel, stride, padding, groups=groups, bias=False), nn.BatchNorm3d(cout)]


class SqueezeExcite3d(nn.Module):
    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.reduce = nn.Conv3d(channels, reduced, 1)
        self.expand = nn.Conv3d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = x.mean(dim=(2, 3, 4), keepdim=True)
        return x * torch.sigmoid(self.expand(torch.relu(self.reduce(w))))


class Bottleneck(nn.Module):
    """pointwise → depthwise 3×3×3 (+ SE) → activation → pointwise, plus a (projected) shortcut."""

    def __init__(self, cin: int, inner: int, cout: int, stride: int, act: nn.Module, temporal_kernel: int = 3):
        super().__init__()
        pad = temporal_kernel // 2
        self.expand = nn.Sequential(*_conv_bn(cin, inner, 1), nn.ReLU())
        self.depthwise = nn.Sequential(*_conv_bn(inner, inner, (temporal_kernel, 3, 3), (1, stride, stride),
                                                 (pad, 1, 1), groups=inner))
        self.se = SqueezeExcite3d(inner, max(inner // 4, 4))
        self.act = act
        self.project = nn.Sequential(*_conv_bn(inner, cout, 1))
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout
                         else nn.Sequential(*_conv_bn(cin, cout, 1, (1, stride, stride))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.act(self.se(self.depthwise(self.expand(x)))))
        return torch.relu(y + self.shortcut(x))


class TinyVideoCNN(nn.Module):
    def __init__(self, num_classes: int = 10, width: int = 16):
        super().__init__()
        w = width
        self.stem = nn.Sequential(
            nn.Conv3d(3, w, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False),  # spatial
            *_conv_bn(w, w, (5, 1, 1), padding=(2, 0, 0), groups=w),  # depthwise temporal
            nn.ReLU(),
        )
        self.temporal = nn.Sequential(*_conv_bn(w, w, (3, 1, 1), padding=(1, 0, 0)), nn.ReLU())  # dense temporal
        self.block1 = Bottleneck(w, 2 * w, w, stride=1, act=nn.SiLU())
        self.block2 = Bottleneck(w, 3 * w, 2 * w, stride=2, act=nn.Hardswish())
        self.mix = nn.Sequential(*_conv_bn(2 * w, 2 * w, 3, (1, 2, 2), 1), nn.Hardswish())  # dense 3×3×3
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(2 * w, num_classes)
        _randomise_batch_norm(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.mix(self.block2(self.block1(self.temporal(self.stem(x)))))
        return self.fc(self.dropout(self.pool(x).flatten(1)))


def _randomise_batch_norm(model: nn.Module, seed: int = 0) -> None:
    # Fresh BNs are identity maps, which would let a wrong BN fold pass; give them trained-looking stats.
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm3d):
            n = m.num_features
            m.weight.data = 1 + 0.2 * torch.randn(n, generator=g)
            m.bias.data = 0.1 * torch.randn(n, generator=g)
            m.running_mean = 0.1 * torch.randn(n, generator=g)
            m.running_var = 0.5 + torch.rand(n, generator=g)


@register_model(ModelCard(
    name="tiny_video_cnn", input_size=(3, 4, 64, 64), num_classes=10,
    description="small built-in video CNN with every X3D op class (demo default until the X3D zoo lands)"))
def tiny_video_cnn(num_classes: int = 10, **kwargs) -> TinyVideoCNN:
    return TinyVideoCNN(num_classes=num_classes, **kwargs)

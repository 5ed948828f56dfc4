"""Vanilla X3D as PyTorchVideo builds it, from plain torch modules, with its state_dict names (``blocks.*``).

Not a zoo model: it is the reference the zoo is checked against (vanilla checkpoints load into
``efficient_x3d_*`` and must reproduce this model's outputs) and the typical input of the transmuter,
including PyTorchVideo's custom-autograd ``Swish`` and a head that pools with a clip-sized ``AvgPool3d``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .squeeze_excitation import round_se_width


class _SwishFunction(torch.autograd.Function):
    """PyTorchVideo's memory-efficient swish (saves x, recomputes the sigmoid in backward)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))


class Swish(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return _SwishFunction.apply(x)


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.block = nn.Sequential(nn.Conv3d(channels, reduced, 1), nn.ReLU(), nn.Conv3d(reduced, channels, 1),
                                   nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.block(nn.functional.adaptive_avg_pool3d(x, 1))


class Conv2plus1d(nn.Module):
    """PyTorchVideo's stem conv; note its swapped names: ``conv_t`` is the 1×3×3 spatial conv, applied first."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv_t = nn.Conv3d(3, channels, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False)
        self.conv_xy = nn.Conv3d(channels, channels, (5, 1, 1), padding=(2, 0, 0), groups=channels, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_xy(self.conv_t(x))


class Stem(nn.Module):
    def __init__(self, channels: int = 24):
        super().__init__()
        self.conv, self.norm, self.activation = Conv2plus1d(channels), nn.BatchNorm3d(channels), nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.norm(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, cin: int, inner: int, cout: int, stride: int, se_reduced: int):
        super().__init__()
        self.conv_a, self.norm_a, self.act_a = nn.Conv3d(cin, inner, 1, bias=False), nn.BatchNorm3d(inner), nn.ReLU()
        self.conv_b = nn.Conv3d(inner, inner, 3, (1, stride, stride), 1, groups=inner, bias=False)
        se = SqueezeExcitation(inner, se_reduced) if se_reduced else nn.Identity()
        self.norm_b = nn.Sequential(nn.BatchNorm3d(inner), se)
        self.act_b = Swish()
        self.conv_c, self.norm_c = nn.Conv3d(inner, cout, 1, bias=False), nn.BatchNorm3d(cout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class ResBlock(nn.Module):
    def __init__(self, cin: int, inner: int, cout: int, stride: int, se_reduced: int, shortcut_norm: bool):
        super().__init__()
        self.branch1_conv = None
        if stride != 1 or cin != cout:
            self.branch1_conv = nn.Conv3d(cin, cout, 1, (1, stride, stride), bias=False)
            self.branch1_norm = nn.BatchNorm3d(cout) if shortcut_norm else None
        self.branch2 = Bottleneck(cin, inner, cout, stride, se_reduced)
        self.activation = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x
        if self.branch1_conv is not None:
            shortcut = self.branch1_conv(x)
            if self.branch1_norm is not None:
                shortcut = self.branch1_norm(shortcut)
        return self.activation(self.branch2(x) + shortcut)


class ResStage(nn.Module):
    def __init__(self, blocks: list[nn.Module]):
        super().__init__()
        self.res_blocks = nn.ModuleList(blocks)

    def forward(self, x: Tensor) -> Tensor:
        for block in self.res_blocks:
            x = block(x)
        return x


class ProjectedPool(nn.Module):
    def __init__(self, cin: int, inner: int, features: int, pool_kernel: tuple[int, int, int]):
        super().__init__()
        self.pre_conv, self.pre_norm = nn.Conv3d(cin, inner, 1, bias=False), nn.BatchNorm3d(inner)
        self.pre_act = nn.ReLU()
        self.pool = nn.AvgPool3d(pool_kernel, stride=1)
        self.post_conv, self.post_act = nn.Conv3d(inner, features, 1, bias=False), nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.post_act(self.post_conv(self.pool(self.pre_act(self.pre_norm(self.pre_conv(x))))))


class Head(nn.Module):
    def __init__(self, pool: ProjectedPool, num_classes: int, dropout: float):
        super().__init__()
        self.pool, self.dropout, self.proj = pool, nn.Dropout(dropout), nn.Linear(2048, num_classes)
        self.output_pool = nn.AdaptiveAvgPool3d(1)

    def forward(self, x: Tensor) -> Tensor:
        x = self.dropout(self.pool(x)).permute(0, 2, 3, 4, 1)
        x = self.proj(x).permute(0, 4, 1, 2, 3)
        return self.output_pool(x).flatten(1)


class VanillaX3d(nn.Module):
    """X3D with PyTorchVideo's module tree; ``clip`` (T, H, W) sizes the head's pooling window."""

    def __init__(self, depths=(3, 5, 11, 7), clip: tuple[int, int, int] = (4, 160, 160), num_classes: int = 400,
                 dropout: float = 0.5):
        super().__init__()

        blocks: list[nn.Module] = [Stem(24)]
        cin = 24
        for stage, (depth, cout) in enumerate(zip(depths, (24, 48, 96, 192))):
            inner = int(cout * 2.25)
            res = [ResBlock(cin if i == 0 else cout, inner, cout, 2 if i == 0 else 1,
                            round_se_width(inner, 0.0625) if i % 2 == 0 else 0, shortcut_norm=stage > 0)
                   for i in range(depth)]
            blocks.append(ResStage(res))
            cin = cout
        t, h, w = clip
        blocks.append(Head(ProjectedPool(192, 432, 2048, (t, h // 32, w // 32)), num_classes, dropout))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def vanilla_x3d_xs(num_classes: int = 400) -> VanillaX3d:
    """Vanilla X3D-XS (input 1×3×4×160×160) with random weights."""
    return VanillaX3d((3, 5, 11, 7), (4, 160, 160), num_classes).eval()


def vanilla_x3d_s(num_classes: int = 400) -> VanillaX3d:
    """Vanilla X3D-S (input 1×3×13×160×160) with random weights."""
    return VanillaX3d((3, 5, 11, 7), (13, 160, 160), num_classes).eval()

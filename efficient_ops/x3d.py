"""Efficient X3D (XS, S, M, L): X3D built from efficient blocks, loading the official checkpoints.

Module names reproduce PyTorchVideo's ``EfficientX3d`` exactly (``s1.pathway0_stem_conv_xy``, ``s2.pathway0_res0.
layers.conv_0`` …, ``head.conv_5``, ``projection.model``), so ``efficient_x3d_{xs,s}_original_form.pyth``
load strictly, and vanilla ``X3D_*.pyth`` load through the key map in :mod:`.checkpoints`.

Shapes for X3D-XS (input N×3×4×160×160): stem → N×24×4×80×80; s2 → 24×40×40; s3 → 48×20×20; s4 → 96×10×10;
s5 → 192×5×5 (the ``enable_head=False`` output); head → N×2048×1×1×1; projection → N×num_classes logits.

``causal=True`` (zoo names ``efficient_x3d_xs_causal``, ``…_s_causal``) builds the causal form: temporal convs pad the
past only and the squeeze-excitations pool a running mean over time, so the model can stream frame by frame
(:func:`xport.stream`). It has the same parameters, so the official checkpoints load into it; its accuracy needs
fine-tuning in causal form (``xport finetune``), since the checkpoints were trained with centred kernels.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import Tensor, nn

from .base import EfficientBlock
from .bottleneck import X3dBottleneck
from .checkpoints import load_x3d_checkpoint
from .conv_blocks import Conv3dTemporalBnAct, ConvBnAct3d
from .head import FullyConnected, X3dHead
from .registry import ModelCard, register_model

STEM_CHANNELS = 24
STAGE_CHANNELS = (24, 48, 96, 192)
BOTTLENECK_EXPANSION = 2.25
HEAD_FEATURES = 2048
SE_RATIO = 0.0625  # on even-indexed blocks of every stage


class EfficientX3d(EfficientBlock):
    def __init__(self, depths: tuple[int, int, int, int] = (3, 5, 11, 7), num_classes: int = 400,
                 dropout: float = 0.5, enable_head: bool = True, causal: bool = False,
                 widths: tuple[int, int, int, int] = STAGE_CHANNELS):
        super().__init__()
        self.enable_head = enable_head
        self.s1 = nn.Sequential(OrderedDict(
            pathway0_stem_conv_xy=ConvBnAct3d(3, STEM_CHANNELS, (1, 3, 3), (1, 2, 2), (0, 1, 1), use_bn=False,
                                              activation="identity"),
            pathway0_stem_conv=Conv3dTemporalBnAct(STEM_CHANNELS, STEM_CHANNELS, 5, groups=STEM_CHANNELS,
                                                   activation="relu", causal=causal),
        ))
        in_channels = STEM_CHANNELS
        # widths: the stages' channels; other values than X3D's make the variants of `xport design` (no checkpoint)
        for stage, (depth, out_channels) in enumerate(zip(depths, widths), start=2):
            inner = int(out_channels * BOTTLENECK_EXPANSION)
            blocks = OrderedDict(
                (f"pathway0_res{i}", X3dBottleneck(in_channels if i == 0 else out_channels, inner, out_channels,
                                                   spatial_stride=2 if i == 0 else 1,
                                                   se_ratio=SE_RATIO if i % 2 == 0 else 0.0, causal=causal))
                for i in range(depth))
            self.add_module(f"s{stage}", nn.Sequential(blocks))
            in_channels = out_channels
        if enable_head:
            self.head = X3dHead(in_channels, int(in_channels * BOTTLENECK_EXPANSION), HEAD_FEATURES)
            self.dropout = nn.Dropout(dropout)
            self.projection = FullyConnected(HEAD_FEATURES, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        """The last stage's feature map, (N, 192, T, H/32, W/32)."""
        return self.s5(self.s4(self.s3(self.s2(self.s1(x)))))

    def forward(self, x: Tensor) -> Tensor:
        x = self.forward_features(x)
        if not self.enable_head:
            return x
        return self.projection(self.dropout(self.head(x).flatten(1)))

    def load_pretrained(self, path: str):
        """Load an official efficient or vanilla X3D checkpoint (see :mod:`.checkpoints`)."""

        return load_x3d_checkpoint(self, path)


@dataclass(frozen=True)
class _Preset:
    size: str
    depths: tuple[int, int, int, int]
    frames: int
    crop: int
    resize_short_side: int
    gflops: float
    params: int
    accuracy: tuple[float, float] | None = None  # Kinetics-400 top-1, top-5 of the official checkpoint
    checkpoint: str = ""


# GFLOPs are 2 × MACs of one clip, counted from the model (parity_tests check them); accuracy is the
# published figure of the official checkpoint named.
_PRESETS = (
    _Preset("xs", (3, 5, 11, 7), 4, 160, 160, 1.21, 3_794_322, (68.5, 88.0), "efficient_x3d_xs_original_form.pyth"),
    _Preset("s", (3, 5, 11, 7), 13, 160, 160, 3.93, 3_794_322, (73.0, 90.6), "efficient_x3d_s_original_form.pyth"),
    _Preset("m", (3, 5, 11, 7), 16, 224, 256, 9.46, 3_794_322),
    _Preset("l", (5, 10, 25, 15), 16, 312, 356, 36.74, 6_153_432),
)


def _register(preset: _Preset, causal: bool = False) -> None:
    card = ModelCard(
        name=f"efficient_x3d_{preset.size}" + ("_causal" if causal else ""),
        input_size=(3, preset.frames, preset.crop, preset.crop), num_classes=400,
        description=(f"X3D-{preset.size.upper()} from efficient blocks, causal in time (streams frame by frame; "
                     "fine-tune before use)" if causal else
                     f"X3D-{preset.size.upper()} from efficient blocks (Kinetics-400)"),
        resize_short_side=preset.resize_short_side, clip_seconds=1.0, gflops=preset.gflops, params=preset.params,
        accuracy=None if causal else preset.accuracy, checkpoint=preset.checkpoint, dataset="kinetics400")

    @register_model(card)
    def factory(num_classes: int = 400, dropout: float = 0.5, enable_head: bool = True) -> EfficientX3d:
        return EfficientX3d(preset.depths, num_classes, dropout, enable_head, causal)

    factory.__doc__ = card.description


for _preset in _PRESETS:
    _register(_preset)
for _preset in _PRESETS[:2]:  # XS and S: the sizes that run on phones
    _register(_preset, causal=True)

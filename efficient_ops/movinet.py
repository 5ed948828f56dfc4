"""MoViNet-A0-like causal video classifier from efficient blocks (stream-mode shape; NOT the official weights).

Layout of MoViNet-A0 (Kondratyuk et al. 2021, "MoViNets"; the ``a0`` block specs of the TF Model Garden): a stem
conv, five stages of inverted bottlenecks, a 480-channel head conv, a global pool, a 2048-wide hidden layer and
the classifier. Every temporal op is causal, so :func:`xport.stream` turns the clip model into a per-frame model
(conv buffers of past frames; the SE means and the final pool become running means). No checkpoint exists: train
from scratch or fine-tune (``xport finetune``).

    block: x ─ expand 1×1×1 (BN, hswish) ─ depthwise kt×k×k causal, stride (1,s,s) (BN, hswish) ─ causal SE
             ─ project 1×1×1 (BN) ─ add ─ (no activation after the add)
           └─ shortcut: identity, or 1×1×1 conv stride (1,s,s) + BN when the stride or width changes ─┘

Shapes (input N×3×T×172×172): stem → 8×T×86×86; s1 → 8×43×43; s2 → 32×22×22; s3 → 56×11×11; s4 → 56×11×11
(no stride, as in A0); s5 → 104×6×6; head → N×2048×1×1×1; projection → N×num_classes logits.

Simplifications against the paper's A0-Stream (same stages, widths, expansions and kernels):
- depthwise convs are single 3-D kt×k×k convs (the paper's "3d" conv type), not the "2plus1d" split;
- the SE is ``SqueezeExcitation3d(causal=True)``: gate of frame t from the mean over (H, W) and frames 0…t, ReLU
  hidden layer and sigmoid gate (MoViNet: its model activation and a (hard) sigmoid), hidden width
  0.25 × expanded channels rounded to a multiple of 8;
- the projection shortcut is a strided 1×1×1 conv + BN (MoViNet: 1×3×3 average pool, then 1×1×1 conv + BN);
- spatial padding is symmetric k // 2 (TF "same" pads strided convs asymmetrically);
- no stochastic depth, no ReZero scale on the residual branch; PyTorch default init and BN eps/momentum;
- the classifier is a Linear on the pooled 2048 features (MoViNet: a 1×1×1 conv, the same map).
"""

from __future__ import annotations

from collections import OrderedDict

from torch import Tensor, nn

from .base import EfficientBlock
from .conv_blocks import ConvBnAct3d
from .elementwise import ResidualAdd
from .head import FullyConnected
from .pooling import GlobalAvgPool3d
from .registry import ModelCard, register_model
from .squeeze_excitation import SqueezeExcitation3d, round_se_width

ACT = "hswish"
SE_RATIO = 0.25
STEM_CHANNELS = 8
HEAD_CHANNELS, HEAD_FEATURES = 480, 2048
# Per stage: output channels, spatial stride of its first block, and per block (expanded channels, kt, k).
A0_STAGES = (
    (8, 2, ((24, 1, 5),)),
    (32, 2, ((80, 3, 3), (80, 3, 3), (80, 3, 3))),
    (56, 2, ((184, 5, 3), (112, 3, 3), (184, 3, 3))),
    (56, 1, ((184, 5, 3), (184, 3, 3), (184, 3, 3), (184, 3, 3))),
    (104, 2, ((384, 5, 3), (280, 1, 5), (280, 1, 5), (344, 1, 5))),
)


def _pointwise(in_channels: int, out_channels: int, activation: str, stride: int = 1, **kw) -> ConvBnAct3d:
    return ConvBnAct3d(in_channels, out_channels, 1, (1, stride, stride), 0, activation=activation, **kw)


class MoViNetBottleneck(EfficientBlock):
    """(N, C_in, T, H, W) → (N, C_out, T, H/s, W/s); frame t of the output sees frames ≤ t only."""

    def __init__(self, in_channels: int, expanded: int, out_channels: int, temporal_kernel: int,
                 spatial_kernel: int, spatial_stride: int = 1):
        super().__init__()
        kernel, pad = (temporal_kernel, spatial_kernel, spatial_kernel), spatial_kernel // 2
        self.expand = _pointwise(in_channels, expanded, ACT)
        self.depthwise = ConvBnAct3d(expanded, expanded, kernel, (1, spatial_stride, spatial_stride), (0, pad, pad),
                                     groups=expanded, activation=ACT, causal=True)
        self.se = SqueezeExcitation3d(expanded, round_se_width(expanded, SE_RATIO), causal=True)
        self.project = _pointwise(expanded, out_channels, "identity")
        same = spatial_stride == 1 and in_channels == out_channels
        self.shortcut = None if same else _pointwise(in_channels, out_channels, "identity", spatial_stride)
        self.residual_add = ResidualAdd()

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        return self.residual_add(self.project(self.se(self.depthwise(self.expand(x)))), shortcut)


class MoViNetA0Like(EfficientBlock):
    """Top-level modules run in order (stem, s1…s5, head, dropout, projection), so fine-tuning can split them."""

    def __init__(self, num_classes: int = 600, dropout: float = 0.2):
        super().__init__()
        self.stem = ConvBnAct3d(3, STEM_CHANNELS, (1, 3, 3), (1, 2, 2), (0, 1, 1), activation=ACT, causal=True)
        in_channels = STEM_CHANNELS
        for stage, (out_channels, stride, blocks) in enumerate(A0_STAGES, start=1):
            layers = OrderedDict()
            for i, (expanded, kt, k) in enumerate(blocks):
                layers[f"b{i}"] = MoViNetBottleneck(in_channels, expanded, out_channels, kt, k,
                                                    stride if i == 0 else 1)
                in_channels = out_channels
            self.add_module(f"s{stage}", nn.Sequential(layers))
        self.head = nn.Sequential(OrderedDict(
            conv=_pointwise(in_channels, HEAD_CHANNELS, ACT),
            pool=GlobalAvgPool3d(),  # the clip mean; xport.stream makes it a running mean
            lin=_pointwise(HEAD_CHANNELS, HEAD_FEATURES, ACT, use_bn=False, bias=True),
        ))
        self.dropout = nn.Dropout(dropout)
        self.projection = FullyConnected(HEAD_FEATURES, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        """The last stage's feature map, (N, 104, T, H/32, W/32)."""
        return self.s5(self.s4(self.s3(self.s2(self.s1(self.stem(x))))))

    def forward(self, x: Tensor) -> Tensor:
        return self.projection(self.dropout(self.head(self.forward_features(x))).flatten(1))


@register_model(ModelCard(
    name="movinet_a0_like_causal", input_size=(3, 8, 172, 172), num_classes=600,
    description=("MoViNet-A0-shaped causal model (stream mode: streams frame by frame) from efficient blocks; NOT the "
                 "official MoViNet weights (no checkpoint): train from scratch or fine-tune. 600-class head "
                 "(Kinetics-600 size)"),
    resize_short_side=172, clip_seconds=1.6, gflops=0.85, params=3_111_784))
def movinet_a0_like_causal(num_classes: int = 600, dropout: float = 0.2) -> MoViNetA0Like:
    return MoViNetA0Like(num_classes, dropout)

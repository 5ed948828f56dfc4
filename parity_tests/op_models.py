"""One tiny model per spec op, used to check each op on each backend in its real runtime.

``OP_MODELS`` maps a case id to (spec op it exercises, module factory, input shape). Every spec op must
appear at least once (``test_every_spec_op_has_a_case`` enforces it).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

CLIP = (1, 4, 3, 8, 8)  # N, C, T, H, W
IMAGE = (1, 4, 8, 8)


class Fn(nn.Module):
    """Wraps a function of the input so each case is one line."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


class WithWeight(nn.Module):
    """A function of the input and one fixed random weight (for matmul-style ops)."""

    def __init__(self, shape: tuple[int, ...], fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(shape, generator=torch.Generator().manual_seed(1)))
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x, self.weight)


def _bn(channels: int) -> nn.Module:
    bn = nn.BatchNorm3d(channels)
    g = torch.Generator().manual_seed(2)
    bn.running_mean = torch.randn(channels, generator=g) * 0.1
    bn.running_var = torch.rand(channels, generator=g) + 0.5
    bn.weight.data = torch.rand(channels, generator=g) + 0.5
    bn.bias.data = torch.randn(channels, generator=g) * 0.1
    return bn


def _conv(*args, **kwargs) -> nn.Module:
    torch.manual_seed(3)
    return nn.Conv3d(*args, **kwargs)


OP_MODELS: dict[str, tuple[str, Callable[[], nn.Module], tuple[int, ...]]] = {
    "conv3d_dense": ("conv", lambda: _conv(4, 6, 3, padding=1), CLIP),
    "conv3d_depthwise_strided": ("conv", lambda: _conv(4, 4, 3, stride=(1, 2, 2), padding=1, groups=4), CLIP),
    "conv3d_pointwise": ("conv", lambda: _conv(4, 8, 1), CLIP),
    "conv2d": ("conv", lambda: (torch.manual_seed(3), nn.Conv2d(4, 6, 3, padding=1))[1], IMAGE),
    "conv1d": ("conv", lambda: (torch.manual_seed(3), nn.Conv1d(4, 6, 3))[1], (1, 4, 16)),
    "batch_norm_standalone": ("batch_norm", lambda: nn.Sequential(nn.ReLU(), _bn(4)), CLIP),
    "conv_bn_folded": ("batch_norm", lambda: nn.Sequential(_conv(4, 4, (3, 1, 1), padding=(1, 0, 0)), _bn(4)), CLIP),
    "linear": ("linear", lambda: (torch.manual_seed(4), nn.Linear(8, 5))[1], (2, 8)),
    "matmul": ("matmul", lambda: WithWeight((8, 3), torch.matmul), (2, 8)),
    "bmm": ("matmul", lambda: WithWeight((2, 8, 3), torch.bmm), (2, 4, 8)),
    "relu": ("relu", lambda: nn.ReLU(), CLIP),
    "relu6": ("clamp", lambda: nn.ReLU6(), CLIP),
    "clamp": ("clamp", lambda: Fn(lambda x: x.clamp(-0.5, 0.75)), CLIP),
    "sigmoid": ("sigmoid", lambda: nn.Sigmoid(), CLIP),
    "silu": ("silu", lambda: nn.SiLU(), CLIP),
    "hardswish": ("hardswish", lambda: nn.Hardswish(), CLIP),
    "hardsigmoid": ("hardsigmoid", lambda: nn.Hardsigmoid(), CLIP),
    "tanh": ("tanh", lambda: nn.Tanh(), CLIP),
    "add": ("add", lambda: Fn(lambda x: x + x.mean(dim=1, keepdim=True) + 1.5), CLIP),
    "sub": ("sub", lambda: Fn(lambda x: x - x[:, :1] - 0.5), CLIP),
    "mul": ("mul", lambda: Fn(lambda x: x * torch.sigmoid(x.mean(dim=(2, 3, 4), keepdim=True)) * 2.0), CLIP),
    "div": ("div", lambda: Fn(lambda x: x / (x * x + 1.0) / 3.0), CLIP),
    "mean": ("mean", lambda: Fn(lambda x: x.mean(dim=(-1, -2))), CLIP),
    "sum": ("sum", lambda: Fn(lambda x: x.sum(dim=1)), CLIP),
    "avg_pool3d": ("avg_pool", lambda: nn.AvgPool3d((1, 2, 2)), CLIP),
    "avg_pool3d_global": ("avg_pool", lambda: nn.AvgPool3d((3, 8, 8)), CLIP),
    "avg_pool2d": ("avg_pool", lambda: nn.AvgPool2d(3, stride=2, padding=1), IMAGE),
    "max_pool3d": ("max_pool", lambda: nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)), CLIP),
    "max_pool2d": ("max_pool", lambda: nn.MaxPool2d(2), IMAGE),
    "adaptive_avg_pool3d": ("adaptive_avg_pool", lambda: nn.AdaptiveAvgPool3d(1), CLIP),
    "softmax": ("softmax", lambda: Fn(lambda x: F.softmax(x, dim=-1)), (2, 10)),
    "cat": ("cat", lambda: Fn(lambda x: torch.cat([x, x * 2], dim=1)), CLIP),
    "slice": ("slice", lambda: Fn(lambda x: x[:, :, 1:3, ::2]), CLIP),
    "select": ("select", lambda: Fn(lambda x: x[:, 0]), CLIP),
    "reshape": ("reshape", lambda: Fn(lambda x: x.flatten(2).unsqueeze(1).squeeze(1)), CLIP),
    "permute": ("permute", lambda: Fn(lambda x: x.permute(0, 2, 1, 3, 4)), CLIP),
    "pad": ("pad", lambda: Fn(lambda x: F.pad(x, (1, 1, 2, 0))), CLIP),
    "full": ("full", lambda: Fn(lambda x: torch.cat([torch.full((1, 4, 1, 8, 8), 0.5), x], dim=2)), CLIP),
    "identity": ("identity", lambda: nn.Sequential(nn.Dropout(0.3), nn.ReLU()), CLIP),
}

TOKENS = (1, 6, 8)  # N, tokens, channels: what a video transformer's blocks see


def _layer_norm() -> nn.Module:
    torch.manual_seed(5)
    norm = nn.LayerNorm(8)
    nn.init.normal_(norm.weight, 1.0, 0.2)
    nn.init.normal_(norm.bias, 0.0, 0.2)
    return norm


def _attention(q: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    heads = q.reshape(1, 6, 2, 4).transpose(1, 2)  # (N, heads, tokens, head dim)
    return F.scaled_dot_product_attention(heads, heads * 0.5, heads + 1.0, attn_mask=mask)


# The ops of the video models people bring (transformers, TSM); inputs are tokens or small clips. The ARM stage
# runs the cases above only (its time budget): these run in every x86 runtime, and the families in the model tests.
VIDEO_MODEL_OP_MODELS: dict[str, tuple[str, Callable[[], nn.Module], tuple[int, ...]]] = {
    "layer_norm": ("layer_norm", _layer_norm, TOKENS),
    "gelu": ("gelu", lambda: nn.GELU(), TOKENS),
    "gelu_tanh": ("gelu", lambda: nn.GELU(approximate="tanh"), TOKENS),
    "attention": ("attention", lambda: Fn(_attention), TOKENS),
    "attention_masked": ("attention", lambda: WithWeight((6, 6), lambda x, m: _attention(x, m)), TOKENS),
    "exp": ("exp", lambda: Fn(lambda x: torch.exp(x * 0.5)), CLIP),
    "sqrt": ("sqrt", lambda: Fn(lambda x: torch.sqrt(x * x + 0.1)), CLIP),
    "rsqrt": ("rsqrt", lambda: Fn(lambda x: torch.rsqrt(x * x + 0.1)), CLIP),
    "erf": ("erf", lambda: Fn(torch.erf), CLIP),
    "neg": ("neg", lambda: Fn(lambda x: -x), CLIP),
    "abs": ("abs", lambda: Fn(torch.abs), CLIP),
    "pow": ("pow", lambda: Fn(lambda x: x.pow(2) + x.abs().pow(1.5)), CLIP),
    "maximum": ("maximum", lambda: Fn(lambda x: torch.maximum(x, x * -0.5)), CLIP),
    "minimum": ("minimum", lambda: Fn(lambda x: torch.minimum(x, x * 0.5)), CLIP),
    "compare": ("compare", lambda: Fn(lambda x: torch.where(x >= x.mean(dim=1, keepdim=True), x, -x)), CLIP),
    "where": ("where", lambda: Fn(lambda x: torch.where(x > 0.1, x, x * 0.25)), CLIP),
    "amax": ("amax", lambda: Fn(lambda x: x.amax(dim=-1, keepdim=True) - x), TOKENS),
    "expand": ("expand", lambda: Fn(lambda x: x.mean(dim=1, keepdim=True).expand(-1, 4, -1, -1, -1) + x), CLIP),
    "repeat": ("repeat", lambda: Fn(lambda x: x.repeat(1, 2, 1, 1, 1)), CLIP),
    "roll": ("roll", lambda: Fn(lambda x: torch.roll(x, shifts=(1, -2), dims=(2, 4))), CLIP),
    "cumsum": ("cumsum", lambda: Fn(lambda x: x.cumsum(2)), CLIP),  # a causal mean's running sum over time
    "split": ("split", lambda: Fn(lambda x: torch.cat(x.split([1, 3], dim=1)[::-1], dim=1)), CLIP),
    "index_select": ("index_select", lambda: Fn(lambda x: x.index_select(2, torch.tensor([2, 0]))), CLIP),
    "slice_scatter": ("slice_scatter", lambda: Fn(_shift_left), CLIP),
    "copy": ("copy", lambda: Fn(_copy_into_zeros), CLIP),
}
OP_MODELS.update(VIDEO_MODEL_OP_MODELS)


def _shift_left(x: torch.Tensor) -> torch.Tensor:
    """TSM's shift by slice assignment: each frame takes the next frame's first channels."""
    out = x.clone()
    out[:, :2, :-1] = x[:, :2, 1:]
    return out


def _copy_into_zeros(x: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(x)
    out.copy_(x * 2)  # a broadcasting copy becomes an expand (the expand case)
    return out + x


class IntShape(tuple):
    """An input shape whose test tensor holds integers 0–255 (``helpers.seeded`` reads ``dtype``)."""

    dtype = torch.int32


# Integer frames → float (the fused-preprocessing cast); int32 because Core ML multi-arrays have no uint8.
OP_MODELS["cast"] = ("cast", lambda: Fn(lambda x: x.to(torch.float32) * 0.5), IntShape(CLIP))

"""Normalised attribute views of spec ops, read from captured ATen nodes.

Each reader fills defaults that ATen leaves implicit (an empty pool stride means "= kernel", negative
dims are made positive), so backends constrain one canonical form.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.fx


def tensor_meta(node: torch.fx.Node) -> torch.Tensor:
    """The fake tensor torch.export recorded for a node's (first) output."""
    val = node.meta.get("val")
    if isinstance(val, (tuple, list)):
        val = val[0]
    if not isinstance(val, torch.Tensor):
        raise ValueError(f"node '{node.name}' carries no tensor metadata")
    return val


def shape_of(node: torch.fx.Node) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor_meta(node).shape)


def _arg(node: torch.fx.Node, index: int, name: str, default):
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _ints(value, rank: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(int(v) for v in value)
    return value * rank if len(value) == 1 and rank > 1 else value


@dataclass(frozen=True)
class RankAttrs:
    """Only the rank of the (first) input, for ops whose constraints are about rank alone."""

    rank: int


@dataclass(frozen=True)
class ConvAttrs:
    """Convolution: ``rank`` spatial dims (1, 2 or 3: conv1d/2d/3d)."""

    rank: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    in_channels: int
    out_channels: int
    transposed: bool
    depthwise: bool
    has_bias: bool


def read_conv(node: torch.fx.Node) -> ConvAttrs:
    x, w, bias, stride, padding, dilation, transposed, _out_pad, groups = node.args[:9]
    w_shape = shape_of(w)
    rank = len(w_shape) - 2
    in_channels = shape_of(x)[1]
    return ConvAttrs(
        rank=rank,
        kernel=tuple(w_shape[2:]),
        stride=_ints(stride, rank),
        padding=_ints(padding, rank),
        dilation=_ints(dilation, rank),
        groups=int(groups),
        in_channels=in_channels,
        out_channels=shape_of(node)[1],
        transposed=bool(transposed),
        depthwise=int(groups) > 1 and int(groups) == in_channels,
        has_bias=bias is not None,
    )


@dataclass(frozen=True)
class BatchNormAttrs:
    rank: int
    channels: int
    eps: float


def read_batch_norm(node: torch.fx.Node) -> BatchNormAttrs:
    shape = shape_of(node.args[0])
    return BatchNormAttrs(rank=len(shape), channels=shape[1], eps=float(node.args[-1]))


@dataclass(frozen=True)
class PoolAttrs:
    """Windowed pooling; ``is_global`` when one window covers all spatial dims (then it is a mean/max)."""

    rank: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    ceil_mode: bool
    count_include_pad: bool
    is_global: bool

    @property
    def stride_exceeds_kernel(self) -> bool:
        """Some window skips input values (stride > kernel along an axis)."""
        return any(s > k for s, k in zip(self.stride, self.kernel))

    @property
    def counts_padding(self) -> bool:
        """Padded positions count in the average (count_include_pad with some padding)."""
        return self.count_include_pad and any(self.padding)


def _pool_rank(node: torch.fx.Node) -> int:
    name = str(node.target)
    return int(name[name.index("pool") + 4])  # "aten.avg_pool3d.default" -> 3


def read_pool(node: torch.fx.Node) -> PoolAttrs:
    rank = _pool_rank(node)
    in_spatial = shape_of(node.args[0])[-rank:]
    kernel = _ints(node.args[1], rank)
    stride = _ints(_arg(node, 2, "stride", []) or kernel, rank)
    padding = _ints(_arg(node, 3, "padding", 0), rank)
    is_avg = "avg" in str(node.target)
    ceil_mode = bool(_arg(node, 4 if is_avg else 5, "ceil_mode", False))
    count_include_pad = bool(_arg(node, 5, "count_include_pad", True)) if is_avg else False
    is_global = kernel == tuple(in_spatial) and not any(padding)
    return PoolAttrs(rank, kernel, stride, padding, ceil_mode, count_include_pad, is_global)


@dataclass(frozen=True)
class AdaptivePoolAttrs:
    rank: int
    output_size: tuple[int, ...]
    is_global: bool


def read_adaptive_pool(node: torch.fx.Node) -> AdaptivePoolAttrs:
    rank = _pool_rank(node)
    out = _ints(node.args[1], rank)
    return AdaptivePoolAttrs(rank, out, all(o == 1 for o in out))


@dataclass(frozen=True)
class ReduceAttrs:
    rank: int
    dims: tuple[int, ...]
    keepdim: bool


def read_reduce(node: torch.fx.Node) -> ReduceAttrs:
    rank = len(shape_of(node.args[0]))
    dims = _arg(node, 1, "dim", None)
    dims = range(rank) if not dims else dims  # None or [] reduce every dim
    dims = tuple(sorted(int(d) % rank for d in dims))
    return ReduceAttrs(rank, dims, bool(_arg(node, 2, "keepdim", False)))


@dataclass(frozen=True)
class ClampAttrs:
    rank: int
    min: float | None
    max: float | None


def read_clamp(node: torch.fx.Node) -> ClampAttrs:
    rank = len(shape_of(node.args[0]))
    if str(node.target).startswith("aten.hardtanh"):
        return ClampAttrs(rank, float(_arg(node, 1, "min_val", -1.0)), float(_arg(node, 2, "max_val", 1.0)))
    lo, hi = _arg(node, 1, "min", None), _arg(node, 2, "max", None)
    return ClampAttrs(rank, None if lo is None else float(lo), None if hi is None else float(hi))


@dataclass(frozen=True)
class AxisAttrs:
    """Ops along one axis (cat, softmax, slice, select): the input rank and the positive axis."""

    rank: int
    dim: int


def read_axis(node: torch.fx.Node) -> AxisAttrs:
    first = node.args[0]
    rank = len(shape_of(first[0] if isinstance(first, (list, tuple)) else first))
    default = 0 if "cat" in str(node.target) else -1
    return AxisAttrs(rank, int(_arg(node, 1, "dim", default)) % rank)


@dataclass(frozen=True)
class SliceAttrs:
    """Strided slice: input rank, positive axis and step."""

    rank: int
    dim: int
    step: int

    @property
    def strided(self) -> bool:
        return self.step != 1


def read_slice(node: torch.fx.Node) -> SliceAttrs:
    rank = len(shape_of(node.args[0]))
    return SliceAttrs(rank, int(_arg(node, 1, "dim", 0)) % rank, int(_arg(node, 4, "step", 1)))


@dataclass(frozen=True)
class ShapeAttrs:
    """Layout ops (reshape, permute): input and output rank; for reshapes, which kind and whether the axis it
    adds or drops is the trailing one (``kind`` is ``"view"``, ``"squeeze"``, ``"unsqueeze"`` or ``"permute"``)."""

    rank: int
    out_rank: int
    kind: str = "view"
    trailing: bool = True


def read_shape(node: torch.fx.Node) -> ShapeAttrs:
    rank, out_rank = len(shape_of(node.args[0])), len(shape_of(node))
    name = str(node.target)
    if "squeeze" in name:
        kind = "unsqueeze" if "unsqueeze" in name else "squeeze"
        dims = _arg(node, 1, "dim", None)
        dims = [dims] if isinstance(dims, int) else list(dims or [])
        last = (out_rank if kind == "unsqueeze" else rank) - 1
        return ShapeAttrs(rank, out_rank, kind, all(int(d) % (last + 1) == last for d in dims))
    return ShapeAttrs(rank, out_rank, "permute" if "permute" in name else "view")


@dataclass(frozen=True)
class PadAttrs:
    """Constant padding: input rank and whether any side is negative (a crop)."""

    rank: int
    negative: bool


def read_pad(node: torch.fx.Node) -> PadAttrs:
    return PadAttrs(len(shape_of(node.args[0])), any(int(p) < 0 for p in node.args[1]))


@dataclass(frozen=True)
class CastAttrs:
    """Element-type conversion: source and target dtype names (``"uint8"`` → ``"float32"``)."""

    rank: int
    source: str
    target: str


def read_cast(node: torch.fx.Node) -> CastAttrs:
    source = node.args[0].meta["val"].dtype
    target = node.kwargs.get("dtype") or source
    return CastAttrs(len(shape_of(node)), str(source).removeprefix("torch."), str(target).removeprefix("torch."))


def read_rank(node: torch.fx.Node) -> RankAttrs:
    return RankAttrs(len(shape_of(node)))


@dataclass(frozen=True)
class PowAttrs:
    rank: int
    integer_exponent: bool  # x², x³ (XNNPACK's only powers) vs x^1.5


def read_pow(node: torch.fx.Node) -> PowAttrs:
    return PowAttrs(len(shape_of(node)), float(node.args[1]).is_integer())


@dataclass(frozen=True)
class MatmulAttrs:
    """A matrix product: the output's ``rank``; ``same_rank`` when both operands have it (no vector operand, no
    matrix broadcast over a batch), the form every batched-matmul kernel takes."""

    rank: int
    same_rank: bool


def read_matmul(node: torch.fx.Node) -> MatmulAttrs:
    rank = len(shape_of(node))
    return MatmulAttrs(rank, all(len(shape_of(arg)) == rank for arg in node.args[:2]))


def read_input_rank(node: torch.fx.Node) -> RankAttrs:
    """The rank of the first input (for ops whose output is a tuple, such as split)."""
    return RankAttrs(len(shape_of(node.args[0])))


@dataclass(frozen=True)
class LayerNormAttrs:
    """Layer norm over the last ``normalized`` dims, with ``eps``; ``affine`` when it has a weight or bias."""

    rank: int
    normalized: int
    eps: float
    affine: bool


def read_layer_norm(node: torch.fx.Node) -> LayerNormAttrs:
    x, normalized_shape, weight, bias, eps = node.args[:5]
    return LayerNormAttrs(len(shape_of(x)), len(normalized_shape), float(eps),
                          weight is not None or bias is not None)


@dataclass(frozen=True)
class GeluAttrs:
    rank: int
    approximate: str  # "none" (the erf form) or "tanh"


def read_gelu(node: torch.fx.Node) -> GeluAttrs:
    return GeluAttrs(len(shape_of(node)), str(node.kwargs.get("approximate", "none")))


@dataclass(frozen=True)
class AttentionAttrs:
    """Scaled dot-product attention on (…, L, E) queries: ``rank`` of the query, mask and causality, the scale."""

    rank: int
    has_mask: bool
    is_causal: bool
    scale: float | None
    dropout: float
    gqa: bool


def read_attention(node: torch.fx.Node) -> AttentionAttrs:
    mask = _arg(node, 3, "attn_mask", None)
    return AttentionAttrs(len(shape_of(node.args[0])), mask is not None, bool(_arg(node, 5, "is_causal", False)),
                          node.kwargs.get("scale"), float(_arg(node, 4, "dropout_p", 0.0)),
                          bool(node.kwargs.get("enable_gqa", False)))


@dataclass(frozen=True)
class RollAttrs:
    rank: int
    shifts: tuple[int, ...]
    dims: tuple[int, ...]  # empty: the flattened tensor is rolled


def read_roll(node: torch.fx.Node) -> RollAttrs:
    rank = len(shape_of(node.args[0]))
    shifts = _ints(node.args[1], 1) if not isinstance(node.args[1], int) else (int(node.args[1]),)
    dims = _arg(node, 2, "dims", [])
    dims = (int(dims),) if isinstance(dims, int) else tuple(int(d) % rank for d in dims)
    return RollAttrs(rank, tuple(shifts), dims)


def read_scatter_axis(node: torch.fx.Node) -> AxisAttrs:
    """slice_scatter(input, src, dim, …): the input rank and the positive axis."""
    rank = len(shape_of(node.args[0]))
    return AxisAttrs(rank, int(_arg(node, 2, "dim", 0)) % rank)


def read_split(node: torch.fx.Node) -> AxisAttrs:
    """split_with_sizes(input, sizes, dim)."""
    rank = len(shape_of(node.args[0]))
    return AxisAttrs(rank, int(_arg(node, 2, "dim", 0)) % rank)


@dataclass(frozen=True)
class IndexSelectAttrs:
    rank: int
    dim: int
    constant_index: bool  # the indices are a stored constant (after constant folding), not computed


def read_index_select(node: torch.fx.Node) -> IndexSelectAttrs:
    rank = len(shape_of(node.args[0]))
    index = node.args[2]
    constant = not isinstance(index, torch.fx.Node) or index.op == "get_attr"
    return IndexSelectAttrs(rank, int(node.args[1]) % rank, constant)


@dataclass(frozen=True)
class CompareAttrs:
    rank: int
    kind: str  # "gt" | "ge" | "lt" | "le" | "eq" | "ne"


def read_compare(node: torch.fx.Node) -> CompareAttrs:
    return CompareAttrs(len(shape_of(node)), str(node.target).split(".")[1])

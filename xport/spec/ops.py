"""The spec ops: everything an efficient video model (X3D class) is built from.

Capture keeps these ATen overloads intact (it removes them from torch.export's decomposition table), so a
``hardswish`` stays one node instead of becoming ``add/clamp/div/mul``.
"""

from __future__ import annotations

from .attrs import (
    read_adaptive_pool,
    read_axis,
    read_batch_norm,
    read_cast,
    read_clamp,
    read_conv,
    read_pad,
    read_pool,
    read_rank,
    read_reduce,
    read_shape,
    read_slice,
)
from .registry import OpRegistry, OpSpec
from .traits import (
    ACTIVATION,
    CONVERTS_TYPE,
    ELEMENTWISE,
    FUSABLE_ACTIVATION,
    JOINS_QUANTIZATION,
    LAYOUT,
    MAKES_CONSTANT,
    REDUCTION,
    SHARES_QUANTIZATION,
    TAKES_ACTIVATION,
    WEIGHTED,
)

SPEC = OpRegistry()

_UNARY = (ELEMENTWISE, ACTIVATION)
_FUSABLE = (*_UNARY, FUSABLE_ACTIVATION)
_ARITHMETIC = (ELEMENTWISE,)
_MOVES = (LAYOUT, SHARES_QUANTIZATION)


def _op(name: str, aten: tuple[str, ...], doc: str, read_attrs=read_rank, traits: tuple[str, ...] = ()) -> OpSpec:
    return SPEC.register(OpSpec(name=name, aten=aten, doc=doc, read_attrs=read_attrs, traits=frozenset(traits)))


# Compute-heavy ops.
_op("conv", ("aten.convolution.default",), "1/2/3-D convolution, grouped and depthwise", read_conv,
    (WEIGHTED, TAKES_ACTIVATION))
_op("batch_norm", ("aten._native_batch_norm_legit_no_training.default",), "inference batch norm", read_batch_norm)
_op("linear", ("aten.linear.default",), "fully connected layer, y = x W^T + b", read_rank,
    (WEIGHTED, TAKES_ACTIVATION))
_op("matmul", ("aten.mm.default", "aten.bmm.default"), "matrix product (2-D or batched 3-D)")

# Activations.
_op("relu", ("aten.relu.default",), "max(x, 0)", read_rank, _FUSABLE)
_op("clamp", ("aten.hardtanh.default", "aten.clamp.default"), "clip to [min, max]; relu6 is clamp(0, 6)", read_clamp,
    _FUSABLE)
_op("sigmoid", ("aten.sigmoid.default",), "1 / (1 + exp(-x))", read_rank, _UNARY)
_op("silu", ("aten.silu.default",), "swish: x * sigmoid(x)", read_rank, _UNARY)
_op("hardswish", ("aten.hardswish.default",), "x * relu6(x + 3) / 6", read_rank, _UNARY)
_op("hardsigmoid", ("aten.hardsigmoid.default",), "relu6(x + 3) / 6", read_rank, _UNARY)
_op("tanh", ("aten.tanh.default",), "hyperbolic tangent", read_rank, _UNARY)

# Element-wise arithmetic (with broadcasting).
_op("add", ("aten.add.Tensor", "aten.add.Scalar"), "element-wise sum", read_rank,
    (ELEMENTWISE, TAKES_ACTIVATION))
_op("sub", ("aten.sub.Tensor", "aten.sub.Scalar"), "element-wise difference", read_rank, _ARITHMETIC)
_op("mul", ("aten.mul.Tensor", "aten.mul.Scalar"), "element-wise product (squeeze-excitation gating)",
    read_rank, (ELEMENTWISE, TAKES_ACTIVATION))
_op("div", ("aten.div.Tensor", "aten.div.Scalar"), "element-wise quotient", read_rank, _ARITHMETIC)

# Reductions and pooling.
_op("mean", ("aten.mean.dim",), "mean over dims (global average pooling)", read_reduce,
    (REDUCTION,))
_op("sum", ("aten.sum.dim_IntList",), "sum over dims", read_reduce, (REDUCTION,))
_op("avg_pool", ("aten.avg_pool1d.default", "aten.avg_pool2d.default", "aten.avg_pool3d.default"),
    "windowed average pooling", read_pool, (REDUCTION,))
_op("max_pool", ("aten.max_pool1d.default", "aten.max_pool2d.default", "aten.max_pool3d.default"),
    "windowed max pooling", read_pool, (REDUCTION, SHARES_QUANTIZATION))
_op("adaptive_avg_pool",
    ("aten.adaptive_avg_pool1d.default", "aten.adaptive_avg_pool2d.default", "aten.adaptive_avg_pool3d.default"),
    "average pooling to a fixed output size (global when the size is 1)", read_adaptive_pool, (REDUCTION,))
_op("softmax", ("aten._softmax.default",), "softmax along one axis", read_axis)

# Layout and data movement.
_op("cat", ("aten.cat.default",), "concatenate along one axis", read_axis,
    (LAYOUT, JOINS_QUANTIZATION))
_op("slice", ("aten.slice.Tensor",), "strided slice along one axis", read_slice, _MOVES)
_op("select", ("aten.select.int",), "take one index along one axis (drops the axis)", read_axis,
    _MOVES)
_op("reshape", ("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default",
                "aten.squeeze.dims", "aten.squeeze.dim", "aten.unsqueeze.default"),
    "change the shape, keep the data order", read_shape, _MOVES)
_op("permute", ("aten.permute.default",), "reorder axes", read_shape, _MOVES)
_op("pad", ("aten.constant_pad_nd.default",), "constant padding", read_pad, _MOVES)
_op("full", ("aten.full.default",), "a tensor filled with one value (zero frames for time padding)",
    read_rank, (MAKES_CONSTANT,))
_op("cast", ("aten._to_copy.default",), "convert the element type (uint8 frames to float32)", read_cast,
    (ELEMENTWISE, CONVERTS_TYPE))

# Ops that compute nothing at inference; the remove_noops pass deletes them.
_op("identity", ("aten.clone.default", "aten.alias.default", "aten.dropout.default", "aten.detach.default",
                 "aten.lift_fresh_copy.default"), "no-op at inference (clone, dropout in eval mode, ...)",
    read_rank, _MOVES)

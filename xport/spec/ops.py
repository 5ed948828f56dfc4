"""The spec ops: everything an efficient video model (X3D class) is built from.

Capture keeps these ATen overloads intact (it removes them from torch.export's decomposition table), so a
``hardswish`` stays one node instead of becoming ``add/clamp/div/mul``.
"""

from __future__ import annotations

from .attrs import (
    read_adaptive_pool,
    read_attention,
    read_axis,
    read_batch_norm,
    read_cast,
    read_clamp,
    read_compare,
    read_conv,
    read_gelu,
    read_index_select,
    read_input_rank,
    read_layer_norm,
    read_matmul,
    read_pad,
    read_pool,
    read_pow,
    read_rank,
    read_reduce,
    read_roll,
    read_scatter_axis,
    read_shape,
    read_slice,
    read_split,
)
from .registry import OpRegistry, OpSpec
from .traits import (
    ACTIVATION,
    CONVERTS_TYPE,
    ELEMENTWISE,
    FLOAT_AT_INT8,
    FUSABLE_ACTIVATION,
    JOINS_QUANTIZATION,
    LAYOUT,
    MAKES_CONSTANT,
    REDUCTION,
    SHARES_QUANTIZATION,
    TAKES_ACTIVATION,
    TWO_OPERANDS,
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
# torch.matmul stays whole (batched over any leading dims), so attention keeps its (N, heads, L, E) form; the
# matmul_to_bmm pass gives runtimes without that form the 2-D/3-D products torch itself would compute.
_op("matmul", ("aten.mm.default", "aten.bmm.default", "aten.matmul.default"),
    "matrix product (2-D, or batched over leading dims)", read_matmul, (TWO_OPERANDS,))

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
    (ELEMENTWISE, TAKES_ACTIVATION, TWO_OPERANDS))
_op("sub", ("aten.sub.Tensor", "aten.sub.Scalar"), "element-wise difference", read_rank, _ARITHMETIC)
_op("mul", ("aten.mul.Tensor", "aten.mul.Scalar"), "element-wise product (squeeze-excitation gating)",
    read_rank, (ELEMENTWISE, TAKES_ACTIVATION, TWO_OPERANDS))
_op("div", ("aten.div.Tensor", "aten.div.Scalar"), "element-wise quotient", read_rank, _ARITHMETIC)

# Reductions and pooling.
_op("mean", ("aten.mean.dim",), "mean over dims (global average pooling)", read_reduce,
    (REDUCTION,))
_op("sum", ("aten.sum.dim_IntList",), "sum over dims", read_reduce, (REDUCTION,))
_op("cumsum", ("aten.cumsum.default",), "running sum along one axis (the causal mean over time)", read_axis)
_op("avg_pool", ("aten.avg_pool1d.default", "aten.avg_pool2d.default", "aten.avg_pool3d.default"),
    "windowed average pooling", read_pool, (REDUCTION,))
_op("max_pool", ("aten.max_pool1d.default", "aten.max_pool2d.default", "aten.max_pool3d.default"),
    "windowed max pooling", read_pool, (REDUCTION, SHARES_QUANTIZATION))
_op("adaptive_avg_pool",
    ("aten.adaptive_avg_pool1d.default", "aten.adaptive_avg_pool2d.default", "aten.adaptive_avg_pool3d.default"),
    "average pooling to a fixed output size (global when the size is 1)", read_adaptive_pool, (REDUCTION,))
_op("softmax", ("aten._softmax.default",), "softmax along one axis", read_axis, (FLOAT_AT_INT8,))

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

# Ops of the video models people bring: transformers (layer norm, GELU, attention), TSM (roll, slice assignment),
# and the element-wise math and data movement their code uses.
_op("layer_norm", ("aten.native_layer_norm.default",), "layer norm over the trailing dims", read_layer_norm,
    (FLOAT_AT_INT8,))
_op("gelu", ("aten.gelu.default",), "GELU, erf form (approximate='none') or tanh form", read_gelu,
    (*_UNARY, FLOAT_AT_INT8))
_op("attention", ("aten.scaled_dot_product_attention.default",),
    "softmax(Q Kᵀ · scale + mask) V over the last two dims (F.scaled_dot_product_attention)", read_attention)
_op("exp", ("aten.exp.default",), "e^x", read_rank, _ARITHMETIC)
_op("sqrt", ("aten.sqrt.default",), "square root", read_rank, _ARITHMETIC)
_op("rsqrt", ("aten.rsqrt.default",), "1 / sqrt(x)", read_rank, _ARITHMETIC)
_op("erf", ("aten.erf.default",), "the error function", read_rank, (*_ARITHMETIC, FLOAT_AT_INT8))
_op("neg", ("aten.neg.default",), "-x", read_rank, _ARITHMETIC)
_op("abs", ("aten.abs.default",), "|x|", read_rank, _ARITHMETIC)
_op("pow", ("aten.pow.Tensor_Scalar",), "x to a constant power", read_pow, _ARITHMETIC)
_op("maximum", ("aten.maximum.default",), "element-wise maximum of two tensors", read_rank, _ARITHMETIC)
_op("minimum", ("aten.minimum.default",), "element-wise minimum of two tensors", read_rank, _ARITHMETIC)
_op("compare", tuple(f"aten.{kind}.{form}" for kind in ("gt", "ge", "lt", "le", "eq", "ne")
                     for form in ("Tensor", "Scalar")), "element-wise comparison, a boolean tensor", read_compare,
    _ARITHMETIC)
_op("where", ("aten.where.self",), "condition ? a : b, element-wise", read_rank, _ARITHMETIC)
_op("amax", ("aten.amax.default",), "maximum over dims", read_reduce, (REDUCTION,))
_op("expand", ("aten.expand.default",), "broadcast to a larger shape (size-1 dims repeated)", read_rank, (LAYOUT,))
_op("repeat", ("aten.repeat.default",), "tile the tensor along each dim", read_rank, (LAYOUT,))
_op("roll", ("aten.roll.default",), "cyclic shift along dims (TSM, Swin's shifted windows)", read_roll, (LAYOUT,))
_op("split", ("aten.split_with_sizes.default",), "split along one axis into parts of given sizes", read_split,
    (LAYOUT,))
_op("index_select", ("aten.index_select.default",), "take indices along one axis (a gather)", read_index_select,
    (LAYOUT,))
_op("slice_scatter", ("aten.slice_scatter.default",), "write a tensor into a strided slice of another (what slice "
    "assignment captures as)", read_scatter_axis, (LAYOUT,))
_op("copy", ("aten.copy.default",), "the second tensor, broadcast to the first's shape (what in-place copy_ "
    "captures as)", read_input_rank, (LAYOUT,))

# Ops that compute nothing at inference; the remove_noops pass deletes them.
_op("identity", ("aten.clone.default", "aten.alias.default", "aten.dropout.default", "aten.detach.default",
                 "aten.lift_fresh_copy.default"), "no-op at inference (clone, dropout in eval mode, ...)",
    read_rank, _MOVES)

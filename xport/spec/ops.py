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
    read_pool,
    read_rank,
    read_reduce,
    read_shape,
)
from .registry import OpRegistry, OpSpec

SPEC = OpRegistry()


def _op(name: str, aten: tuple[str, ...], doc: str, read_attrs=read_rank) -> OpSpec:
    return SPEC.register(OpSpec(name=name, aten=aten, doc=doc, read_attrs=read_attrs))


# Compute-heavy ops.
_op("conv", ("aten.convolution.default",), "1/2/3-D convolution, grouped and depthwise", read_conv)
_op("batch_norm", ("aten._native_batch_norm_legit_no_training.default",), "inference batch norm", read_batch_norm)
_op("linear", ("aten.linear.default",), "fully connected layer, y = x W^T + b")
_op("matmul", ("aten.mm.default", "aten.bmm.default"), "matrix product (2-D or batched 3-D)")

# Activations.
_op("relu", ("aten.relu.default",), "max(x, 0)")
_op("clamp", ("aten.hardtanh.default", "aten.clamp.default"), "clip to [min, max]; relu6 is clamp(0, 6)", read_clamp)
_op("sigmoid", ("aten.sigmoid.default",), "1 / (1 + exp(-x))")
_op("silu", ("aten.silu.default",), "swish: x * sigmoid(x)")
_op("hardswish", ("aten.hardswish.default",), "x * relu6(x + 3) / 6")
_op("hardsigmoid", ("aten.hardsigmoid.default",), "relu6(x + 3) / 6")
_op("tanh", ("aten.tanh.default",), "hyperbolic tangent")

# Element-wise arithmetic (with broadcasting).
_op("add", ("aten.add.Tensor", "aten.add.Scalar"), "element-wise sum")
_op("sub", ("aten.sub.Tensor", "aten.sub.Scalar"), "element-wise difference")
_op("mul", ("aten.mul.Tensor", "aten.mul.Scalar"), "element-wise product (squeeze-excitation gating)")
_op("div", ("aten.div.Tensor", "aten.div.Scalar"), "element-wise quotient")

# Reductions and pooling.
_op("mean", ("aten.mean.dim",), "mean over dims (global average pooling)", read_reduce)
_op("sum", ("aten.sum.dim_IntList",), "sum over dims", read_reduce)
_op("avg_pool", ("aten.avg_pool1d.default", "aten.avg_pool2d.default", "aten.avg_pool3d.default"),
    "windowed average pooling", read_pool)
_op("max_pool", ("aten.max_pool1d.default", "aten.max_pool2d.default", "aten.max_pool3d.default"),
    "windowed max pooling", read_pool)
_op("adaptive_avg_pool",
    ("aten.adaptive_avg_pool1d.default", "aten.adaptive_avg_pool2d.default", "aten.adaptive_avg_pool3d.default"),
    "average pooling to a fixed output size (global when the size is 1)", read_adaptive_pool)
_op("softmax", ("aten._softmax.default",), "softmax along one axis", read_axis)

# Layout and data movement.
_op("cat", ("aten.cat.default",), "concatenate along one axis", read_axis)
_op("slice", ("aten.slice.Tensor",), "strided slice along one axis", read_axis)
_op("select", ("aten.select.int",), "take one index along one axis (drops the axis)", read_axis)
_op("reshape", ("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default",
                "aten.squeeze.dims", "aten.squeeze.dim", "aten.unsqueeze.default"),
    "change the shape, keep the data order", read_shape)
_op("permute", ("aten.permute.default",), "reorder axes", read_shape)
_op("pad", ("aten.constant_pad_nd.default",), "constant padding")
_op("full", ("aten.full.default",), "a tensor filled with one value (zero frames for time padding)")
_op("cast", ("aten._to_copy.default",), "convert the element type (uint8 frames to float32)", read_cast)

# Ops that compute nothing at inference; the remove_noops pass deletes them.
_op("identity", ("aten.clone.default", "aten.alias.default", "aten.dropout.default", "aten.detach.default",
                 "aten.lift_fresh_copy.default"), "no-op at inference (clone, dropout in eval mode, ...)")

"""Spec op → TFLite lowering: the table the converter dispatches on (one entry per op in ``caps``).

``binary_int8`` and ``carrying`` let a lowering run on int8 tensors where the int8 program allows (.quantized).
"""

from __future__ import annotations

from . import lower_compute, lower_elementwise, lower_layout
from .quantized import LOGISTIC_OUTPUT, binary_int8, carrying, unary_int8
from .values import Lowering

LOWERINGS: dict[str, Lowering] = {
    "conv": lower_compute.conv,
    "avg_pool": lower_compute.pool,
    "max_pool": lower_compute.pool,
    "linear": lower_compute.linear,
    "matmul": lower_compute.matmul,
    # A relu the conv before it could not absorb requantizes: XNNPACK has no int8 RELU (each would split the
    # delegated graph), so it runs in float between DEQUANTIZE and QUANTIZE, which is the same arithmetic.
    **dict.fromkeys(("relu", "sigmoid", "tanh"), lower_elementwise.unary),
    # The swish forms have int8 kernels in LiteRT and XNNPACK: no DEQUANTIZE/QUANTIZE pair around each.
    "hardswish": unary_int8(lower_elementwise.unary),
    "silu": unary_int8(lower_elementwise.silu, int8_gate=LOGISTIC_OUTPUT),
    **dict.fromkeys(("exp", "sqrt", "rsqrt", "neg", "abs"), lower_elementwise.unary),
    "gelu": lower_elementwise.gelu,
    "pow": lower_elementwise.power,
    "clamp": lower_elementwise.clamp,
    "cast": lower_elementwise.cast,
    "hardsigmoid": lower_elementwise.hardsigmoid,
    **{op: binary_int8(lower_elementwise.binary) for op in ("add", "mul")},
    **dict.fromkeys(("sub", "div", "maximum", "minimum"), lower_elementwise.binary),
    "compare": lower_elementwise.compare,
    "where": lower_elementwise.where,
    **dict.fromkeys(("mean", "sum", "amax"), lower_elementwise.reduce),
    "softmax": lower_elementwise.softmax,
    "reshape": carrying(lower_layout.reshape),
    "permute": carrying(lower_layout.permute),
    "cat": carrying(lower_layout.cat),
    "slice": carrying(lower_layout.slice_),
    "select": carrying(lower_layout.select),
    "pad": carrying(lower_layout.pad),
    # Float only: xport's quantizer gives these no shared input/output parameters to carry int8 through.
    "expand": lower_layout.expand,
    "repeat": lower_layout.repeat,
    "index_select": lower_layout.index_select,
    # Re-export after the conv3d rewrite turns reshapes of permuted views into clone + view; a clone (or
    # any other no-op) is just the same tensor here.
    "identity": carrying(lambda cv, info: cv.value(info.node.args[0])),
}

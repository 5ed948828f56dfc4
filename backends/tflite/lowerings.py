"""Spec op → TFLite lowering: the table the converter dispatches on (one entry per op in ``caps``)."""

from __future__ import annotations

from . import lower_compute, lower_elementwise, lower_layout
from .convert import Lowering

LOWERINGS: dict[str, Lowering] = {
    "conv": lower_compute.conv,
    "avg_pool": lower_compute.pool,
    "max_pool": lower_compute.pool,
    "linear": lower_compute.linear,
    "matmul": lower_compute.matmul,
    **{op: lower_elementwise.unary for op in ("relu", "sigmoid", "tanh", "hardswish")},
    "clamp": lower_elementwise.clamp,
    "cast": lower_elementwise.cast,
    "silu": lower_elementwise.silu,
    "hardsigmoid": lower_elementwise.hardsigmoid,
    **{op: lower_elementwise.binary for op in ("add", "sub", "mul", "div")},
    "mean": lower_elementwise.reduce,
    "sum": lower_elementwise.reduce,
    "softmax": lower_elementwise.softmax,
    "reshape": lower_layout.reshape,
    "permute": lower_layout.permute,
    "cat": lower_layout.cat,
    "slice": lower_layout.slice_,
    "select": lower_layout.select,
    "pad": lower_layout.pad,
    # Re-export after the conv3d rewrite turns reshapes of permuted views into clone + view; a clone (or
    # any other no-op) is just the same tensor here.
    "identity": lambda cv, info: cv.value(info.node.args[0]),
}

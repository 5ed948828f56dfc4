"""Lowerings of the data-movement ops: reshape, permute, cat, slice, select, pad, expand, repeat, index_select.

A permute only relabels axes (no op is written), and a reshape is free whenever the stored layout allows it;
the others work on whatever layout their input is stored in (their axes, shapes and multiples are written in
that stored order).
"""

from __future__ import annotations

import numpy as np

from xport.capture import NodeInfo
from xport.spec import shape_of

from .convert import Converter
from .flatbuffer import BuiltinOperator, BuiltinOptions, schema
from .layout import after_dropping, after_permute, channels_last, physical_shape
from .lower_elementwise import reshape_value, with_rank
from .values import LoweringError, Value


def reshape(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    x = cv.value(node.args[0])
    shape = shape_of(node)
    preferred = (x.perm,) if len(shape) == len(x.shape) else ()
    return reshape_value(cv, x, shape, node.name, preferred=(*preferred, channels_last(len(shape))))


def permute(cv: Converter, info: NodeInfo) -> Value:
    x = cv.value(info.node.args[0])
    dims = [int(d) % len(x.shape) for d in info.node.args[1]]
    return Value(x.index, tuple(shape_of(info.node)), after_permute(x.perm, dims))


def _zero_frames(part) -> bool:
    return not isinstance(part, Value) and not np.any(part)


def cat(cv: Converter, info: NodeInfo) -> Value:
    node, dim = info.node, info.attrs.dim
    parts = [cv.value(p) for p in node.args[0]]
    tensors = [p for p in parts if isinstance(p, Value)]
    k = next(i for i, p in enumerate(parts) if isinstance(p, Value))
    if len(tensors) == 1 and all(_zero_frames(p) for i, p in enumerate(parts) if i != k):
        # Zeros around one tensor (time padding of conv taps): a PAD, with no constant zeros in the file.
        before = sum(p.shape[dim] for p in parts[:k])
        after = sum(p.shape[dim] for p in parts[k + 1:])
        return padded(cv, tensors[0], {dim: (before, after)}, 0.0, node.name)
    perm = tensors[0].perm
    inputs = [cv.in_layout(p, perm, f"{node.name}_part") for p in parts]
    out = cv.output_of(node, perm)
    options = schema.ConcatenationOptionsT()
    options.axis = perm.index(dim)
    cv.op(BuiltinOperator.CONCATENATION, inputs, [out.index], BuiltinOptions.ConcatenationOptions, options)
    return out


def _bounds(size: int, start, end) -> tuple[int, int]:
    """PyTorch slice bounds (None, negative, past the end) as 0 ≤ start ≤ end ≤ size."""
    start = 0 if start is None else int(start)
    end = size if end is None else int(end)
    start = min(max(start + size if start < 0 else start, 0), size)
    end = min(max(end + size if end < 0 else end, 0), size)
    return start, max(end, start)


def _slice(cv: Converter, x: Value, dim: int, start: int, end: int, step: int, node, shape) -> Value:
    axis = x.perm.index(dim)
    out = cv.new(node, shape, x.perm, "" if tuple(shape) == tuple(shape_of(node)) else "_slice")
    begin = [0] * len(x.shape)
    begin[axis] = start
    if step == 1:
        size = [x.shape[a] for a in x.perm]
        size[axis] = end - start
        cv.op(BuiltinOperator.SLICE, [x.index, cv.ints(begin), cv.ints(size)], [out.index],
              BuiltinOptions.SliceOptions, schema.SliceOptionsT())
    else:
        stop = [x.shape[a] for a in x.perm]
        stop[axis] = end
        strides = [1] * len(x.shape)
        strides[axis] = step
        cv.op(BuiltinOperator.STRIDED_SLICE, [x.index, cv.ints(begin), cv.ints(stop), cv.ints(strides)],
              [out.index], BuiltinOptions.StridedSliceOptions, schema.StridedSliceOptionsT())
    return out


def slice_(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    x = cv.value(node.args[0])
    dim = info.attrs.dim
    args = list(node.args) + [None] * (4 - len(node.args))
    start, end = _bounds(x.shape[dim], args[2], args[3])
    step = int(node.args[4]) if len(node.args) > 4 else 1
    return _slice(cv, x, dim, start, end, step, node, shape_of(node))


def select(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    x = cv.value(node.args[0])
    dim = info.attrs.dim
    index = int(node.args[2]) % x.shape[dim]
    kept = list(x.shape)
    kept[dim] = 1
    sliced = _slice(cv, x, dim, index, index + 1, 1, node, kept)
    # Dropping a size-1 axis never moves memory: a RESHAPE to the same bytes.
    out = cv.output_of(node, after_dropping(x.perm, [dim]))
    physical = [out.shape[a] for a in out.perm]
    options = schema.ReshapeOptionsT()
    options.newShape = physical
    cv.op(BuiltinOperator.RESHAPE, [sliced.index, cv.ints(physical)], [out.index], BuiltinOptions.ReshapeOptions,
          options)
    return out


def pad(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    x = cv.value(node.args[0])
    flat = [int(p) for p in node.args[1]]
    value = float(node.args[2]) if len(node.args) > 2 else 0.0
    if any(p < 0 for p in flat):
        raise LoweringError("negative padding (cropping) has no PAD form", "crop with slicing instead")
    # PyTorch lists (before, after) pairs from the last axis backwards.
    pads = {len(x.shape) - 1 - k: (flat[2 * k], flat[2 * k + 1]) for k in range(len(flat) // 2)}
    return padded(cv, x, pads, value, node.name)


def padded(cv: Converter, x: Value, pads: dict[int, tuple[int, int]], value: float, name: str) -> Value:
    """``x`` padded by (before, after) per logical axis with ``value`` (PAD, or PADV2 for non-zero values).

    PAD fills an int8 tensor with its zero point, which is 0.0: zero padding is the same for int8 and float. The same
    padding of the same tensor is made once (:meth:`Converter.derived`).
    """
    key = (x.index, "pad", x.perm, tuple(sorted(pads.items())), value)
    return cv.derived(key, lambda: _pad(cv, x, pads, value, name))


def _pad(cv: Converter, x: Value, pads: dict[int, tuple[int, int]], value: float, name: str) -> Value:
    shape = tuple(d + sum(pads.get(a, (0, 0))) for a, d in enumerate(x.shape))
    out = Value(cv.writer.tensor_like(name, [shape[a] for a in x.perm], x.index), shape, x.perm)
    paddings = cv.writer.constant("paddings", np.asarray([pads.get(a, (0, 0)) for a in x.perm], dtype=np.int32))
    if value == 0.0:
        cv.op(BuiltinOperator.PAD, [x.index, paddings], [out.index], BuiltinOptions.PadOptions, schema.PadOptionsT())
    else:
        fill = cv.writer.constant("pad_value", np.asarray(value, dtype=np.float32))
        cv.op(BuiltinOperator.PADV2, [x.index, paddings, fill], [out.index], BuiltinOptions.PadV2Options,
              schema.PadV2OptionsT())
    return out


def expand(cv: Converter, info: NodeInfo) -> Value:
    """Size-1 axes broadcast to the output's size (BROADCAST_TO to the stored shape)."""
    node = info.node
    shape = shape_of(node)
    x = with_rank(cv, cv.value(node.args[0]), len(shape), f"{node.name}_ranked")
    out = cv.output_of(node, x.perm)
    cv.op(BuiltinOperator.BROADCAST_TO, [x.index, cv.ints(physical_shape(shape, x.perm))], [out.index],
          BuiltinOptions.BroadcastToOptions, schema.BroadcastToOptionsT())
    return out


def repeat(cv: Converter, info: NodeInfo) -> Value:
    """The tensor tiled along each axis (TILE, with the multiples in stored order)."""
    node = info.node
    repeats = [int(r) for r in node.args[1]]
    x = with_rank(cv, cv.value(node.args[0]), len(repeats), f"{node.name}_ranked")
    out = cv.output_of(node, x.perm)
    cv.op(BuiltinOperator.TILE, [x.index, cv.ints([repeats[a] for a in x.perm])], [out.index],
          BuiltinOptions.TileOptions, schema.TileOptionsT())
    return out


def index_select(cv: Converter, info: NodeInfo) -> Value:
    """Constant indices taken along one axis (GATHER on the stored axis)."""
    node = info.node
    x = cv.value(node.args[0])
    # A 0-d index keeps the axis (size 1) in PyTorch, where GATHER would drop it.
    indices = np.atleast_1d(cv.constant_arg(node.args[2], "index", np.int32))
    options = schema.GatherOptionsT()
    options.axis = x.perm.index(info.attrs.dim)
    out = cv.output_of(node, x.perm)
    cv.op(BuiltinOperator.GATHER, [x.index, cv.writer.constant(f"{node.name}_index", indices)], [out.index],
          BuiltinOptions.GatherOptions, options)
    return out

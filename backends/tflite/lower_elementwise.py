"""Lowerings of activations, element-wise arithmetic (with broadcasting), reductions and softmax.

All of them keep their input's layout: a channels-last tensor stays channels-last, so no transposes appear
between convolutions. Constant operands are written already in the layout of the tensor they meet.
"""

from __future__ import annotations

import numpy as np

from xport.capture import NodeInfo
from xport.spec import shape_of

from .convert import Converter
from .flatbuffer import Activation, BuiltinOperator, BuiltinOptions, schema
from .layout import after_dropping, after_reshape, identity, physical_shape
from .values import Value

_UNARY = {"relu": BuiltinOperator.RELU, "sigmoid": BuiltinOperator.LOGISTIC, "tanh": BuiltinOperator.TANH,
          "hardswish": BuiltinOperator.HARD_SWISH}
_CLAMPS = {(0.0, 6.0): BuiltinOperator.RELU6, (-1.0, 1.0): BuiltinOperator.RELU_N1_TO_1,
           (0.0, 1.0): BuiltinOperator.RELU_0_TO_1, (0.0, None): BuiltinOperator.RELU}
_BINARY = {"add": (BuiltinOperator.ADD, BuiltinOptions.AddOptions, schema.AddOptionsT),
           "sub": (BuiltinOperator.SUB, BuiltinOptions.SubOptions, schema.SubOptionsT),
           "mul": (BuiltinOperator.MUL, BuiltinOptions.MulOptions, schema.MulOptionsT),
           "div": (BuiltinOperator.DIV, BuiltinOptions.DivOptions, schema.DivOptionsT),
           "maximum": (BuiltinOperator.MAXIMUM, BuiltinOptions.MaximumMinimumOptions, schema.MaximumMinimumOptionsT),
           "minimum": (BuiltinOperator.MINIMUM, BuiltinOptions.MaximumMinimumOptions, schema.MaximumMinimumOptionsT)}


def _unary_op(cv: Converter, code: int, x: Value, node, suffix: str = "") -> Value:
    out = cv.new(node, x.shape, x.perm, suffix)
    cv.op(code, [x.index], [out.index])
    return out


def _binary_op(cv: Converter, kind: str, a, b, node, shape, activation: int = Activation.NONE,
               suffix: str = "") -> Value:
    """``a ∘ b`` with PyTorch broadcasting, in the layout of the highest-rank tensor operand."""
    tensors = [v for v in (a, b) if isinstance(v, Value)]
    rank = len(shape)
    perm = max(tensors, key=lambda v: len(v.shape)).perm if rank == max(len(v.shape) for v in tensors) \
        else identity(rank)
    code, options_type, options_class = _BINARY[kind]
    options = options_class()
    if hasattr(options, "fusedActivationFunction"):
        options.fusedActivationFunction = activation
    inputs = [_operand(cv, v, rank, perm, f"{node.name}_operand") for v in (a, b)]
    out = cv.new(node, shape, perm, suffix)
    cv.op(code, inputs, [out.index], options_type, options)
    return out


def _operand(cv: Converter, value, rank: int, perm, name: str) -> int:
    """One operand of a broadcasting op, brought to ``rank`` (leading 1s, as PyTorch) and layout ``perm``."""
    if not isinstance(value, Value):
        array = np.asarray(value, dtype=np.float32)
        if array.ndim == 0:  # scalars broadcast as rank-0 tensors in any layout
            return cv.writer.constant(name, array)
        return cv.in_layout(array.reshape((1,) * (rank - array.ndim) + array.shape), perm, name)
    if len(value.shape) < rank:
        shape = (1,) * (rank - len(value.shape)) + value.shape
        value = reshape_value(cv, value, shape, name)
    return cv.in_layout(value, perm)


def reshape_value(cv: Converter, x: Value, shape, name: str, preferred=()) -> Value:
    """``x`` viewed with logical ``shape``: free when the layout allows (no op at all if nothing moves)."""
    shape = tuple(int(d) for d in shape)
    perm = after_reshape(x.shape, x.perm, shape, preferred=(*preferred, identity(len(shape))))
    index = x.index
    if perm is None:  # the memory must change: go through the PyTorch layout
        index, perm = cv.in_layout(x, identity(len(x.shape))), identity(len(shape))
    if physical_shape(shape, perm) == physical_shape(x.shape, x.perm) and index == x.index:
        return Value(index, shape, perm)
    out = cv.writer.tensor_like(name, physical_shape(shape, perm), index)
    options = schema.ReshapeOptionsT()
    options.newShape = physical_shape(shape, perm)
    cv.op(BuiltinOperator.RESHAPE, [index, cv.ints(physical_shape(shape, perm))], [out],
          BuiltinOptions.ReshapeOptions, options)
    return Value(out, shape, perm)


def unary(cv: Converter, info: NodeInfo) -> Value:
    x = cv.value(info.node.args[0])
    return _unary_op(cv, _UNARY[info.op], x, info.node)


def cast(cv: Converter, info: NodeInfo) -> Value:
    """Integer frames → float32 (the only cast ``caps`` declares)."""
    return _unary_op(cv, BuiltinOperator.CAST, cv.value(info.node.args[0]), info.node)


def clamp(cv: Converter, info: NodeInfo) -> Value:
    node, a = info.node, info.attrs
    x = cv.value(node.args[0])
    if (a.min, a.max) in _CLAMPS:
        return _unary_op(cv, _CLAMPS[(a.min, a.max)], x, node)
    shape = x.shape
    if a.min is not None:
        x = _binary_op(cv, "maximum", x, np.float32(a.min), node, shape, suffix="_min" if a.max is not None else "")
    if a.max is not None:
        x = _binary_op(cv, "minimum", x, np.float32(a.max), node, shape)
    return x


def silu(cv: Converter, info: NodeInfo) -> Value:
    x = cv.value(info.node.args[0])
    gate = _unary_op(cv, BuiltinOperator.LOGISTIC, x, info.node, "_sigmoid")
    return _binary_op(cv, "mul", x, gate, info.node, x.shape, cv.fused_activation(info.node))


def hardsigmoid(cv: Converter, info: NodeInfo) -> Value:
    x = cv.value(info.node.args[0])  # relu6(x + 3) / 6, the +3 and relu6 in one ADD
    shifted = _binary_op(cv, "add", x, np.float32(3.0), info.node, x.shape, Activation.RELU6, "_relu6")
    return _binary_op(cv, "mul", shifted, np.float32(1.0 / 6.0), info.node, x.shape)


def binary(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    a, b = cv.value(node.args[0]), cv.value(node.args[1])
    alpha = node.kwargs.get("alpha", 1)
    if alpha != 1:  # add/sub(x, y, alpha): y · alpha first
        b = b * np.float32(alpha) if not isinstance(b, Value) else \
            _binary_op(cv, "mul", b, np.float32(alpha), node, b.shape, suffix="_alpha")
    return _binary_op(cv, info.op, a, b, node, shape_of(node), cv.fused_activation(node))


def reduce(cv: Converter, info: NodeInfo) -> Value:
    node, a = info.node, info.attrs
    x = cv.value(node.args[0])
    perm = x.perm if a.keepdim else after_dropping(x.perm, a.dims)
    out = cv.output_of(node, perm)
    options = schema.ReducerOptionsT()
    options.keepDims = a.keepdim
    axes = cv.ints(sorted(x.perm.index(d) for d in a.dims))
    code, options_type = (BuiltinOperator.MEAN if info.op == "mean" else BuiltinOperator.SUM,
                          BuiltinOptions.ReducerOptions)
    cv.op(code, [x.index, axes], [out.index], options_type, options)
    return out


def softmax(cv: Converter, info: NodeInfo) -> Value:
    node, dim = info.node, info.attrs.dim
    x = cv.value(node.args[0])
    # TFLite's softmax runs over the innermost axis: store the softmax axis last.
    perm = x.perm if x.perm[-1] == dim else tuple(a for a in x.perm if a != dim) + (dim,)
    index = cv.in_layout(x, perm)
    out = cv.output_of(node, perm)
    options = schema.SoftmaxOptionsT()
    options.beta = 1.0
    cv.op(BuiltinOperator.SOFTMAX, [index], [out.index], BuiltinOptions.SoftmaxOptions, options)
    return out

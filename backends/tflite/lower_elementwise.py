"""Lowerings of activations, element-wise math and comparisons (with broadcasting), reductions and softmax.

All of them keep their input's layout: a channels-last tensor stays channels-last, so no transposes appear
between convolutions. Constant operands are written already in the layout of the tensor they meet.
"""

from __future__ import annotations

import numpy as np

from xport.capture import NodeInfo
from xport.spec import shape_of

from .convert import Converter
from .flatbuffer import Activation, BuiltinOperator, BuiltinOptions, schema
from .layout import Perm, after_dropping, after_reshape, identity, physical_shape
from .quantized import parameters
from .values import Value

_UNARY = {"relu": BuiltinOperator.RELU, "sigmoid": BuiltinOperator.LOGISTIC, "tanh": BuiltinOperator.TANH,
          "hardswish": BuiltinOperator.HARD_SWISH, "exp": BuiltinOperator.EXP, "sqrt": BuiltinOperator.SQRT,
          "rsqrt": BuiltinOperator.RSQRT, "neg": BuiltinOperator.NEG, "abs": BuiltinOperator.ABS}
_CLAMPS = {(0.0, 6.0): BuiltinOperator.RELU6, (-1.0, 1.0): BuiltinOperator.RELU_N1_TO_1,
           (0.0, 1.0): BuiltinOperator.RELU_0_TO_1, (0.0, None): BuiltinOperator.RELU}
_BINARY = {"add": (BuiltinOperator.ADD, BuiltinOptions.AddOptions, schema.AddOptionsT),
           "sub": (BuiltinOperator.SUB, BuiltinOptions.SubOptions, schema.SubOptionsT),
           "mul": (BuiltinOperator.MUL, BuiltinOptions.MulOptions, schema.MulOptionsT),
           "div": (BuiltinOperator.DIV, BuiltinOptions.DivOptions, schema.DivOptionsT),
           "maximum": (BuiltinOperator.MAXIMUM, BuiltinOptions.MaximumMinimumOptions, schema.MaximumMinimumOptionsT),
           "minimum": (BuiltinOperator.MINIMUM, BuiltinOptions.MaximumMinimumOptions, schema.MaximumMinimumOptionsT),
           "pow": (BuiltinOperator.POW, BuiltinOptions.PowOptions, schema.PowOptionsT),
           # The comparisons (read_compare's kinds): a boolean result.
           "gt": (BuiltinOperator.GREATER, BuiltinOptions.GreaterOptions, schema.GreaterOptionsT),
           "ge": (BuiltinOperator.GREATER_EQUAL, BuiltinOptions.GreaterEqualOptions, schema.GreaterEqualOptionsT),
           "lt": (BuiltinOperator.LESS, BuiltinOptions.LessOptions, schema.LessOptionsT),
           "le": (BuiltinOperator.LESS_EQUAL, BuiltinOptions.LessEqualOptions, schema.LessEqualOptionsT),
           "eq": (BuiltinOperator.EQUAL, BuiltinOptions.EqualOptions, schema.EqualOptionsT),
           "ne": (BuiltinOperator.NOT_EQUAL, BuiltinOptions.NotEqualOptions, schema.NotEqualOptionsT)}
_REDUCERS = {"mean": BuiltinOperator.MEAN, "sum": BuiltinOperator.SUM, "amax": BuiltinOperator.REDUCE_MAX}


def _unary_op(cv: Converter, code: int, x: Value, node, suffix: str = "", options_type: int = 0,
              options=None) -> Value:
    out = cv.new(node, x.shape, x.perm, suffix)
    cv.op(code, [x.index], [out.index], options_type, options)
    return out


def _broadcast(cv: Converter, operands, rank: int, name: str, dtypes=None) -> tuple[list[int], Perm]:
    """The operands of a broadcasting op as tensors of ``rank`` in one layout, and that layout: the highest-rank
    tensor operand's if it has ``rank``, else PyTorch's. Constants are written as ``dtypes`` (default float)."""
    top = max((v for v in operands if isinstance(v, Value)), key=lambda v: len(v.shape))
    perm = top.perm if len(top.shape) == rank else identity(rank)
    dtypes = dtypes or (np.float32,) * len(operands)
    return [_operand(cv, v, rank, perm, f"{name}_operand", dtype) for v, dtype in zip(operands, dtypes)], perm


def _binary_op(cv: Converter, kind: str, a, b, node, shape, activation: int = Activation.NONE,
               suffix: str = "", dtype=np.float32) -> Value:
    """``a ∘ b`` with PyTorch broadcasting, in the layout of the highest-rank tensor operand; the result is a
    ``dtype`` tensor (bool for comparisons)."""
    code, options_type, options_class = _BINARY[kind]
    options = options_class()
    if hasattr(options, "fusedActivationFunction"):
        options.fusedActivationFunction = activation
    inputs, perm = _broadcast(cv, (a, b), len(shape), node.name)
    out = cv.new(node, shape, perm, suffix, dtype)
    cv.op(code, inputs, [out.index], options_type, options)
    return out


def _operand(cv: Converter, value, rank: int, perm, name: str, dtype=np.float32) -> int:
    """One operand of a broadcasting op, brought to ``rank`` (leading 1s, as PyTorch) and layout ``perm``."""
    if not isinstance(value, Value):
        array = np.asarray(value, dtype=dtype)
        if array.ndim == 0:  # scalars broadcast as rank-0 tensors in any layout
            return cv.writer.constant(name, array)
        return cv.in_layout(array.reshape((1,) * (rank - array.ndim) + array.shape), perm, name, dtype)
    return cv.in_layout(with_rank(cv, value, rank, name), perm)


def with_rank(cv: Converter, x: Value, rank: int, name: str) -> Value:
    """``x`` with leading size-1 axes up to ``rank``: how PyTorch broadcasts (and repeats) lower-rank tensors."""
    if len(x.shape) >= rank:
        return x
    return reshape_value(cv, x, (1,) * (rank - len(x.shape)) + x.shape, name)


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
    """An activation or element-wise function that is one builtin op (``_UNARY``)."""
    x = cv.value(info.node.args[0])
    return _unary_op(cv, _UNARY[info.op], x, info.node)


def gelu(cv: Converter, info: NodeInfo) -> Value:
    """GELU, in the form the model uses: erf (``approximate="none"``) or tanh."""
    options = schema.GeluOptionsT()
    options.approximate = info.attrs.approximate == "tanh"
    return _unary_op(cv, BuiltinOperator.GELU, cv.value(info.node.args[0]), info.node,
                     options_type=BuiltinOptions.GeluOptions, options=options)


def power(cv: Converter, info: NodeInfo) -> Value:
    """``x ** c`` for a constant ``c``: x·x for squares (one rounding; POW goes through exp and log), SQRT for
    square roots, POW otherwise."""
    node = info.node
    x, exponent = cv.value(node.args[0]), float(node.args[1])
    if exponent == 2.0:
        return _binary_op(cv, "mul", x, x, node, x.shape)
    if exponent == 0.5:
        return _unary_op(cv, BuiltinOperator.SQRT, x, node)
    return _binary_op(cv, "pow", x, np.float32(exponent), node, x.shape)


def compare(cv: Converter, info: NodeInfo) -> Value:
    """An element-wise comparison with a tensor or a scalar: a boolean tensor."""
    node = info.node
    a, b = cv.value(node.args[0]), cv.value(node.args[1])
    return _binary_op(cv, info.attrs.kind, a, b, node, shape_of(node), dtype=np.bool_)


def where(cv: Converter, info: NodeInfo) -> Value:
    """``condition ? a : b`` with broadcasting of all three (SELECT_V2; SELECT would need equal shapes)."""
    node = info.node
    operands = [cv.value(arg) for arg in node.args[:3]]
    inputs, perm = _broadcast(cv, operands, len(shape_of(node)), node.name, (np.bool_, np.float32, np.float32))
    out = cv.output_of(node, perm)
    cv.op(BuiltinOperator.SELECT_V2, inputs, [out.index], BuiltinOptions.SelectV2Options, schema.SelectV2OptionsT())
    return out


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


def silu(cv: Converter, info: NodeInfo, int8_gate: tuple[float, int] | None = None) -> Value:
    """x · sigmoid(x); with ``int8_gate`` (the int8 form, .quantized) the LOGISTIC writes int8 at those
    (scale, zero point)."""
    x = cv.value(info.node.args[0])
    gate = _unary_op(cv, BuiltinOperator.LOGISTIC, x, info.node, "_sigmoid")
    if int8_gate is not None:
        tensor = cv.writer.tensors[gate.index]
        tensor.type, tensor.quantization = schema.TensorType.INT8, parameters(*int8_gate)
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
    """mean, sum or amax over logical dims (the axes written are where those dims are stored)."""
    node, a = info.node, info.attrs
    x = cv.value(node.args[0])
    perm = x.perm if a.keepdim else after_dropping(x.perm, a.dims)
    out = cv.output_of(node, perm)
    options = schema.ReducerOptionsT()
    options.keepDims = a.keepdim
    axes = cv.ints(sorted(x.perm.index(d) for d in a.dims))
    cv.op(_REDUCERS[info.op], [x.index, axes], [out.index], BuiltinOptions.ReducerOptions, options)
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

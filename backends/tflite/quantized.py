"""int8 in the TFLite writer: the QDQ program of :mod:`xport.quant` becomes int8 tensors with quantization parameters.

xport.quant gives every int8 backend the same program, with explicit quantize/dequantize around int8 regions::

    x → quantize → dequantize → conv(·, dequantize_per_channel(int8 weights), float bias) → quantize → ...

A TFLite graph has no such pairs: a tensor *is* int8, and carries its scale and zero point. So here

- ``dequantize`` of a runtime tensor is lazy: an op with an int8 kernel takes the int8 tensor itself, any other
  consumer gets a DEQUANTIZE op (:meth:`Converter.value` writes it on first use);
- conv and add/mul (with the relu they absorb), silu and hardswish run int8 when every input is such an int8
  tensor and every user of the result is a ``quantize``: the output tensor takes that quantize's scale and zero
  point, and the quantize disappears (a relu on its own runs in float: XNNPACK has no int8 RELU, see
  ``lowerings``); silu is LOGISTIC, whose int8 output LiteRT fixes at :data:`LOGISTIC_OUTPUT`, then MUL;
- data-movement ops (reshape, permute, slice, select, pad, cat, identity) move int8 tensors unchanged when their
  input and output share one scale and zero point, as xport's quantizer arranges;
- any other ``quantize`` becomes a QUANTIZE op (float → int8), and ``dequantize_per_channel`` of constant int8
  weights gives the conv its int8 filter with per-channel scales (zero point 0) and an int32 bias.

Every op that does not meet these conditions computes in float between DEQUANTIZE and QUANTIZE: a float island
costs two ops, and is never a silent change of numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch.fx

from xport.quant.qdq import SIGMOID_OUTPUT, PerChannel, PerTensor, is_quantize

from .flatbuffer import BuiltinOperator, schema
from .values import Lowering, Value

if TYPE_CHECKING:
    from xport.capture import NodeInfo

    from .convert import Converter

_INT32 = np.iinfo(np.int32)
LOGISTIC_OUTPUT = SIGMOID_OUTPUT  # LiteRT's int8 LOGISTIC takes only this output grid


def per_tensor(node: torch.fx.Node) -> tuple[float, int]:
    """(scale, zero point) of a quantize/dequantize_per_tensor node (int8, −128…127 is all xport writes)."""
    return PerTensor.of(node).pair


def parameters(scale, zero_point, axis: int = 0) -> schema.QuantizationParametersT:
    """TFLite quantization parameters: one (scale, zero point), or one per slice of ``axis``."""
    q = schema.QuantizationParametersT()
    q.scale = np.atleast_1d(np.asarray(scale, dtype=np.float32))
    q.zeroPoint = np.atleast_1d(np.asarray(zero_point, dtype=np.int64))
    q.quantizedDimension = axis
    return q


@dataclass(frozen=True)
class Int8Weight:
    """Constant int8 weights (PyTorch layout) with their per-output-channel scales; the zero point is 0."""

    values: np.ndarray
    scales: np.ndarray


def weight_of(node: torch.fx.Node, constants: dict) -> Int8Weight:
    """The int8 weights behind a ``dequantize_per_channel`` of constants (axis 0, symmetric: xport.quant's)."""
    weight = PerChannel.of(node)
    values, scales, zero_points = (np.asarray(constants[a]) for a in (weight.values, weight.scales, weight.zero_points))
    if weight.axis != 0 or np.any(zero_points != 0):
        raise ValueError("int8 weights must be symmetric per output channel (axis 0, zero point 0)")
    return Int8Weight(values.astype(np.int8), scales.astype(np.float32))


# --- the quantize / dequantize nodes ---------------------------------------------------------------------


def quantize(cv: Converter, node: torch.fx.Node) -> Value:
    """A ``quantize`` no producer absorbed: QUANTIZE (float → int8) into a tensor with its parameters."""
    x = cv.value(node.args[0])
    scale, zero_point = per_tensor(node)
    shape = [x.shape[a] for a in x.perm]
    out = cv.writer.tensor(node.name, shape, np.int8, quantization=parameters(scale, zero_point))
    cv.op(BuiltinOperator.QUANTIZE, [x.index], [out])
    return Value(out, x.shape, x.perm)


def dequantize(cv: Converter, node: torch.fx.Node, int8: Value) -> Value:
    """The float tensor a consumer without an int8 kernel needs: DEQUANTIZE of ``int8``."""
    out = cv.writer.tensor(f"{node.name}_float", [int8.shape[a] for a in int8.perm])
    cv.op(BuiltinOperator.DEQUANTIZE, [int8.index], [out])
    return Value(out, int8.shape, int8.perm)


# --- ops on int8 tensors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Int8Output:
    """Where an op's int8 result goes: the ``quantize`` users it replaces, and their (scale, zero point)."""

    quantizes: tuple[torch.fx.Node, ...]
    scale: float
    zero_point: int

    def claim(self, cv: Converter, result: Value) -> Value:
        """Make ``result`` int8 with these parameters; the quantize nodes become that tensor."""
        tensor = cv.writer.tensors[result.index]
        tensor.type, tensor.quantization = schema.TensorType.INT8, parameters(self.scale, self.zero_point)
        for q in self.quantizes:
            cv.values[q] = result
            cv.absorbed.add(q)
        return result


def int8_output(cv: Converter, node: torch.fx.Node) -> Int8Output | None:
    """The quantize users of ``node``'s result (after the activation it absorbed), if that is all its users."""
    last = cv.fused_into(node)
    users = tuple(last.users)
    if not users or not all(is_quantize(u) for u in users) or len({per_tensor(u) for u in users}) != 1:
        return None
    return Int8Output(users, *per_tensor(users[0]))


def input_scale(cv: Converter, x: Value) -> float:
    return float(cv.writer.tensors[x.index].quantization.scale[0])


def int8_filter(cv: Converter, name: str, values: np.ndarray, scales: np.ndarray, axis: int) -> int:
    """A constant int8 filter, already in TFLite's layout, quantized per slice of ``axis``."""
    return cv.writer.tensor(name, values.shape, np.int8, values, parameters(scales, np.zeros(len(scales)), axis))


def int32_bias(cv: Converter, name: str, bias: np.ndarray, x_scale: float, scales: np.ndarray) -> int:
    """The float bias as TFLite's int8 kernels want it: int32 with scale = input scale × weight scale."""
    bias_scales = (x_scale * scales.astype(np.float64)).astype(np.float32)
    q = np.clip(np.round(bias / bias_scales), _INT32.min, _INT32.max).astype(np.int32)
    return cv.writer.tensor(name, q.shape, np.int32, q, parameters(bias_scales, np.zeros(len(q))))


def _substituted(cv: Converter, args: list, run: Callable[[], Value]) -> Value:
    """Run a float lowering with each dequantized input among ``args`` replaced by its int8 tensor."""
    inputs = {a: cv.quantized(a) for a in args if cv.quantized(a) is not None}
    saved = {a: cv.values[a] for a in inputs if a in cv.values}
    cv.values.update(inputs)
    try:
        return run()
    finally:
        for a in inputs:
            cv.values.pop(a, None)
        cv.values.update(saved)


def binary_int8(float_lowering: Lowering) -> Lowering:
    """An add/mul ``float_lowering``, on int8 tensors when both operands and the result are int8 (the kernel
    requantizes to the output's scale, and applies the relu it absorbed)."""

    def lowering(cv: Converter, info: NodeInfo) -> Value:
        node = info.node
        cv.fused_activation(node)  # decides whose users the result goes to
        operands = node.args[:2]
        plain = node.kwargs.get("alpha", 1) == 1 and all(cv.quantized(a) is not None for a in operands)
        output = int8_output(cv, node) if plain else None
        if output is None:
            return float_lowering(cv, info)
        return output.claim(cv, _substituted(cv, list(operands), lambda: float_lowering(cv, info)))

    return lowering


def unary_int8(float_lowering: Lowering, **int8_options) -> Lowering:
    """An activation's ``float_lowering``, on int8 tensors when its input and result are int8 (the kernel
    requantizes to the result's scale); ``int8_options`` go to the lowering only then (silu's int8 gate)."""

    def lowering(cv: Converter, info: NodeInfo) -> Value:
        x = info.node.args[0]
        output = int8_output(cv, info.node) if cv.quantized(x) is not None else None
        if output is None:
            return float_lowering(cv, info)
        return output.claim(cv, _substituted(cv, [x], lambda: float_lowering(cv, info, **int8_options)))

    return lowering


def _parts(node: torch.fx.Node) -> list:
    """The tensor operands of a data-movement op (a cat's parts, or the one input)."""
    return list(node.args[0]) if isinstance(node.args[0], (list, tuple)) else [node.args[0]]


def carrying(float_lowering: Lowering) -> Lowering:
    """``float_lowering``, moving int8 tensors unchanged when input and output share their parameters.

    Constant operands must be zeros (a cat's zero frames): zero is exact at any scale, as the zero point.
    """

    def lowering(cv: Converter, info: NodeInfo) -> Value:
        node = info.node
        parts = [p for p in _parts(node) if isinstance(p, torch.fx.Node)]
        sources = [p for p in parts if cv.quantized(p) is not None]
        output = int8_output(cv, node) if sources else None
        carried = output is not None and all(
            per_tensor(p) == (output.scale, output.zero_point) if p in sources
            else isinstance(cv.values.get(p), np.ndarray) and not np.any(cv.values[p]) for p in parts)
        if not carried or (info.op == "pad" and len(node.args) > 2 and float(node.args[2]) != 0.0):
            return float_lowering(cv, info)
        with cv.writer.carrying(cv.quantized(sources[0]).index):
            result = _substituted(cv, sources, lambda: float_lowering(cv, info))
        return output.claim(cv, result)

    return lowering

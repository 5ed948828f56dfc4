"""Lowerings of the compute ops: conv2d (dense, depthwise, grouped), pool2d, linear, matmul.

Convolutions and pools run channels-last (NHWC). PyTorch's explicit padding maps to TFLite's ``SAME`` when it
computes the same windows, and otherwise becomes a PAD op in front of a ``VALID`` op.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch.fx

from xport.capture import NodeInfo

from . import quantized
from .convert import Converter
from .flatbuffer import BuiltinOperator, BuiltinOptions, Padding, schema
from .layout import channels_last, identity
from .lower_layout import padded
from .values import LoweringError, Value

NHWC = channels_last(4)
_LOWEST = float(np.finfo(np.float32).min)  # the padding value under which max pooling ignores a pad


def _same_is_exact(size: int, kernel: int, stride: int, dilation: int, pad: int) -> bool:
    """Whether TFLite's SAME padding computes exactly PyTorch's windows with symmetric padding ``pad``."""
    span = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2 == pad and (size + 2 * pad - span) // stride + 1 == out


def padded_input(cv: Converter, x: Value, kernel, stride, dilation, padding, pad_value: float | None,
                 same_allowed: bool = True) -> tuple[int, int]:
    """(NHWC input index, TFLite padding) for a 2-D window op; adds a PAD op when SAME does not fit."""
    index = cv.in_layout(x, NHWC)
    if not any(padding):
        return index, Padding.VALID
    h, w = x.shape[2:]
    if same_allowed and all(_same_is_exact(s, k, st, d, p)
                            for s, k, st, d, p in zip((h, w), kernel, stride, dilation, padding)):
        return index, Padding.SAME
    if pad_value is None:
        raise LoweringError("this padding has no TFLite form (SAME would change which elements are averaged)",
                            "use count_include_pad=True, or padding that matches TFLite's SAME")
    # Pad the stored NHWC tensor's H and W (logical axes 2 and 3).
    nhwc = Value(index, x.shape, NHWC)
    pads = {2: (padding[0], padding[0]), 3: (padding[1], padding[1])}
    return padded(cv, nhwc, pads, pad_value, f"{cv.writer.tensors[index].name}_padded").index, Padding.VALID


def _weighted_operands(cv: Converter, node: torch.fx.Node) -> tuple[Value, np.ndarray, Any, Any]:
    """(input, weight values, int8 weights, int8 output) of a conv/linear: int8 when its input and weights are int8
    and its result is quantized, else float (the input dequantized if it was int8, the weights as float)."""
    weights, x = cv.int8_weights.get(node.args[1]), cv.quantized(node.args[0])
    int8 = quantized.int8_output(cv, node) if weights is not None and x is not None else None
    if int8 is None:
        return cv.value(node.args[0]), cv.constant_arg(node.args[1], "weight"), None, None
    return x, weights.values, weights, int8


def conv(cv: Converter, info: NodeInfo) -> Value:
    node, a = info.node, info.attrs
    activation = cv.fused_activation(node)
    x, weight, weights, int8 = _weighted_operands(cv, node)
    bias = np.zeros(a.out_channels, np.float32) if node.args[2] is None else cv.constant_arg(node.args[2], "bias")
    index, padding = padded_input(cv, x, a.kernel, a.stride, a.dilation, a.padding, 0.0)
    out = cv.output_of(node, NHWC)
    if a.depthwise and a.groups == a.in_channels:
        # (C·m, 1, kh, kw) → (1, kh, kw, C·m): output channel c·m + j reads input channel c, as in PyTorch.
        options = schema.DepthwiseConv2DOptionsT()
        options.depthMultiplier = a.out_channels // a.in_channels
        code, options_type, filters, channel_axis = (
            BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOptions.DepthwiseConv2DOptions, weight.transpose(1, 2, 3, 0), 3)
    else:
        # Dense and grouped: (O, I/g, kh, kw) → (O, kh, kw, I/g); TFLite infers the groups from the shapes.
        options = schema.Conv2DOptionsT()
        code, options_type, filters, channel_axis = (
            BuiltinOperator.CONV_2D, BuiltinOptions.Conv2DOptions, weight.transpose(0, 2, 3, 1), 0)
    options.padding, options.fusedActivationFunction = padding, activation
    options.strideH, options.strideW = a.stride
    options.dilationHFactor, options.dilationWFactor = a.dilation
    if int8 is None:
        weight_index = cv.weight(f"{node.name}_filter", filters)
        bias_index = cv.weight(f"{node.name}_bias", bias)
    else:
        x_scale = quantized.input_scale(cv, x)
        weight_index = quantized.int8_filter(cv, f"{node.name}_filter", filters, weights.scales, channel_axis)
        bias_index = quantized.int32_bias(cv, f"{node.name}_bias", bias, x_scale, weights.scales)
        int8.claim(cv, out)
    cv.op(code, [index, weight_index, bias_index], [out.index], options_type, options)
    return out


def pool(cv: Converter, info: NodeInfo) -> Value:
    node, a = info.node, info.attrs
    x = cv.value(node.args[0])
    is_avg = info.op == "avg_pool"
    dilation = [1] if is_avg or len(node.args) < 5 else list(node.args[4])
    if any(d != 1 for d in dilation):
        raise LoweringError("TFLite max pooling has no dilation", "use an undilated pool")
    if is_avg and len(node.args) > 6 and node.args[6] is not None:
        raise LoweringError("divisor_override has no TFLite form", "drop divisor_override")
    if is_avg:  # SAME averages only real elements, which is count_include_pad=False
        pad_value = 0.0 if a.count_include_pad else None
        index, padding = padded_input(cv, x, a.kernel, a.stride, (1, 1), a.padding, pad_value,
                                      same_allowed=not a.count_include_pad)
    else:
        index, padding = padded_input(cv, x, a.kernel, a.stride, (1, 1), a.padding, _LOWEST)
    options = schema.Pool2DOptionsT()
    options.padding = padding
    options.strideH, options.strideW = a.stride
    options.filterHeight, options.filterWidth = a.kernel
    options.fusedActivationFunction = cv.fused_activation(node)
    out = cv.output_of(node, NHWC)
    code = BuiltinOperator.AVERAGE_POOL_2D if is_avg else BuiltinOperator.MAX_POOL_2D
    cv.op(code, [index], [out.index], BuiltinOptions.Pool2DOptions, options)
    return out


def linear(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    activation = cv.fused_activation(node)
    x, weight, weights, int8 = _weighted_operands(cv, node)
    bias = np.zeros(weight.shape[0], np.float32) if len(node.args) < 3 or node.args[2] is None \
        else cv.constant_arg(node.args[2], "bias")
    rank = len(x.shape)
    options = schema.FullyConnectedOptionsT()
    options.keepNumDims = rank > 2
    options.fusedActivationFunction = activation
    out = cv.output_of(node, identity(rank))
    if int8 is None:
        weight_index, bias_index = cv.weight(f"{node.name}_weight", weight), cv.weight(f"{node.name}_bias", bias)
    else:  # (out, in) int8 weights, one scale per output channel, as conv's filters
        weight_index = quantized.int8_filter(cv, f"{node.name}_weight", weight, weights.scales, 0)
        bias_index = quantized.int32_bias(cv, f"{node.name}_bias", bias, quantized.input_scale(cv, x), weights.scales)
        int8.claim(cv, out)
    inputs = [cv.in_layout(x, identity(rank)), weight_index, bias_index]
    cv.op(BuiltinOperator.FULLY_CONNECTED, inputs, [out.index], BuiltinOptions.FullyConnectedOptions, options)
    return out


def matmul(cv: Converter, info: NodeInfo) -> Value:
    node = info.node
    a, b = (cv.value(arg) for arg in node.args[:2])
    rank = len(info.node.meta["val"].shape)
    out = cv.output_of(node, identity(rank))
    inputs = [cv.in_layout(v, identity(rank), f"{node.name}_operand") for v in (a, b)]
    cv.op(BuiltinOperator.BATCH_MATMUL, inputs, [out.index], BuiltinOptions.BatchMatMulOptions,
          schema.BatchMatMulOptionsT())
    return out

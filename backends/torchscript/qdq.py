"""Reading the QDQ graph that ``xport.quant`` produces: quantize/dequantize nodes, their parameters, constants.

Activations are int8 per tensor in the QDQ graph; PyTorch's quantized kernels take quint8 activations, so every
activation zero point is shifted by 128 (the same real values: ``(q + 128) - (zp + 128) == q - zp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.fx

_QD = torch.ops.quantized_decomposed
Q = _QD.quantize_per_tensor.default
DQ = _QD.dequantize_per_tensor.default
DQ_CHANNEL = _QD.dequantize_per_channel.default

# Activation dtypes of the QDQ graph, with the range and zero-point shift that make them quint8.
_AS_QUINT8 = {torch.int8: (-128, 127, 128), torch.uint8: (0, 255, 0)}


class QDQFormError(ValueError):
    """A quantize/dequantize node of a form the lowering does not take (the message says which)."""


def is_qdq(node: Any) -> bool:
    """Any node of the ``quantized_decomposed`` namespace (including forms the lowering does not take)."""
    return isinstance(node, torch.fx.Node) and node.op == "call_function" and str(node.target).startswith(
        "quantized_decomposed.")


def is_call(node: Any, *targets) -> bool:
    return isinstance(node, torch.fx.Node) and node.op == "call_function" and node.target in targets


@dataclass(frozen=True)
class QParams:
    """Per-tensor activation quantization as the quint8 tensor carries it."""

    scale: float
    zero_point: int

    @staticmethod
    def of(node: torch.fx.Node) -> "QParams":
        """The quint8 parameters of a ``quantize_per_tensor`` / ``dequantize_per_tensor`` node."""
        _, scale, zero_point, qmin, qmax, dtype = node.args[:6]
        if not isinstance(scale, float) or not isinstance(zero_point, int):
            raise QDQFormError(f"{node.name} has computed quantization parameters (only constants are lowered)")
        if dtype not in _AS_QUINT8 or _AS_QUINT8[dtype][:2] != (qmin, qmax):
            raise QDQFormError(f"{node.name} quantizes to {dtype} [{qmin}, {qmax}] (lowered: int8 [-128, 127], "
                               "uint8 [0, 255])")
        return QParams(float(scale), int(zero_point) + _AS_QUINT8[dtype][2])

    def quantized(self, value: float) -> int:
        """``value`` as the quint8 tensor stores it (rounded half to even and saturated, as quantize does)."""
        return min(255, max(0, round(value / self.scale) + self.zero_point))


def attr_value(gm: torch.fx.GraphModule, node: Any) -> torch.Tensor:
    """The constant behind a ``get_attr`` node."""
    if not isinstance(node, torch.fx.Node) or node.op != "get_attr":
        raise QDQFormError(f"{getattr(node, 'name', node)} is computed, not a constant")
    obj: Any = gm
    for part in str(node.target).split("."):
        obj = getattr(obj, part)
    return obj


def quantized_weight(gm: torch.fx.GraphModule, node: Any) -> torch.Tensor:
    """The qint8 weight behind a dequantize node of a stored int8 constant (per channel or per tensor)."""
    if is_call(node, DQ_CHANNEL):
        values, scales, zero_points, axis, qmin, qmax, dtype = node.args[:7]
        if dtype != torch.int8:
            raise QDQFormError(f"{node.name}: weights of dtype {dtype} (lowered: int8)")
        return torch._make_per_channel_quantized_tensor(
            attr_value(gm, values), attr_value(gm, scales).double(), attr_value(gm, zero_points).long(), axis)
    if is_call(node, DQ):
        values, scale, zero_point, _, _, dtype = node.args[:6]
        if dtype != torch.int8:
            raise QDQFormError(f"{node.name}: weights of dtype {dtype} (lowered: int8)")
        return torch._make_per_tensor_quantized_tensor(attr_value(gm, values), float(scale), int(zero_point))
    raise QDQFormError(f"{getattr(node, 'name', node)} is not a dequantized int8 constant weight")


def folded_value(gm: torch.fx.GraphModule, node: torch.fx.Node) -> torch.Tensor:
    """A float constant: a ``get_attr``, or a dequantize node of constants evaluated now (exact)."""
    if node.op == "get_attr":
        return attr_value(gm, node)
    if is_call(node, DQ, DQ_CHANNEL):
        args = [attr_value(gm, a) if isinstance(a, torch.fx.Node) else a for a in node.args]
        return node.target(*args)
    raise QDQFormError(f"{node.name} is computed, not a constant")

"""The QDQ graph's parameters and constants as PyTorch's quantized kernels take them.

Quantize/dequantize nodes are recognised and read by :mod:`xport.quant.qdq`. Activations are int8 per tensor in
the QDQ graph; PyTorch's quantized kernels take quint8 activations, so every activation zero point is shifted by 128
(the same real values: ``(q + 128) - (zp + 128) == q - zp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.fx

from xport.quant.qdq import PerChannel, PerTensor, QDQFormError, is_any_dequantize, is_dequantize, is_weight_dequantize

# Activation dtypes of the QDQ graph, with the range and zero-point shift that make them quint8.
_AS_QUINT8 = {torch.int8: (-128, 127, 128), torch.uint8: (0, 255, 0)}


def is_call(node: Any, *targets) -> bool:
    return isinstance(node, torch.fx.Node) and node.op == "call_function" and node.target in targets


@dataclass(frozen=True)
class QParams:
    """Per-tensor activation quantization as the quint8 tensor carries it."""

    scale: float
    zero_point: int

    @staticmethod
    def of(node: torch.fx.Node) -> QParams:
        """The quint8 parameters of a ``quantize_per_tensor`` / ``dequantize_per_tensor`` node."""
        p = PerTensor.of(node)
        if p.dtype not in _AS_QUINT8 or _AS_QUINT8[p.dtype][:2] != (p.qmin, p.qmax):
            raise QDQFormError(f"{node.name} quantizes to {p.dtype} [{p.qmin}, {p.qmax}] (lowered: int8 [-128, 127], "
                               "uint8 [0, 255])")
        return QParams(p.scale, p.zero_point + _AS_QUINT8[p.dtype][2])

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
    if is_weight_dequantize(node):
        w = PerChannel.of(node)
        if w.dtype != torch.int8:
            raise QDQFormError(f"{node.name}: weights of dtype {w.dtype} (lowered: int8)")
        return torch._make_per_channel_quantized_tensor(
            attr_value(gm, w.values), attr_value(gm, w.scales).double(), attr_value(gm, w.zero_points).long(), w.axis)
    if is_dequantize(node):
        p = PerTensor.of(node)
        if p.dtype != torch.int8:
            raise QDQFormError(f"{node.name}: weights of dtype {p.dtype} (lowered: int8)")
        return torch._make_per_tensor_quantized_tensor(attr_value(gm, node.args[0]), p.scale, p.zero_point)
    raise QDQFormError(f"{getattr(node, 'name', node)} is not a dequantized int8 constant weight")


def folded_value(gm: torch.fx.GraphModule, node: torch.fx.Node) -> torch.Tensor:
    """A float constant: a ``get_attr``, or a dequantize node of constants evaluated now (exact)."""
    if node.op == "get_attr":
        return attr_value(gm, node)
    if is_any_dequantize(node):
        args = [attr_value(gm, a) if isinstance(a, torch.fx.Node) else a for a in node.args]
        return node.target(*args)
    raise QDQFormError(f"{node.name} is computed, not a constant")

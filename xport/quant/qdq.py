"""What a quantize/dequantize node is, and what it says: the one place every backend's int8 lowering reads QDQ.

:mod:`xport.quant` gives every int8 backend the same program, with PT2E's ``quantized_decomposed`` ops around int8
regions::

    x → quantize_per_tensor → dequantize_per_tensor → conv(·, dequantize_per_channel(int8 weights), bias) → ...

Nodes are recognised by their op's qualified name, so reading a program never imports torchao (which registers the
ops): an fp32 export costs nothing here. Parameters are read into typed records; a form xport's lowerings do not
take (computed scales, other dtypes) raises :class:`QDQFormError` saying which node and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.fx

NAMESPACE = "quantized_decomposed"
QUANTIZE = "quantize_per_tensor.default"
DEQUANTIZE = "dequantize_per_tensor.default"
DEQUANTIZE_PER_CHANNEL = "dequantize_per_channel.default"
# The int8 grid of a sigmoid's output, [0, 1) in 256 steps (scale, zero point): the only one LiteRT's and XNNPACK's
# int8 LOGISTIC take, and exact enough for a gate anywhere.
SIGMOID_OUTPUT = (1.0 / 256.0, -128)


class QDQFormError(ValueError):
    """A quantize/dequantize node of a form the lowering does not take (the message says which and why)."""


def qdq_op(node: Any) -> str | None:
    """``"quantize_per_tensor.default"`` (etc.) for a ``quantized_decomposed`` node, else ``None``."""
    if not isinstance(node, torch.fx.Node) or node.op != "call_function":
        return None
    namespace, _, op = str(node.target).partition(".")
    return op if namespace == NAMESPACE else None


def is_qdq(node: Any) -> bool:
    """Any node of the ``quantized_decomposed`` namespace (including forms the lowerings do not take)."""
    return qdq_op(node) is not None


def is_quantize(node: Any) -> bool:
    """Float → int8, per tensor (an activation)."""
    return qdq_op(node) == QUANTIZE


def is_dequantize(node: Any) -> bool:
    """int8 → float, per tensor (an activation, or a per-tensor weight)."""
    return qdq_op(node) == DEQUANTIZE


def is_weight_dequantize(node: Any) -> bool:
    """int8 → float, per channel: a weight."""
    return qdq_op(node) == DEQUANTIZE_PER_CHANNEL


def is_any_dequantize(node: Any) -> bool:
    """int8 → float, per tensor or per channel."""
    return qdq_op(node) in (DEQUANTIZE, DEQUANTIZE_PER_CHANNEL)


def dtype_of(node: torch.fx.Node) -> torch.dtype | None:
    """The integer type a QDQ node quantizes to (its last positional argument, or the ``dtype`` keyword)."""
    dtype = node.kwargs.get("dtype", node.args[-1] if node.args else None)
    return dtype if isinstance(dtype, torch.dtype) else None


@dataclass(frozen=True)
class PerTensor:
    """The parameters of a ``quantize_per_tensor`` / ``dequantize_per_tensor`` node."""

    scale: float
    zero_point: int
    qmin: int
    qmax: int
    dtype: torch.dtype

    @staticmethod
    def of(node: torch.fx.Node) -> PerTensor:
        _, scale, zero_point, qmin, qmax, dtype = node.args[:6]
        if not isinstance(scale, float) or not isinstance(zero_point, int):
            raise QDQFormError(f"{node.name} has computed quantization parameters (only constants are lowered)")
        return PerTensor(float(scale), int(zero_point), int(qmin), int(qmax), dtype)

    @property
    def pair(self) -> tuple[float, int]:
        return self.scale, self.zero_point


@dataclass(frozen=True)
class PerChannel:
    """A ``dequantize_per_channel`` node: the nodes holding its values, scales and zero points, and its axis."""

    values: torch.fx.Node
    scales: torch.fx.Node
    zero_points: torch.fx.Node
    axis: int
    qmin: int
    qmax: int
    dtype: torch.dtype

    @staticmethod
    def of(node: torch.fx.Node) -> PerChannel:
        values, scales, zero_points, axis, qmin, qmax, dtype = node.args[:7]
        return PerChannel(values, scales, zero_points, int(axis), int(qmin), int(qmax), dtype)

"""Which activation fuses into which producer, decided once.

A producer (an op with the ``takes_activation`` trait: conv, linear, add, mul) absorbs the activation that alone
consumes its result, if that activation is one a kernel applies in its epilogue: relu, or a clamp whose bounds
make it relu, relu6 or relu_n1_to_1. The planner moves such activations next to their producer, the quantizer
quantizes the pair once (after the activation), and each emitter maps the kind to its own fused form.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import torch.fx

from .ops import SPEC
from .traits import FUSABLE_ACTIVATION, TAKES_ACTIVATION

# Clamp bounds (min, max) → the fused activation they are.
_CLAMP_KINDS = {(0.0, None): "relu", (0.0, 6.0): "relu6", (-1.0, 1.0): "relu_n1_to_1"}
# What every int8 kernel set xport targets fuses (PyTorch quantized, XNNPACK, ORT QLinear*, OpenVINO).
COMMON_KINDS = ("relu", "relu6")


def activation_kind(node: Any) -> str | None:
    """``"relu"``, ``"relu6"`` or ``"relu_n1_to_1"`` if ``node`` is an activation a kernel can fuse, else ``None``."""
    spec = SPEC.match(node) if isinstance(node, torch.fx.Node) else None
    if spec is None or not spec.has(FUSABLE_ACTIVATION):
        return None
    if spec.name == "relu":
        return "relu"
    attrs = spec.attrs(node)
    return _CLAMP_KINDS.get((attrs.min, attrs.max))


def takes_activation(node: Any) -> bool:
    """Whether ``node`` is a producer whose kernel can apply a fused activation."""
    spec = SPEC.match(node) if isinstance(node, torch.fx.Node) else None
    return spec is not None and spec.has(TAKES_ACTIVATION)


def fused_activation(producer: torch.fx.Node, kinds: Collection[str] = COMMON_KINDS) -> torch.fx.Node | None:
    """The activation node of one of ``kinds`` that alone consumes ``producer`` and fuses into it, or ``None``.

    ``producer`` is taken as a fusing op (callers check :func:`takes_activation` where the graph may hold other ops).
    """
    if len(producer.users) != 1:
        return None
    (user,) = producer.users
    return user if activation_kind(user) in kinds else None

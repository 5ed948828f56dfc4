"""Residual add and gating multiply as modules.

As modules they have a path (``layers.se.gate``) that reports, quantization configs and transmuter rules can
name; they compute a plain ``add`` / ``mul`` node, which PT2E quantizers annotate directly (eager-mode
``FloatFunctional`` wrappers are not needed with PT2E).
"""

from __future__ import annotations

from torch import Tensor

from .base import EfficientBlock


class ResidualAdd(EfficientBlock):
    """a + b (shapes broadcast)."""

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return a + b


class GatedMul(EfficientBlock):
    """x · gate, with gate broadcast over the dims where it has size 1 (squeeze-excitation)."""

    def forward(self, x: Tensor, gate: Tensor) -> Tensor:
        return x * gate

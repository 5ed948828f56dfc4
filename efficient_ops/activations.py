"""Activations by name, as modules that capture to single spec ops.

``swish`` is ``F.silu``: PyTorch's native silu backward keeps only the input and recomputes the sigmoid,
which is exactly what PyTorchVideo's hand-written memory-efficient ``SwishFunction`` did, and unlike that
custom autograd Function it captures as one ``silu`` node that every backend maps to a fused kernel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import EfficientBlock


class Swish(EfficientBlock):
    """x · sigmoid(x); memory-efficient in training (saves only x), one ``silu`` op when captured."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(x)


_ACTIVATIONS = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "swish": Swish,
    "hswish": nn.Hardswish,
    "hsigmoid": nn.Hardsigmoid,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


def activation_names() -> list[str]:
    return list(_ACTIVATIONS)


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by name: relu, relu6, swish, hswish, hsigmoid, sigmoid, identity."""
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation '{name}'; choose from {', '.join(_ACTIVATIONS)}") from None

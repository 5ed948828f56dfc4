"""FLOPs of one forward pass, counted from the model (not taken from a card), so any model gets a number."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.flop_counter import FlopCounterMode


def count_flops(model: torch.nn.Module, inputs: Sequence[torch.Tensor]) -> int:
    """Floating-point operations (2 × multiply-accumulates) of ``model(*inputs)``.

    Counts what torch's flop counter knows: convolutions, matrix products and attention — the work that
    dominates video CNNs; element-wise ops and pooling are not counted, as in the published X3D numbers.
    """
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*inputs)
    return int(counter.get_total_flops())

"""Default inputs for parity checks: the user's example plus seeded random and structured clips.

Random noise alone can hide divergence that appears on smooth, natural-looking inputs (and vice versa),
so the structured input is a smooth moving pattern in every spatial/temporal axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def _structured(like: torch.Tensor) -> torch.Tensor:
    """A smooth wave moving along every axis after the first two (e.g. T, H, W of an NCTHW clip)."""
    grid = torch.zeros(like.shape, dtype=torch.float64)
    for axis in range(1, like.dim()):
        n = like.shape[axis]
        coords = torch.arange(n, dtype=torch.float64) * (2 * math.pi / max(n, 1)) * (axis + 1)
        shape = [1] * like.dim()
        shape[axis] = n
        grid = grid + torch.sin(coords).reshape(shape)
    return (grid / max(like.dim() - 1, 1) * 2).to(like.dtype)


def _pixels(like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random 0–255 values: integer inputs of video models are uint8 frames (fused preprocessing)."""
    return torch.randint(0, 256, like.shape, generator=generator).to(like.dtype)


def default_inputs(example: Sequence[torch.Tensor], random_count: int = 2, seed: int = 0) -> list[tuple]:
    """[example, ``random_count`` seeded N(0, 1) tuples, one structured tuple].

    Integer inputs get random 0–255 values instead (boolean ones are reused as given).
    """
    example = tuple(example)
    generator = torch.Generator().manual_seed(seed)

    def fresh(make) -> tuple:
        return tuple(make(x) if x.is_floating_point() else
                     x if x.dtype == torch.bool else _pixels(x, generator) for x in example)

    cases = [example]
    cases += [fresh(lambda x: torch.randn(x.shape, generator=generator).to(x.dtype)) for _ in range(random_count)]
    cases.append(fresh(_structured))
    return cases

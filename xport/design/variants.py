"""The variants ``xport design`` prices and chooses among: efficient X3D scaled in width, depth, clip length and crop.

X3D's own scaling axes (Feichtenhofer, 2020): a variant keeps the X3D-XS block structure and scales the stage
widths (channels, rounded to multiples of 8, as mobile kernels prefer), the stage depths, the frames T and the
crop. Per-stage kernel choices are not among them yet (the efficient blocks fix the 3×3×3 depthwise kernel).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

from xport.efficient_ops.x3d import STAGE_CHANNELS, EfficientX3d

XS_DEPTHS = (3, 5, 11, 7)


def _round8(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


@dataclass(frozen=True)
class X3dVariant:
    """X3D-XS scaled: ``width`` multiplies the stage channels, ``depth`` the blocks per stage."""

    width: float = 1.0
    depth: float = 1.0
    frames: int = 4
    crop: int = 160

    @property
    def name(self) -> str:
        return f"x3d_w{self.width:g}_d{self.depth:g}_t{self.frames}_{self.crop}"

    @classmethod
    def from_name(cls, name: str) -> X3dVariant:
        """The variant whose :attr:`name` is ``name`` (a table records its models by name)."""
        width, depth, frames, crop = name.removeprefix("x3d_").split("_")
        return cls(float(width[1:]), float(depth[1:]), int(frames[1:]), int(crop))

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(_round8(c * self.width) for c in STAGE_CHANNELS)

    @property
    def depths(self) -> tuple[int, ...]:
        return tuple(max(1, round(d * self.depth)) for d in XS_DEPTHS)

    def build(self, device: str = "cpu") -> EfficientX3d:
        """The model (seeded random weights; on ``"meta"``: shapes only, for pricing)."""
        torch.manual_seed(0)
        with torch.device(device):
            return EfficientX3d(self.depths, widths=self.widths).eval()

    def example_input(self, device: str = "cpu") -> tuple[torch.Tensor]:
        return (torch.zeros(1, 3, self.frames, self.crop, self.crop, device=device),)


# Measured by `xport design measure`: X3D-XS, X3D-S, and one step along each axis. The check set differs in every
# axis from these, so the check prices blocks the table never timed.
MEASURE_GRID = (X3dVariant(), X3dVariant(frames=13), X3dVariant(width=0.5), X3dVariant(width=1.5),
                X3dVariant(depth=0.5), X3dVariant(crop=112), X3dVariant(frames=8, crop=112))
CHECK_SET = (X3dVariant(width=0.75), X3dVariant(width=1.25, frames=8), X3dVariant(depth=0.75, crop=128),
             X3dVariant(frames=6, crop=144), X3dVariant(width=0.75, depth=0.5, frames=16, crop=112),
             X3dVariant(width=1.25, depth=0.75, frames=4, crop=128), X3dVariant(frames=10, crop=160),
             X3dVariant(width=0.625, frames=4, crop=176), X3dVariant(depth=1.0, frames=16, crop=128),
             X3dVariant(width=1.5, depth=0.5, frames=6, crop=112))


def search_space() -> list[X3dVariant]:
    """The variants ``xport design suggest`` considers."""
    return [X3dVariant(w, d, t, c) for w, d, t, c in
            itertools.product((0.5, 0.75, 1.0, 1.25, 1.5), (0.5, 0.75, 1.0), (4, 8, 13), (112, 160))]

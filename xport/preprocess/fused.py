"""Normalisation and layout folded into the model, so an app feeds cropped uint8 RGB frames (T, H, W, 3)."""

from __future__ import annotations

import torch
from torch import nn

from .spec import PreprocessSpec


class FusedPreprocessing(nn.Module):
    """``model`` behind its own preprocessing: frames (T, H, W, 3), uint8 (or float 0–255) → logits.

    The per-channel (x × scale − mean) / std is one multiply-add with folded constants, and the
    NTHWC → NCTHW permute is free on channels-last runtimes; the cast from uint8 is the only new op.
    """

    def __init__(self, model: nn.Module, spec: PreprocessSpec):
        super().__init__()
        self.model = model
        mean, std = torch.tensor(spec.mean), torch.tensor(spec.std)
        self.register_buffer("gain", (spec.scale / std).reshape(1, 3, 1, 1, 1))
        self.register_buffer("offset", (-mean / std).reshape(1, 3, 1, 1, 1))
        self.default_cfg = getattr(model, "default_cfg", None)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = frames.to(torch.float32).unsqueeze(0).permute(0, 4, 1, 2, 3)
        return self.model(x * self.gain + self.offset)


def frames_from_clip(clip: torch.Tensor, spec: PreprocessSpec, dtype: torch.dtype = torch.uint8) -> torch.Tensor:
    """The fused model's input for a preprocessed clip (1, 3, T, H, W): the 0–255 RGB frames (T, H, W, 3) it came
    from, rounded. Calibration clips made for the model itself (``--calibration DIR``) feed its fused form so."""
    mean = torch.tensor(spec.mean).reshape(1, 3, 1, 1, 1)
    std = torch.tensor(spec.std).reshape(1, 3, 1, 1, 1)
    pixels = ((clip.float() * std + mean) / spec.scale).round().clamp(0, 255)
    return pixels[0].permute(1, 2, 3, 0).contiguous().to(dtype)


def fuse_preprocessing(model: nn.Module, spec: PreprocessSpec,
                       dtype: torch.dtype = torch.uint8) -> tuple[FusedPreprocessing, torch.Tensor]:
    """The fused model and a seeded example clip of its input: ``dtype`` frames of shape (T, H, W, 3).

    Use ``dtype=torch.float32`` for runtimes without uint8 inputs (Core ML multi-arrays): values stay 0–255.
    """
    h, w = spec.crop
    generator = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (spec.frames, h, w, 3), generator=generator, dtype=torch.uint8).to(dtype)
    return FusedPreprocessing(model, spec).eval(), frames

"""The preprocessing steps on decoded frames (uint8 RGB, (T, H, W, 3)), one function each.

Resizing is done the way an app scaling bitmaps does it: in float, then rounded back to uint8, so the fused
model (which takes uint8 frames) and the unfused one see identical pixels.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from xport.errors import XportError

from .spec import PreprocessSpec


def sample_indices(available: int, frames: int) -> np.ndarray:
    """``frames`` indices spread uniformly over ``available`` frames, first and last included.

    The same indices as PyTorchVideo's ``UniformTemporalSubsample`` (linspace, truncated), so short videos
    repeat frames rather than fail.
    """
    if available < 1:
        raise XportError("the video has no frames in the sampled window")
    return np.linspace(0, available - 1, frames).astype(np.int64)


def resize_short_side(frames: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize (align_corners=False) so the shorter of H, W becomes ``size``; aspect ratio kept."""
    _t, h, w, _c = frames.shape
    if min(h, w) == size:
        return frames
    # PyTorchVideo's short_side_scale: the long side is floored.
    new_h, new_w = (size, math.floor(w * size / h)) if h <= w else (math.floor(h * size / w), size)
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def center_crop(frames: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """The centre ``crop`` (H, W) window; offsets rounded up as PyTorchVideo's ``uniform_crop`` does."""
    _t, h, w, _c = frames.shape
    ch, cw = crop
    if ch > h or cw > w:
        raise XportError(f"cannot crop {ch}x{cw} from {h}x{w} frames; resize_short_side must be at least the crop")
    top, left = math.ceil((h - ch) / 2), math.ceil((w - cw) / 2)
    return frames[:, top:top + ch, left:left + cw]


def prepare_frames(frames: np.ndarray, fps: float, spec: PreprocessSpec, start_seconds: float = 0.0) -> np.ndarray:
    """Sample, resize and crop decoded frames: uint8 (T, H, W, 3), what a fused model takes as is."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise XportError(f"frames must be uint8 RGB of shape (T, H, W, 3), got {frames.dtype} {frames.shape}")
    first = int(round(start_seconds * fps))
    window = frames[first:first + max(1, int(round(spec.clip_seconds * fps)))]
    picked = window[sample_indices(len(window), spec.frames)]
    if spec.resize_short_side is not None:
        picked = resize_short_side(picked, spec.resize_short_side)
    return np.ascontiguousarray(center_crop(picked, spec.crop))


def normalize_and_pack(frames: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """uint8 (T, H, W, 3) → float32 × scale, (x − mean) / std, in ``spec.layout`` with a batch axis.

    For ``THWC`` (a fused model's input) the frames are returned unchanged: the model normalises them.
    """
    if spec.layout == "THWC":
        return frames
    x = frames.astype(np.float32) * np.float32(spec.scale)
    x = (x - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    x = x[None]  # N, T, H, W, C
    return np.ascontiguousarray(x if spec.layout == "NTHWC" else x.transpose(0, 4, 1, 2, 3))

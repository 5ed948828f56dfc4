"""Test videos made here and encoded with PyAV (H.264), so tests see real codec artefacts and nothing downloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xport.preprocess import write_video


def moving_square(path: Path, frames: int = 45, height: int = 120, width: int = 176, fps: int = 30) -> Path:
    """A bright square crossing a gradient background; the red channel encodes the frame index (4 × i)."""
    y, x = np.mgrid[0:height, 0:width]
    clip = np.zeros((frames, height, width, 3), np.uint8)
    for i in range(frames):
        clip[i, ..., 0] = min(4 * i, 255)
        clip[i, ..., 1] = (x * 255 // max(width - 1, 1)).astype(np.uint8)
        clip[i, ..., 2] = (y * 255 // max(height - 1, 1)).astype(np.uint8)
        left = (i * (width - 24)) // max(frames - 1, 1)
        clip[i, height // 2 - 12:height // 2 + 12, left:left + 24] = 255
    return write_video(path, clip, fps=fps)

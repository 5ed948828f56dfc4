"""Where calibration clips come from on the command line: a folder of videos or tensors, a saved file, or noise."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from xport.errors import XportError
from xport.preprocess import PreprocessSpec, preprocess_video

from .calibration import Calibration

log = logging.getLogger("xport")

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
MAX_CLIPS = 64  # calibration needs a few dozen clips; decoding a whole dataset would only cost time


def _from_videos(paths: list[Path], model: torch.nn.Module) -> list[tuple[torch.Tensor]]:
    card = getattr(model, "default_cfg", None)
    if card is None:
        raise XportError("calibrating on videos needs the model's preprocessing (a zoo card); save the "
                         "preprocessed clips as .npy or .pt tensors instead")
    spec = PreprocessSpec.from_card(card)
    log.info("decoding %d calibration video(s)", len(paths))
    return [(torch.from_numpy(preprocess_video(p, spec)),) for p in paths]


def _from_tensors(paths: list[Path]) -> list[tuple[torch.Tensor, ...]]:
    samples = []
    for p in paths:
        value = torch.from_numpy(np.load(p)) if p.suffix == ".npy" else torch.load(p, weights_only=True)
        samples.append(tuple(value) if isinstance(value, (list, tuple)) else (value,))
    return samples


def calibration_from(source: str | Path, model: torch.nn.Module, example: tuple[torch.Tensor, ...],
                     synthetic_count: int = 16) -> Calibration:
    """``synthetic`` (seeded noise: right for latency, wrong for accuracy), a saved ``.json``, or a folder of
    videos (decoded with the model card's preprocessing) or ``.npy`` / ``.pt`` input tensors."""
    if str(source) == "synthetic":
        log.warning("int8 calibrated on %d random clips: fine for timing, not for accuracy", synthetic_count)
        generator = torch.Generator().manual_seed(1)
        noise = [tuple(torch.randn(x.shape, generator=generator) for x in example) for _ in range(synthetic_count)]
        return Calibration.from_data(noise, example)
    path = Path(source)
    if path.suffix == ".json":
        return Calibration.load(path)
    if not path.is_dir():
        raise XportError(f"--calibration {source}: not a folder, a calibration .json, or 'synthetic'")
    # Subfolders too: `xport make-data` writes <split>/<class>/*.mp4, and class folders are how datasets come.
    files = sorted(p for p in path.rglob("*") if p.is_file())
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    tensors = [p for p in files if p.suffix in (".npy", ".pt")]
    chosen = _spread(videos or tensors, MAX_CLIPS)
    if chosen:
        if len(chosen) < len(videos or tensors):
            log.info("calibrating on %d of the %d clips in %s, spread across its folders", len(chosen),
                     len(videos or tensors), path)
        samples = _from_videos(chosen, model) if videos else _from_tensors(chosen)
        return Calibration.from_data(samples, example)
    raise XportError(f"--calibration {path}: no videos ({', '.join(VIDEO_SUFFIXES)}) or .npy/.pt tensors in it "
                     "or its subfolders")


def _spread(paths: list[Path], count: int) -> list[Path]:
    """At most ``count`` of the sorted ``paths``, evenly spaced, so every class folder is represented."""
    if len(paths) <= count:
        return paths
    return [paths[i * len(paths) // count] for i in range(count)]

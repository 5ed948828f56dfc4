"""A torch ``Dataset`` over video files, decoded and preprocessed by :mod:`xport.preprocess`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from xport.errors import XportError
from xport.preprocess import PreprocessSpec, normalize_and_pack, prepare_frames, read_video

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm")


class DatasetError(XportError):
    """A dataset folder is missing, empty, or does not match the model (class count, frame size)."""


def read_classes(root: str | Path) -> list[str]:
    """Class names in label order: from ``dataset.json`` or ``labels.txt``, else the sorted folders of ``train/``."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist; create one with `xport make-data {root}`")
    if (root / "dataset.json").is_file():
        return list(json.loads((root / "dataset.json").read_text())["classes"])
    if (root / "labels.txt").is_file():
        return [line.strip() for line in (root / "labels.txt").read_text().splitlines() if line.strip()]
    train = root / "train"
    names = sorted(p.name for p in train.iterdir() if p.is_dir()) if train.is_dir() else []
    if not names:
        raise DatasetError(f"{root} has no dataset.json, labels.txt or train/<class>/ folders; expected "
                           "DIR/{train,val}/<class>/*.mp4 (as `xport make-data` writes)")
    return names


class ClipDataset(torch.utils.data.Dataset):
    """``(clip, label)`` pairs of ``root/<split>/<class>/*.mp4``, clip as the model takes it (C, T, H, W float32).

    Every file is decoded once (PyAV) and sampled, resized and cropped by ``spec`` into uint8 frames kept in
    memory (a few hundred small clips are tens of MB); normalisation happens per item, exactly as
    :func:`xport.preprocess.preprocess_video` does it.
    """

    def __init__(self, root: str | Path, split: str, spec: PreprocessSpec, *, progress: bool = False):
        self.root, self.split, self.spec = Path(root), split, spec
        self.classes = read_classes(root)
        folder = self.root / split
        self.files: list[tuple[Path, int]] = []
        for label, name in enumerate(self.classes):
            class_dir = folder / name
            if class_dir.is_dir():
                self.files += [(p, label) for p in sorted(class_dir.iterdir()) if p.suffix.lower() in VIDEO_SUFFIXES]
        if not self.files:
            raise DatasetError(f"no videos in {folder}/<class>/ for classes {', '.join(self.classes)}")
        self.frames = [self._decode(path) for path, _ in tqdm(self.files, desc=f"decoding {split}", unit="clip",
                                                              disable=not progress, leave=False)]

    def _decode(self, path: Path) -> np.ndarray:
        frames, fps = read_video(path, max_seconds=self.spec.clip_seconds)
        _t, h, w, _c = frames.shape
        ch, cw = self.spec.crop
        short = self.spec.resize_short_side
        if short is None and (h, w) != (ch, cw):
            # Without a resize step a centre crop of a larger frame would cut the moving object out.
            raise DatasetError(f"{path} is {h}x{w} but the model takes {ch}x{cw} frames and resizes nothing; "
                               f"regenerate with `xport make-data --size {ch}`")
        return prepare_frames(frames, fps, self.spec)

    @property
    def labels(self) -> list[int]:
        return [label for _, label in self.files]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        clip = normalize_and_pack(self.frames[index], self.spec)[0]
        return torch.from_numpy(clip), self.files[index][1]

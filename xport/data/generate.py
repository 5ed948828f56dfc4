"""Writing a motion-classification dataset as real H.264 files (PyAV), deterministic from a seed.

Layout (also what :class:`~xport.data.ClipDataset` reads for any user dataset)::

    DIR/dataset.json                 classes in label order, seed, size, fps, clip counts
    DIR/labels.txt                   one class name per line
    DIR/{train,val}/<class>/<nnnn>.mp4
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from xport.errors import XportError, pass_as
from xport.preprocess import write_video

from .motion import TASKS, render_clip

SPLITS = ("train", "val")


@dataclass(frozen=True)
class DatasetInfo:
    """What ``make_dataset`` wrote: enough to render the same clips again."""

    root: str
    task: str
    classes: list[str]
    seed: int
    size: tuple[int, int]
    fps: int
    seconds: float
    counts: dict[str, int]
    clutter: float = 1.0
    generated_in_s: float = 0.0

    def save(self) -> None:
        (Path(self.root) / "dataset.json").write_text(json.dumps(asdict(self) | {"root": "."}, indent=2) + "\n")
        (Path(self.root) / "labels.txt").write_text("\n".join(self.classes) + "\n")


def make_dataset(out_dir: str | Path, *, task: str = "speed", classes: int | None = None, train_clips: int = 240,
                 val_clips: int = 60,
                 seed: int = 0, size: tuple[int, int] | int = 160, fps: int = 15, seconds: float = 1.0,
                 clutter: float = 1.0, progress: bool = True, overwrite: bool = False) -> DatasetInfo:
    """Render and encode a balanced motion dataset as H.264 MP4 files: the first ``classes`` classes of ``task``
    (:data:`~xport.data.motion.TASKS`, in class-index order: ``speed`` = still/fast/slow/medium, ``motion`` =
    left/right/up/down/approach/recede/clockwise/counterclockwise; default all of them).

    The rendered pixels are a function of the arguments; the encoded bits usually are too, but libx264 now and
    then makes other rate decisions between runs, so decoded clips match within codec noise, not bit for bit.

    Clip ``i`` of a split draws from its own generator seeded by (seed, split, i), so the same arguments give
    the same pixels, and growing ``train_clips`` keeps the clips already there. Labels cycle through the classes
    so every split is balanced. ``clutter`` scales the static background texture and distractor shapes.
    """
    if task not in TASKS:
        raise XportError(f"task '{task}' is not one of {', '.join(TASKS)}")
    classes = len(TASKS[task]) if classes is None else classes
    if not 2 <= classes <= len(TASKS[task]):
        raise XportError(f"classes must be 2..{len(TASKS[task])} for task '{task}' ({', '.join(TASKS[task])}), "
                         f"got {classes}")
    if min(train_clips, val_clips) < classes:
        raise XportError(f"need at least one clip per class in each split: {classes} classes, "
                         f"got train_clips={train_clips}, val_clips={val_clips}")
    size = (size, size) if isinstance(size, int) else tuple(size)
    if size[0] % 2 or size[1] % 2:
        raise XportError(f"H.264 needs even frame sizes, got {size[0]}x{size[1]}")
    root = Path(out_dir)
    if (root / "dataset.json").exists() and not overwrite:
        raise XportError(f"{root} already holds a dataset; pass {pass_as('overwrite=True', '--overwrite')} to "
                         "replace it")
    names = list(TASKS[task][:classes])
    start = time.perf_counter()
    counts = {"train": train_clips, "val": val_clips}
    jobs = [(split, i) for split in SPLITS for i in range(counts[split])]
    for split, i in tqdm(jobs, desc="rendering clips", unit="clip", disable=not progress, leave=False):
        label = i % classes
        rng = np.random.default_rng([seed, SPLITS.index(split), i])
        frames = render_clip(label, rng, size, frames=max(2, int(round(fps * seconds))), clutter=clutter,
                              task=task)
        folder = root / split / names[label]
        folder.mkdir(parents=True, exist_ok=True)
        write_video(folder / f"{i:05d}.mp4", frames, fps=fps)
    info = DatasetInfo(str(root), task, names, seed, size, fps, seconds, counts, clutter,
                       round(time.perf_counter() - start, 2))
    info.save()
    return info

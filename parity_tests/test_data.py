"""xport.data: the motion dataset is real H.264 video, deterministic from its seed, and decodes through
xport.preprocess into clips whose class is visible only across frames."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xport.data import MOTIONS, ClipDataset, DatasetError, make_dataset, read_classes, render_clip
from xport.preprocess import PreprocessSpec, preprocess_video, read_video

SPEC = PreprocessSpec(frames=4, crop=(64, 64))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("motion")
    make_dataset(root, task="motion", classes=4, train_clips=8, val_clips=4, size=64, seed=3, progress=False)
    return root


def _decoded(root) -> dict:
    return {p.relative_to(root).as_posix(): read_video(p)[0].astype(np.int16) for p in sorted(root.rglob("*.mp4"))}


def test_layout_is_real_h264_files_with_balanced_classes(dataset):
    info = json.loads((dataset / "dataset.json").read_text())
    assert info["classes"] == list(MOTIONS[:4]) == read_classes(dataset)
    files = sorted(dataset.rglob("*.mp4"))
    assert len(files) == 12
    for split, per_class in (("train", 2), ("val", 1)):
        assert all(len(list((dataset / split / c).glob("*.mp4"))) == per_class for c in info["classes"])
    import av

    with av.open(str(files[0])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == (64, 64)
    frames, fps = read_video(files[0])
    assert frames.shape == (15, 64, 64, 3) and fps == 15


def test_same_seed_same_clips_other_seed_other_clips(dataset, tmp_path):
    rendered = [render_clip(1, np.random.default_rng([3, 0, 5]), (64, 64)) for _ in range(2)]
    np.testing.assert_array_equal(*rendered)  # the pixels are a function of (seed, split, index)
    for name, seed in (("again", 3), ("other", 4)):
        make_dataset(tmp_path / name, task="motion", classes=4, train_clips=8, val_clips=4, size=64, seed=seed,
                     progress=False)
    first, again, other = _decoded(dataset), _decoded(tmp_path / "again"), _decoded(tmp_path / "other")
    assert first.keys() == again.keys() == other.keys()
    for name in first:
        # Usually byte-identical files, but libx264 (through FFmpeg) now and then makes other rate decisions
        # between runs, even single-threaded: the same pictures within codec noise, not bit for bit.
        assert np.abs(first[name] - again[name]).mean() < 3.0
        assert np.abs(first[name] - other[name]).mean() > 10.0


def test_dataset_decodes_through_preprocess_with_codec_artefacts(dataset):
    ds = ClipDataset(dataset, "val", SPEC)
    assert len(ds) == 4 and ds.labels == [0, 1, 2, 3]
    clip, label = ds[2]
    path = ds.files[2][0]
    np.testing.assert_array_equal(clip.numpy(), preprocess_video(path, SPEC)[0])
    assert clip.shape == (3, 4, 64, 64) and path.parent.name == MOTIONS[label]
    rendered = render_clip(label, np.random.default_rng([3, 1, 2]), (64, 64), 15)
    decoded, _ = read_video(path)
    error = np.abs(decoded.astype(int) - rendered.astype(int))
    assert 0 < error.mean() < 6  # lossy (real codec artefacts) yet the same picture


def test_speed_classes_differ_in_how_much_changes_between_frames():
    def change(label: int) -> float:
        return np.mean([np.abs(np.diff(render_clip(label, np.random.default_rng(s), (64, 64), 15, noise=0,
                                                   task="speed").astype(float), axis=0)).mean() for s in range(4)])

    still, fast, slow = change(0), change(1), change(2)
    assert still == 0 and 0 < slow < fast


def test_missing_empty_and_mismatched_data_say_so(tmp_path, dataset):
    with pytest.raises(DatasetError, match="does not exist"):
        ClipDataset(tmp_path / "nope", "train", SPEC)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no dataset.json"):
        ClipDataset(tmp_path / "empty", "train", SPEC)
    with pytest.raises(DatasetError, match="no videos"):
        ClipDataset(dataset, "test", SPEC)
    with pytest.raises(DatasetError, match="regenerate with `xport make-data --size 32`"):
        ClipDataset(dataset, "val", PreprocessSpec(frames=4, crop=(32, 32)))
    with pytest.raises(Exception, match="already holds a dataset"):
        make_dataset(dataset, task="motion", classes=4, train_clips=8, val_clips=4, size=64, seed=3, progress=False)

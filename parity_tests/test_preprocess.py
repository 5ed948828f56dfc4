"""xport.preprocess on real encoded videos: decoding, sampling, geometry, normalisation, fused preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xport
from xport.efficient_ops import create_model
from xport.errors import ModelFormatError, XportError
from xport.preprocess import (
    PreprocessSpec,
    center_crop,
    fuse_preprocessing,
    normalize_and_pack,
    prepare_frames,
    preprocess_video,
    read_video,
    resize_short_side,
    sample_indices,
)

from .helpers import require_backend
from .videos import moving_square


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return moving_square(tmp_path_factory.mktemp("video") / "square.mp4")


def test_decode_round_trip_keeps_size_rate_and_content(video):
    frames, fps = read_video(video)
    assert frames.shape == (45, 120, 176, 3) and frames.dtype == np.uint8 and fps == 30
    # The red channel encodes the frame index; H.264 at crf 18 keeps flat areas within a few levels.
    red = frames[:, :8, :8, 0].reshape(45, -1).mean(1)
    assert np.abs(red - 4 * np.arange(45)).max() < 6


def test_max_seconds_stops_decoding_early(video):
    frames, _ = read_video(video, max_seconds=0.5)
    assert len(frames) == 15


@pytest.mark.parametrize("available,count", [(30, 4), (30, 13), (3, 4), (1, 4), (301, 16)])
def test_sampling_matches_pytorchvideo_uniform_subsample(available, count):
    expected = torch.linspace(0, available - 1, count).long().numpy()  # UniformTemporalSubsample
    assert (sample_indices(available, count) == expected).all()


def test_resize_keeps_aspect_ratio_and_crop_is_centred():
    frames = np.random.default_rng(0).integers(0, 256, (2, 120, 200, 3), dtype=np.uint8)
    assert resize_short_side(frames, 60).shape == (2, 60, 100, 3)
    assert resize_short_side(frames.transpose(0, 2, 1, 3), 60).shape == (2, 100, 60, 3)  # portrait
    crop = center_crop(frames, (100, 150))
    assert (crop == frames[:, 10:110, 25:175]).all()
    with pytest.raises(XportError, match="cannot crop 130x150 from 120x200"):
        center_crop(frames, (130, 150))


def test_preprocess_video_picks_the_right_frames_and_normalises(video):
    spec = PreprocessSpec(frames=4, crop=(64, 64), resize_short_side=80, clip_seconds=1.0)
    clip = preprocess_video(video, spec)
    assert clip.shape == (1, 3, 4, 64, 64) and clip.dtype == np.float32
    red = clip[0, 0, :, :4, :4].reshape(4, -1).mean(1) * 0.225 + 0.45  # undo normalisation
    picked = np.linspace(0, 29, 4).astype(int)  # 30 frames in the first second
    assert np.abs(red * 255 - 4 * picked).max() < 6


def test_layouts_hold_the_same_values(video):
    frames, fps = read_video(video)
    spec = PreprocessSpec(frames=4, crop=(64, 64))
    cropped = prepare_frames(frames, fps, spec)
    ncthw = normalize_and_pack(cropped, spec)
    nthwc = normalize_and_pack(cropped, PreprocessSpec(frames=4, crop=(64, 64), layout="NTHWC"))
    assert (ncthw.transpose(0, 2, 3, 4, 1) == nthwc).all()
    expected = (cropped[1, 5, 7, 2] / 255 - 0.45) / 0.225
    assert ncthw[0, 2, 1, 5, 7] == pytest.approx(expected, rel=1e-6)
    assert normalize_and_pack(cropped, PreprocessSpec(frames=4, crop=(64, 64), layout="THWC")) is cropped


def test_spec_comes_from_the_zoo_card_and_round_trips():
    spec = PreprocessSpec.from_card(create_model("efficient_x3d_s").default_cfg)
    assert (spec.frames, spec.crop, spec.resize_short_side) == (13, (160, 160), 160)
    assert PreprocessSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(XportError, match="layout 'CTHW'"):
        PreprocessSpec(frames=4, crop=(8, 8), layout="CTHW")
    with pytest.raises(XportError, match="incomplete"):
        PreprocessSpec.from_dict({"frames": 4})


def test_missing_and_corrupt_videos_say_so(tmp_path):
    with pytest.raises(ModelFormatError, match="no such video file"):
        read_video(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01not a video" * 100)
    with pytest.raises(ModelFormatError, match="cannot be decoded|no video stream|no decodable"):
        read_video(junk)


@pytest.mark.parametrize("backend_name", ["tflite", "torchscript", "onnx", "executorch", "openvino", "coreml"])
def test_fused_model_matches_eager_preprocessing_plus_model(backend_name, video, tiny_model, tmp_path):
    """The artifact fed decoded uint8 frames equals eager model(normalise(frames)), in the real runtime."""
    require_backend(backend_name)
    spec = PreprocessSpec.from_card(tiny_model.default_cfg, resize_short_side=72)
    dtype = torch.float32 if backend_name == "coreml" else torch.uint8  # Core ML multi-arrays: no uint8
    fused, example = fuse_preprocessing(tiny_model, spec, dtype)
    options = {"ort_format": False} if backend_name == "onnx" else {}
    artifact = xport.export(fused, (example,), backend_name, tmp_path / backend_name, **options)
    assert artifact.manifest.inputs[0].shape == (4, 64, 64, 3)
    assert artifact.manifest.inputs[0].dtype == str(dtype).removeprefix("torch.")
    frames, fps = read_video(video)
    cropped = prepare_frames(frames, fps, spec)
    with torch.no_grad():
        expected = tiny_model(torch.from_numpy(normalize_and_pack(cropped, spec)))
    got = artifact.run(cropped.astype(np.dtype(str(dtype).removeprefix("torch."))))
    scale = expected.abs().max()
    assert (got - expected).abs().max() / scale < 1e-4
    assert xport.verify(fused, artifact).passed  # random uint8 clips as well


def test_fused_model_rejects_float_frames(tiny_model, tmp_path):
    spec = PreprocessSpec.from_card(tiny_model.default_cfg)
    fused, example = fuse_preprocessing(tiny_model, spec)
    artifact = xport.export(fused, (example,), "torchscript", tmp_path)
    with pytest.raises(xport.InputSpecError, match="uint8"):
        artifact.run(np.zeros((4, 64, 64, 3), np.float32))

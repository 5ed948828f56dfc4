"""Decoding and encoding real video files with PyAV (FFmpeg), for preprocessing and for test clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xport.errors import ModelFormatError, XportError

from .spec import PreprocessSpec
from .transforms import normalize_and_pack, prepare_frames


def _av():
    try:
        import av
    except ImportError:
        raise XportError("decoding video needs PyAV: pip install -c constraints.txt av") from None
    return av


def read_video(path: Path | str, max_seconds: float | None = None) -> tuple[np.ndarray, float]:
    """Decode the first video stream: uint8 RGB frames (T, H, W, 3) and frames per second.

    ``max_seconds`` stops decoding after that much video (a long file is not decoded whole).
    """
    av = _av()
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(path, "no such video file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ModelFormatError(path, "has no video stream")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 30)
            limit = None if max_seconds is None else max(1, int(round(max_seconds * fps)))
            frames = []
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if limit is not None and len(frames) >= limit:
                    break
    except av.error.FFmpegError as exc:
        raise ModelFormatError(path, f"cannot be decoded as video ({exc})", "check the file is a complete video") \
            from None
    if not frames:
        raise ModelFormatError(path, "has no decodable frames")
    return np.stack(frames), fps


def write_video(path: Path | str, frames: np.ndarray, fps: int = 30, codec: str = "libx264", crf: int = 18) -> Path:
    """Encode uint8 RGB frames (T, H, W, 3) into a video file (H.264 in MP4 by default); even H and W."""
    av = _av()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise XportError(f"frames must be uint8 RGB of shape (T, H, W, 3), got {frames.dtype} {frames.shape}")
    path = Path(path)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": str(crf)}
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def preprocess_video(path: Path | str, spec: PreprocessSpec, start_seconds: float = 0.0) -> np.ndarray:
    """Decode ``path`` and produce the model input ``spec`` describes (float32, or uint8 for a fused model)."""
    frames, fps = read_video(path, max_seconds=start_seconds + spec.clip_seconds)
    return normalize_and_pack(prepare_frames(frames, fps, spec, start_seconds), spec)

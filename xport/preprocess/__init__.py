"""Reference preprocessing: a video file → exactly the tensor a bundle's ``model.json`` asks for.

Apps re-implement these steps in Kotlin or Swift; this is the version they are checked against::

    spec = PreprocessSpec.from_card(model.default_cfg)
    clip = preprocess_video("clip.mp4", spec)          # float32, (1, 3, T, H, W)
    frames = prepare_frames(*read_video("clip.mp4"), spec)  # uint8 (T, H, W, 3), for a fused model
"""

from .fused import FusedPreprocessing, frames_from_clip, fuse_preprocessing
from .spec import LAYOUTS, PreprocessSpec
from .transforms import center_crop, normalize_and_pack, prepare_frames, resize_short_side, sample_indices
from .video import preprocess_video, read_video, write_video

__all__ = [
    "PreprocessSpec", "LAYOUTS", "read_video", "write_video", "preprocess_video", "prepare_frames",
    "normalize_and_pack", "sample_indices", "resize_short_side", "center_crop", "FusedPreprocessing",
    "fuse_preprocessing", "frames_from_clip",
]

"""What turns camera frames into a model's input tensor, as data (the ``preprocessing`` of ``model.json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from xport.errors import XportError

# Axis orders a video input can have: PyTorch's, channels-last (TFLite), and the fused model's raw frames.
LAYOUTS = ("NCTHW", "NTHWC", "THWC")


@dataclass(frozen=True)
class PreprocessSpec:
    """Frame sampling, geometry and normalisation of one model's input.

    Steps, in order: take ``frames`` frames uniformly over the first ``clip_seconds`` of the video
    (PyTorchVideo's ``UniformTemporalSubsample`` indices); resize so the short side is ``resize_short_side``
    (bilinear, aspect ratio kept; skipped when ``None``); centre-crop to ``crop`` (H, W); RGB pixel × ``scale``;
    (x − mean) / std per channel; pack in ``layout``. With ``fused`` the last three steps are inside the
    model, which takes the cropped uint8 RGB frames (T, H, W, 3).
    """

    frames: int
    crop: tuple[int, int]
    mean: tuple[float, float, float] = (0.45, 0.45, 0.45)
    std: tuple[float, float, float] = (0.225, 0.225, 0.225)
    resize_short_side: int | None = None
    clip_seconds: float = 1.0
    sampling: str = "uniform"
    scale: float = 1 / 255
    color: str = "RGB"
    layout: str = "NCTHW"
    fused: bool = False

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise XportError(f"preprocessing layout '{self.layout}' is not one of {', '.join(LAYOUTS)}")
        if self.sampling != "uniform":
            raise XportError(f"frame sampling '{self.sampling}' is not supported (only 'uniform')")
        if self.color != "RGB":
            raise XportError(f"colour order '{self.color}' is not supported; models take RGB")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise XportError(f"mean {self.mean} and std {self.std} must have 3 values each, std > 0")

    @classmethod
    def from_card(cls, card: Any, **overrides: Any) -> PreprocessSpec:
        """The preprocessing of a zoo model card (``model.default_cfg``)."""
        _c, frames, height, width = card.input_size
        spec = cls(frames=frames, crop=(height, width), mean=tuple(card.mean), std=tuple(card.std),
                   resize_short_side=card.resize_short_side, clip_seconds=card.clip_seconds, sampling=card.sampling)
        return replace(spec, **overrides)

    def input_shape(self) -> tuple[int, ...]:
        """The model input this preprocessing produces, in ``layout`` (batch 1)."""
        h, w = self.crop
        return {"NCTHW": (1, 3, self.frames, h, w), "NTHWC": (1, self.frames, h, w, 3),
                "THWC": (self.frames, h, w, 3)}[self.layout]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"crop": list(self.crop), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PreprocessSpec:
        try:
            return cls(**{**d, "crop": tuple(d["crop"]), "mean": tuple(d["mean"]), "std": tuple(d["std"])})
        except (KeyError, TypeError) as exc:
            raise XportError(f"preprocessing {d} is incomplete or has unknown keys: {exc}") from None

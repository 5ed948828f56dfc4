"""Input/output descriptions of an artifact, and the validation that turns mistakes into clear errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from .errors import InputSpecError
from .layout import channels_first_perm, channels_last_name, channels_last_perm, is_channels_last


@dataclass(frozen=True)
class TensorSpec:
    """Name, shape and dtype (a NumPy dtype name such as ``"float32"``) of one model input/output.

    A dimension of -1 takes any size (the batch axis of a ``dynamic_batch`` export). ``layout`` names the axis
    order when the artifact's differs from the model's (``"NTHWC"`` for a channels-last video input); the
    shape is then in that order, and :meth:`from_model_layout` converts a tensor the model takes.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    layout: str = ""

    @classmethod
    def of(cls, name: str, tensor: torch.Tensor, dynamic_batch: bool = False) -> TensorSpec:
        dims = tuple(tensor.shape)
        # A dynamic batch is -1 (in a traced program's metadata it is a symbol, not a size).
        shape = (-1, *(int(d) for d in dims[1:])) if dynamic_batch and dims else tuple(int(d) for d in dims)
        return cls(name, shape, str(tensor.dtype).removeprefix("torch."))

    def matches(self, shape: tuple[int, ...]) -> bool:
        return len(shape) == len(self.shape) and all(s in (-1, d) for s, d in zip(self.shape, shape))

    def example_shape(self, batch: int = 1) -> tuple[int, ...]:
        """The shape with any dynamic dimension set to ``batch``."""
        return tuple(batch if d == -1 else d for d in self.shape)

    def channels_last(self) -> TensorSpec:
        """This input with the channel axis moved last (NCTHW → NTHWC, NCHW → NHWC); below 3-D it has none to move."""
        if len(self.shape) < 3:
            return self
        perm = channels_last_perm(len(self.shape))
        return TensorSpec(self.name, tuple(self.shape[p] for p in perm), self.dtype, channels_last_name(len(perm)))

    def from_model_layout(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` as the model takes it, rearranged into this spec's layout."""
        if not self.layout:
            return x
        return x.permute(channels_last_perm(x.dim())).contiguous()

    def model_shape(self) -> tuple[int, ...]:
        """The shape in the model's axis order (this spec's shape, un-permuted when its layout is channels-last)."""
        if not self.layout or not is_channels_last(self.layout):
            return self.shape
        return tuple(self.shape[p] for p in channels_first_perm(len(self.shape)))

    def to_model_layout(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` in this spec's layout (an artifact's output), rearranged as the model returns it."""
        if not self.layout or not is_channels_last(self.layout):
            return x
        return x.permute(channels_first_perm(x.dim())).contiguous()

    @classmethod
    def from_dict(cls, d: dict) -> TensorSpec:
        return cls(d["name"], tuple(d["shape"]), d["dtype"], d.get("layout", ""))

    def to_dict(self) -> dict:
        return asdict(self) | {"shape": list(self.shape)}

    def describe(self) -> str:
        dims = ", ".join("N" if d == -1 else str(d) for d in self.shape)
        return f"{self.dtype} tensor of shape [{dims}]" + (f" ({self.layout})" if self.layout else "")


def _as_numpy(value: Any) -> np.ndarray | None:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().contiguous().numpy()
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    return None


def validate_inputs(values: Sequence[Any], specs: Sequence[TensorSpec]) -> list[np.ndarray]:
    """Check count, type, dtype and shape of every input; return them as contiguous NumPy arrays."""
    if len(values) != len(specs):
        names = ", ".join(s.name for s in specs)
        raise InputSpecError("<all>", -1, f"{len(specs)} input(s) ({names})", f"{len(values)}")
    arrays = []
    for i, (value, spec) in enumerate(zip(values, specs)):
        array = _as_numpy(value)
        if array is None:
            raise InputSpecError(spec.name, i, spec.describe(), type(value).__name__)
        got = f"{array.dtype} tensor of shape {list(array.shape)}"
        if str(array.dtype) != spec.dtype:
            raise InputSpecError(spec.name, i, spec.describe(), got, f"convert with .to(torch.{spec.dtype})")
        if not spec.matches(tuple(array.shape)):
            hint = ("the artifact was exported with static shapes; re-export with example inputs of the shape "
                    "you will feed")
            if len(array.shape) == len(spec.shape) - 1:
                hint = "is the batch dimension missing? add it with x.unsqueeze(0)"
            raise InputSpecError(spec.name, i, spec.describe(), got, hint)
        arrays.append(array)
    return arrays


def in_model_layout(outputs: Sequence[torch.Tensor], specs: Sequence[TensorSpec]) -> list[torch.Tensor]:
    """An artifact's outputs as the model returns them: each rearranged from its spec's layout (outputs beyond the
    specs, of files xport did not write, as they are)."""
    return [specs[i].to_model_layout(o) if i < len(specs) else o for i, o in enumerate(outputs)]


def in_file_layout(values: Sequence[torch.Tensor], specs: Sequence[TensorSpec]) -> list[np.ndarray]:
    """The model's inputs as an artifact takes them: each rearranged into its spec's layout, then checked
    (:func:`validate_inputs`: InputSpecError names the input, expected and got)."""
    return validate_inputs([s.from_model_layout(x) for s, x in zip(specs, values)], specs)

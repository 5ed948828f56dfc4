"""Calibration: activation ranges and per-channel weight ranges, measured once and reused by every backend.

One pass over the calibration data feeds every requested backend's prepared graph (the graphs differ: each
backend's plan rewrites what it cannot run), recording each observer's min/max by the name of the node it
observes, and the bias shift int8 rounding causes at each conv/linear (:mod:`.bias_correction`). Saved as JSON; a
later export applies the recorded ranges and shifts without the data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from xport.errors import InputSpecError, ModelFormatError, XportError, pass_as
from xport.tensor_spec import TensorSpec

from .bias_correction import measure_shifts
from .observers import observers

log = logging.getLogger("xport")

FORMAT = "xport-calibration/1"
# Fewer clips than this give activation ranges that miss what real inputs reach.
ENOUGH_CLIPS = 8


def check_inputs(sample: Sequence[torch.Tensor], specs: Sequence[TensorSpec], index: int) -> None:
    if len(sample) != len(specs):
        raise InputSpecError("<all>", -1, f"{len(specs)} input(s)", f"{len(sample)} in calibration sample {index}")
    for i, (x, spec) in enumerate(zip(sample, specs)):
        if not isinstance(x, torch.Tensor) or not spec.matches(tuple(x.shape)):
            got = list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InputSpecError(spec.name, i, f"shape {list(spec.shape)}", f"{got} in calibration sample {index}",
                                 "calibration clips must have the example input's shape")


def _warn_if_unrepresentative(samples: Sequence[tuple[torch.Tensor, ...]]) -> None:
    """Warn, before minutes of calibration, about data whose ranges cannot be those of real clips."""
    if len(samples) < ENOUGH_CLIPS:
        log.warning("int8 calibration on %d clip(s): ranges from fewer than %d clips rarely cover real inputs; "
                    "pass a few dozen", len(samples), ENOUGH_CLIPS)
    constant = [i for i, s in enumerate(samples) if all(x.numel() and bool((x == x.flatten()[0]).all()) for x in s)]
    if constant:
        named = ", ".join(map(str, constant[:8])) + (" ..." if len(constant) > 8 else "")
        log.warning("calibration clip(s) %s are constant (every value the same): they measure no activation range; "
                    "calibrate on real clips", named)
    elif len(samples) > 1 and all(all(torch.equal(a, b) for a, b in zip(s, samples[0])) for s in samples[1:]):
        log.warning("all %d calibration clips are the same clip: ranges from one clip rarely cover real inputs",
                    len(samples))


@dataclass
class Calibration:
    """Calibration inputs (in memory only) and the ranges recorded per backend plan.

    ``ranges[plan_key][node_name] = (min, max)`` with per-channel lists for weights;
    ``bias_shifts[plan_key][node_name]`` = the per-channel output mean int8 takes off that conv/linear.
    """

    input_specs: tuple[TensorSpec, ...]
    inputs: list[tuple[torch.Tensor, ...]] = field(default_factory=list, repr=False)
    ranges: dict[str, dict[str, tuple[list[float], list[float]]]] = field(default_factory=dict)
    bias_shifts: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    save_to: Path | None = None  # written again whenever ranges are recorded (see :meth:`save_as_recorded`)

    @classmethod
    def from_data(cls, data: Iterable[Any], example: Sequence[torch.Tensor]) -> Calibration:
        """Collect calibration samples (tensors or tuples of tensors), checking each against ``example``."""
        specs = tuple(TensorSpec.of(f"input_{i}", x) for i, x in enumerate(example))
        samples = []
        for i, sample in enumerate(data):
            sample = (sample,) if isinstance(sample, torch.Tensor) else tuple(sample)
            check_inputs(sample, specs, i)
            samples.append(tuple(x.detach() for x in sample))
        if not samples:
            raise XportError("int8 needs calibration data (a few dozen real clips): pass "
                             + pass_as("calibration=<iterable of example inputs>", "--calibration DIR"))
        _warn_if_unrepresentative(samples)
        return cls(specs, samples)

    def save_as_recorded(self, path: Path | str) -> Path:
        """Write the ranges to ``path`` now and again each time a backend's ranges are recorded, so a long export
        that fails or is stopped after calibrating (a ``max_drop`` search) still leaves them for the next run."""
        self.save_to = Path(path)
        return self.save(self.save_to)

    def record(self, plan_key: str, prepared: torch.fx.GraphModule) -> None:
        self.ranges[plan_key] = {name: (obs.min_val.flatten().tolist(), obs.max_val.flatten().tolist())
                                 for name, obs in observers(prepared).items()}
        log.info("measuring int8 bias shifts of %s on %d sample(s)", plan_key, len(self.inputs))
        self.bias_shifts[plan_key] = measure_shifts(prepared, self.inputs)
        if self.save_to is not None:
            self.save(self.save_to)

    def apply(self, plan_key: str, prepared: torch.fx.GraphModule) -> bool:
        """Set every observer of ``prepared`` from the recorded ranges; False if some are not recorded."""
        recorded = self.ranges.get(plan_key, {})
        found = observers(prepared)
        if not recorded or any(name not in recorded for name in found):
            return False
        for name, obs in found.items():
            low, high = recorded[name]
            per_channel = hasattr(obs, "ch_axis")  # PerChannelMinMaxObserver: one range per output channel
            obs.min_val = torch.tensor(low if per_channel else low[0], dtype=torch.float32)
            obs.max_val = torch.tensor(high if per_channel else high[0], dtype=torch.float32)
        return True

    def save(self, path: Path | str) -> Path:
        """Write the recorded ranges as JSON (the inputs stay in memory)."""
        path = Path(path)
        path.write_text(json.dumps({"format": FORMAT, "inputs": [s.to_dict() for s in self.input_specs],
                                    "samples": len(self.inputs), "ranges": self.ranges,
                                    "bias_shifts": self.bias_shifts}), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path | str) -> Calibration:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if d.get("format") != FORMAT:
                raise ValueError(f"format {d.get('format')!r}")
            ranges = {k: {n: (lo, hi) for n, (lo, hi) in v.items()} for k, v in d["ranges"].items()}
            # Files saved before bias correction have no shifts: their exports are uncorrected, as they were.
            return cls(tuple(TensorSpec.from_dict(s) for s in d["inputs"]), [], ranges, d.get("bias_shifts", {}))
        except FileNotFoundError:
            raise ModelFormatError(path, "no such calibration file") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFormatError(path, f"is not an xport calibration file ({exc})") from None

"""The latency table of one backend on this machine: measured block latencies, and a fit for blocks not measured.

A block whose key was measured is priced at its measured median. Any other is priced by a least-squares fit over
the measured blocks of its class, ``ms ≈ a + b·GFLOPs + c·MB of activations`` (work and memory traffic, the two
things a CPU kernel's time follows), or over all blocks when its class has too few. A model is then
``overhead + scale × (sum of its blocks)``, both fitted over the whole models timed during the measurement: a
runtime may run blocks faster inside a model than alone (OpenVINO fuses across them and keeps its threads busy:
there a model of 30 blocks ran in 0.5 to 0.7 of its blocks' sum), and pays its per-call cost once.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .units import Unit

_MIN_FIT = 4  # measured blocks of a class needed for its own fit


@dataclass
class BlockTable:
    """Measured block latencies for ``backend`` at ``precision`` and ``threads``, with the machine they ran on."""

    backend: str
    precision: str
    threads: int
    machine: dict[str, Any]
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → unit fields + "ms"
    overhead_ms: float = 0.0
    wholes: list[dict[str, Any]] = field(default_factory=list)  # models timed whole: name, measured ms, block sum
    options: dict[str, Any] = field(default_factory=dict)  # the backend options every export used
    call_ms: float = 0.0  # one call of an almost empty model, taken off every block timed alone
    scale: float = 1.0  # whole model ≈ overhead_ms + scale × its blocks' sum (fitted_model)
    reference: str = ""  # the variant every block was timed beside, and its median ms over the measurement
    method: str = ""  # how blocks were timed: profiled inside whole models, or each exported alone
    reference_ms: float = 0.0

    def add(self, unit: Unit, ms: float) -> None:
        self.blocks[unit.key] = {**asdict(unit), "ms": ms}

    def fitted_model(self) -> tuple[float, float]:
        """(overhead ms, scale) of ``whole ≈ overhead + scale × blocks`` over the whole models timed: least squares
        with three or more models, else the median difference with scale 1."""
        if len(self.wholes) < 3:
            return (statistics.median(w["ms"] - w["blocks_ms"] for w in self.wholes) if self.wholes else 0.0), 1.0
        features = np.array([[1.0, w["blocks_ms"]] for w in self.wholes])
        (overhead, scale), *_ = np.linalg.lstsq(features, np.array([w["ms"] for w in self.wholes]), rcond=None)
        return float(overhead), float(scale)

    def _fit(self, kind: str) -> np.ndarray:
        rows = [b for b in self.blocks.values() if b["kind"] == kind]
        if len(rows) < _MIN_FIT:
            rows = list(self.blocks.values())
        features = np.array([[1.0, b["flops"] / 1e9, b["activation_bytes"] / 1e6] for b in rows])
        coefficients, *_ = np.linalg.lstsq(features, np.array([b["ms"] for b in rows]), rcond=None)
        return coefficients

    def price(self, unit: Unit) -> tuple[float, bool]:
        """(ms, measured): the measured median if this block was timed, else the fit's estimate."""
        if unit.key in self.blocks:
            return self.blocks[unit.key]["ms"], True
        a, b, c = self._fit(unit.kind)
        return max(0.0, a + b * unit.flops / 1e9 + c * unit.activation_bytes / 1e6), False

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def load(cls, path: Path | str) -> BlockTable:
        return cls(**json.loads(Path(path).read_text()))

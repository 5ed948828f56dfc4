"""Run an ``.mlpackage``: in Core ML (``MLModel.predict``) on macOS, in xport's MIL evaluator elsewhere.

Both open the package the same way first (:func:`.package.open_package`: layout, manifest, checksums), so a
damaged package is a :class:`~xport.errors.ModelFormatError` on every platform. ``runtime`` names which one
produces the numbers.
"""

from __future__ import annotations

import contextlib
import platform
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from xport.errors import ModelFormatError, UnsupportedNode, UnsupportedOpError

from . import BACKEND, EVALUATOR_STAND_IN, NAME, core_ml_available
from .mil_eval import Evaluator, ProgramError, UnknownOpsError, load_program
from .package import open_package

_REEXPORT = "the package is damaged, or was not written by xport; export it again"


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    if threads is None:
        yield
        return
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


class MilEvaluatorRunner:
    """The package's ML Program interpreted by :mod:`.mil_eval` (weights read from the package on disk)."""

    companions: tuple = ()

    def __init__(self, path: Path, threads: int | None = None):
        self.path = Path(path)
        spec, self.manifest, model_dir = open_package(self.path)
        try:
            self.program = load_program(spec, model_dir)
            self._evaluator = Evaluator(self.program)
        except UnknownOpsError as exc:
            hint = "run it in Core ML on macOS, or add a kernel in backends/coreml/mil_eval/kernels"
            raise UnsupportedOpError(NAME, [UnsupportedNode(op.name, f"MIL {op.type}", "", NAME, str(exc), hint)
                                            for op in exc.ops]) from exc
        except ProgramError as exc:
            raise ModelFormatError(self.path, f"its ML Program is unusable ({exc})", _REEXPORT) from exc
        self._names = [s.name for s in self.manifest.inputs]
        self.threads = threads
        self.stand_in = EVALUATOR_STAND_IN  # right numbers, but not Core ML's speed: benchmarks skip it
        self.runtime = (f"xport MIL evaluator (coremltools {version('coremltools')} program, "
                        f"{platform.system()}; torch {torch.__version__.split('+')[0]} CPU kernels)")

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        with _torch_threads(self.threads):
            try:
                outputs = self._evaluator.run(dict(zip(self._names, inputs)))
            except ProgramError as exc:
                raise ModelFormatError(self.path, f"its ML Program failed to run ({exc})", _REEXPORT) from exc
        return [outputs[s.name] for s in self.manifest.outputs]


class CoreMLRunner:
    """The package in Core ML itself (macOS only), on the compute units recorded at export."""

    companions: tuple = ()

    def __init__(self, path: Path, threads: int | None = None):
        self.path = Path(path)
        _spec, self.manifest, _ = open_package(self.path)
        units = self.manifest.extra["coreml"]["compute_units"]
        with BACKEND.quiet():
            import coremltools as ct

            try:
                self._model = ct.models.MLModel(str(self.path), compute_units=ct.ComputeUnit[units])
            except Exception as exc:  # Core ML raises bare RuntimeErrors/NSErrors for packages it rejects
                raise ModelFormatError(self.path, f"Core ML cannot load it ({str(exc)[:300]})", _REEXPORT) from exc
        self._names = [s.name for s in self.manifest.inputs]
        self.stand_in = ""
        self.runtime = f"Core ML (macOS {platform.mac_ver()[0]}, {units}; coremltools {version('coremltools')})"

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        outputs = self._model.predict(dict(zip(self._names, inputs)))
        return [np.asarray(outputs[s.name], dtype=np.float32) for s in self.manifest.outputs]


def load(path: Path, threads: int | None = None, evaluator: bool | None = None):
    """Open ``path`` in Core ML on macOS, else (or with ``evaluator=True``) in xport's MIL evaluator."""
    use_evaluator = not core_ml_available() if evaluator is None else evaluator
    return MilEvaluatorRunner(path, threads) if use_evaluator else CoreMLRunner(path, threads)

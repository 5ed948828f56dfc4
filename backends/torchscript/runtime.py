"""Run a ``.ptl`` in torch's lite interpreter (the same interpreter PyTorch Mobile ships)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch
import torch.jit.mobile

from xport.artifact import Manifest
from xport.errors import ModelFormatError

from . import BACKEND, NAME
from .engine import ENGINE, quantized_engine
from .ptl_format import read_manifest

FOREIGN_NOTE = "a lite-interpreter file records no input shapes"


class LiteRunner:
    companions: tuple = ()

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFormatError(self.path, "no such file")
        # A .ptl xport did not write (torch.jit.trace + _save_for_lite_interpreter) holds no input shapes: the
        # caller gives them (xport.foreign).
        self.manifest = read_manifest(self.path) or Manifest(NAME, "fp32", (), (), foreign=FOREIGN_NOTE)
        try:
            with BACKEND.quiet(), self._engine():
                self._module = torch.jit.mobile._load_for_lite_interpreter(str(self.path))
        except (RuntimeError, ValueError) as exc:
            raise ModelFormatError(self.path, f"the lite interpreter cannot load it ({str(exc).splitlines()[0]})",
                                   "the file is truncated or corrupt; export it again") from exc
        int8 = f" ({ENGINE} int8 kernels)" if self.manifest.precision == "int8" else ""
        self.runtime = f"torch {torch.__version__} lite interpreter{int8}"

    def _engine(self) -> contextlib.AbstractContextManager:
        """int8 files run on qnnpack kernels, as on phones (see engine.py); fp32 files need no engine."""
        return quantized_engine() if self.manifest.precision == "int8" else contextlib.nullcontext()

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        with torch.no_grad(), self._engine():
            result = self._module(*(torch.from_numpy(x) for x in inputs))
        outs = result if isinstance(result, (tuple, list)) else (result,)
        return [o.numpy() for o in outs]


def load(path: Path, threads: int | None = None) -> LiteRunner:
    """Open ``path`` in the runtime (raises ModelFormatError for missing, truncated or corrupt files).

    ``threads`` is accepted for a uniform interface only: the lite interpreter runs on torch's process-wide
    intra-op pool, which the caller sizes with ``torch.set_num_threads`` (as ``xport.bench`` does).
    """
    return LiteRunner(path)

"""Run a ``.ptl`` in torch's lite interpreter (the same interpreter PyTorch Mobile ships)."""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.jit.mobile

from xport.artifact import MANIFEST_KEY, Manifest
from xport.errors import ModelFormatError

from . import BACKEND
from .engine import ENGINE, quantized_engine


def read_manifest(path: Path) -> Manifest:
    """The manifest stored inside a ``.ptl`` (a zip archive); corrupt archives raise ModelFormatError."""
    try:
        with zipfile.ZipFile(path) as archive:
            entry = next((n for n in archive.namelist() if n.endswith(f"/extra/{MANIFEST_KEY}")), None)
            if entry is None:
                raise ModelFormatError(path, "no xport manifest inside", "export it with xport, or re-export")
            return Manifest.from_json(archive.read(entry).decode())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        raise ModelFormatError(path, f"not a valid lite-interpreter archive ({exc})",
                               "the file is truncated or corrupt; export it again") from exc


class LiteRunner:
    companions: tuple = ()

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFormatError(self.path, "no such file")
        self.manifest = read_manifest(self.path)
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

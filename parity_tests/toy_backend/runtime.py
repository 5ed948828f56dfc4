"""Run a ``.pt2`` with ``torch.export.load``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from xport.artifact import DEFAULT_THREADS, MANIFEST_KEY, Manifest
from xport.errors import ModelFormatError


class Pt2Runner:
    companions: tuple = ()

    def __init__(self, path: Path, threads: int = DEFAULT_THREADS):
        self.path = Path(path)
        extra = {MANIFEST_KEY: ""}
        try:
            program = torch.export.load(self.path, extra_files=extra)
        except Exception as exc:  # torch raises zipfile and pickle errors for damaged files
            raise ModelFormatError(self.path, f"torch.export.load cannot read it ({type(exc).__name__})",
                                   "export it again") from exc
        self.manifest = Manifest.from_json(extra[MANIFEST_KEY])
        self._module = program.module()
        self.runtime = f"torch {torch.__version__} (torch.export.load)"

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        with torch.no_grad():
            out = self._module(*(torch.from_numpy(x) for x in inputs))
        return [o.numpy() for o in (out if isinstance(out, (tuple, list)) else (out,))]


def load(path: Path, threads: int = DEFAULT_THREADS) -> Pt2Runner:
    return Pt2Runner(path, threads)

"""Exports shared across the test files of one run: each (case, backend, precision, options) is exported once.

The zoo's ExecuTorch lowering alone takes minutes; the op matrix, the zoo tests, the delegation checks and the ARM
stage all need the same artifacts. The cache lives in the run's temporary folder (shared by pytest-xdist workers,
which take turns through a file lock), so nothing survives the run and no test sees another run's files.

A cached artifact is opened from disk as an app would (:func:`xport.load`), with the example inputs of its export
attached so :func:`xport.verify` feeds the same inputs as after a fresh export. Tests that change, move or delete
an artifact's files export their own.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock

import xport
from xport.capture import as_input_tuple

_DONE = "export.json"


def _calibration_key(calibration: Any) -> str:
    """A calibration's identity: a digest of its clips (and any ranges it was loaded with)."""
    digest = hashlib.sha1(json.dumps(getattr(calibration, "ranges", {}), sort_keys=True).encode())
    for sample in getattr(calibration, "inputs", ()):
        for x in sample:
            digest.update(x.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


class ExportCache:
    """One folder per export under ``root``; see the module docstring."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def export(self, case: str, model: torch.nn.Module, inputs: Any, backend: str, precision: str = "fp32",
               **options: Any) -> xport.Artifact:
        """The artifact of ``model`` (called ``case``: it names the model and its weights) exported to ``backend``
        at ``precision`` with ``options`` (a calibration is keyed by its clips)."""
        keyed = {k: _calibration_key(v) if k == "calibration" else v for k, v in sorted(options.items())}
        shapes = [(tuple(x.shape), str(x.dtype)) for x in as_input_tuple(inputs)]  # the export depends on these
        digest = hashlib.sha1(repr((case, shapes, backend, precision, keyed)).encode()).hexdigest()[:12]
        folder = self.root / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', case)}-{backend}-{precision}-{digest}"
        done = folder / _DONE
        with FileLock(str(folder) + ".lock"):
            if not done.is_file():
                artifact = xport.export(model, inputs, backend, folder / "files", precision, **options)
                done.write_text(json.dumps({"path": artifact.path.name}))
        path = folder / "files" / json.loads(done.read_text())["path"]
        return replace(xport.load(path), example_inputs=as_input_tuple(inputs))

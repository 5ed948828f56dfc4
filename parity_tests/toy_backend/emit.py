"""Planned ExportedProgram → ``<name>.pt2`` with the manifest as an extra file."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.export import ExportedProgram

from xport.artifact import MANIFEST_KEY, Artifact
from xport.emit_options import EmitOptions

from . import NAME


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    path = Path(out_dir) / f"{options.name}.pt2"
    torch.export.save(program, path, extra_files={MANIFEST_KEY: options.manifest.to_json()})
    return Artifact(NAME, options.precision, path, (path,), options.manifest)

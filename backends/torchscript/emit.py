"""Planned ExportedProgram → ``<name>.ptl`` + ``<name>.operators.yaml`` (selective-build op list).

``torch.jit.trace`` of the unlifted program records exactly the ATen ops the planner left (not frozen: freezing
inlined the weights and constant lists but made causal X3D-XS's stream step only 3 % faster, 24.7 vs 25.3 ms in the
lite interpreter); the manifest rides along as the extra file ``xport.json``, with the file's checksum
(:mod:`.ptl_format`). ``optimize_for_mobile`` is not used: this torch build has no XNNPACK, and the planner
already did the rewrites it would do. A stream step runs channels-last, its state in NHWC (:mod:`.channels_last`).

int8: the program is xport.quant's QDQ graph; ``quantized.py`` lowers it to PyTorch's quantized kernels
(qnnpack, prepacked int8 weights) before tracing, so the ``.ptl`` computes in int8.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path

import torch
import torch.jit.mobile
from torch.export import ExportedProgram

from xport.artifact import MANIFEST_KEY, Artifact, Manifest
from xport.backends import checksum
from xport.emit_options import EmitOptions
from xport.errors import XportError
from xport.passes import unlift

from . import BACKEND, NAME
from .channels_last import channels_last_step
from .engine import quantized_engine
from .ptl_format import CHECKSUM_KEY, file_digest
from .quantized import lower_to_quantized

log = logging.getLogger("xport")


def _operator_list(ptl: Path) -> list[str]:
    module = torch.jit.mobile._load_for_lite_interpreter(str(ptl))
    return sorted(torch.jit.mobile._export_operator_list(module))


def _traceable(program: ExportedProgram, precision: str) -> torch.nn.Module:
    module = unlift(program)
    if precision != "int8":
        return module
    with BACKEND.quiet():
        lowered, kernels = lower_to_quantized(module)
    log.info("torchscript int8 kernels: %s", ", ".join(f"{k} ×{n}" for k, n in sorted(kernels.items())))
    return lowered


_SAVES = 5  # saves with the last checksum before giving up (measured: about one save in ten differs from the last)


def _save_sealed(traced: torch.jit.ScriptModule, path: Path, manifest: Manifest) -> Manifest:
    """Save ``traced`` with ``manifest`` and the file's checksum inside (:mod:`.ptl_format`); return the manifest.

    The checksum covers the manifest, so it is measured on one save and written by the next. torch's pickler
    sometimes numbers its memo differently from one save to the next (a few bytes of ``data.pkl``, same
    content), so the file is saved again, with the checksum of the last save, until a save keeps its checksum.
    """
    def save(m: Manifest) -> str:
        traced._save_for_lite_interpreter(str(path), _extra_files={MANIFEST_KEY: m.to_json()})
        return file_digest(path)

    measured = save(replace(manifest, extra={**manifest.extra, CHECKSUM_KEY: checksum.PLACEHOLDER}))
    for _attempt in range(_SAVES):
        sealed = replace(manifest, extra={**manifest.extra, CHECKSUM_KEY: measured})
        measured = save(sealed)
        if measured == sealed.extra[CHECKSUM_KEY]:
            return sealed
    raise XportError(f"torch saved {path.name} differently on each of {_SAVES + 1} saves, so its checksum cannot be "
                     "recorded; please report this with your torch version")


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    inputs, manifest = program.example_inputs[0], options.manifest
    path = Path(out_dir) / f"{options.name}.ptl"
    ops_path = Path(out_dir) / f"{options.name}.operators.yaml"
    int8 = options.precision == "int8"
    with BACKEND.quiet(), torch.no_grad(), quantized_engine() if int8 else contextlib.nullcontext():
        module = _traceable(program, options.precision)
        if "stream" in manifest.extra and not int8:  # int8 runs PyTorch's quantized kernels, NCHW as they are
            module, manifest, inputs = channels_last_step(module, manifest, inputs)
        traced = torch.jit.trace(module, inputs, check_trace=False).eval()
        manifest = _save_sealed(traced, path, manifest)
        ops = _operator_list(path)
    ops_path.write_text("# Root operators of this model, for a selective PyTorch Mobile build\n"
                        + "".join(f"- {op}\n" for op in ops))
    return Artifact(NAME, options.precision, path, (path, ops_path), manifest)

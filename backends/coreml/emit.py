"""Planned ExportedProgram → ``<name>.mlpackage`` (ML Program), via ``coremltools.convert`` (see ``__init__``).

Steps: check the program against the capabilities of the deployment target (3-D conv only from iOS 17); for
``int8``, check the QDQ program's forms (:mod:`.int8`); convert at the compute precision the xport precision names
(never coremltools' fp16 default by omission); compress the weights for ``int8w`` / ``pal*``; write descriptions
and metadata; save; store xport's manifest, with checksums, in the saved model's metadata (:mod:`.package`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from torch.export import ExportedProgram

from xport.artifact import Artifact
from xport.emit_options import EmitOptions
from xport.errors import XportError

from . import BACKEND, NAME, int8
from .caps import TARGETS
from .compress import compress
from .convert import COMPUTE_UNITS, convert
from .metadata import describe, summary_of
from .mil_eval import load_program
from .package import read_spec, spec_path, write_manifest
from .precisions import PRECISIONS, Precision

log = logging.getLogger("xport")

# coremltools writes this torch.export debug map into the package for ExecuTorch's Core ML delegate; Core ML
# does not read it (it is not in the package's Manifest.json) and it is 10 % of a small model's package.
_DEBUG_MAP = "executorch_debug_handle_mapping.json"


def _compute(precision_name: str, precision: Precision, requested: str | None) -> str:
    if requested is None:
        return precision.compute
    if requested not in ("fp32", "fp16"):
        raise XportError(f"compute_precision='{requested}': use 'fp32' or 'fp16'")
    if not (precision.compressed or precision.quantized_activations) and requested != precision.compute:
        raise XportError(f"precision '{precision_name}' computes in {precision.compute}; compute_precision applies "
                         "to the compressed precisions (int8, int8w, pal8, pal6, pal4) only")
    return requested


def _settings(options: EmitOptions) -> tuple[str, Precision, str, str]:
    s = options.settings
    target = s["minimum_deployment_target"]
    if target not in TARGETS:
        raise XportError(f"minimum_deployment_target='{target}' is not one of {', '.join(TARGETS)}")
    if s["compute_units"] not in COMPUTE_UNITS:
        raise XportError(f"compute_units='{s['compute_units']}' is not one of {', '.join(COMPUTE_UNITS)}")
    precision = PRECISIONS[options.precision]  # int8 below iOS 17 was refused before export began (check_request)
    return target, precision, _compute(options.precision, precision, s["compute_precision"]), s["compute_units"]


def _summary(package: Path) -> tuple[dict[str, int], list[int]]:
    """MIL op counts and conv ranks of the saved program (read back from disk: what an app gets)."""
    program = load_program(read_spec(package), spec_path(package).parent)
    shapes = {out.name: out.shape for op in program.ops for out in op.outputs}
    ranks = sorted({len(shapes[op.inputs["weight"][0].name]) - 2 if op.inputs["weight"][0].name
                    else op.inputs["weight"][0].value.ndim - 2 for op in program.ops if op.type == "conv"})
    return program.op_types(), ranks


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    target, precision, compute, units = _settings(options)
    manifest = options.manifest
    qdq = None
    if precision.quantized_activations:
        program = int8.qdq_program(program)
        qdq = int8.qdq_counts(program)
    mlmodel = convert(program, manifest, target, compute, units)
    mlmodel = compress(mlmodel, precision, target, options.settings["weight_threshold"])
    compression = precision.doc if precision.compressed or qdq is not None else f"{compute} weights"
    describe(mlmodel, manifest, options.settings, summary_of(options.precision, compute, target, compression))

    path = Path(out_dir) / f"{options.name}.mlpackage"
    with BACKEND.quiet():
        mlmodel.save(str(path))
    if (path / _DEBUG_MAP).is_file():
        (path / _DEBUG_MAP).unlink()
    ops, conv_ranks = _summary(path)
    coreml = {
        "minimum_deployment_target": target, "compute_precision": compute, "compute_units": units,
        "weights": compression, "weight_threshold": options.settings["weight_threshold"],
        "conv_ranks": conv_ranks, "mil_ops": dict(sorted(ops.items())),
    }
    if qdq is not None:  # what the package holds: MIL quantize/dequantize ops and int8 constexpr weights
        coreml["int8"] = int8.check_converted(qdq, ops)
    manifest = write_manifest(path, replace(manifest, extra={**manifest.extra, "coreml": coreml}))
    log.info("%s.mlpackage: %d MIL ops for %s, %s arithmetic, %s", options.name, sum(ops.values()), target, compute,
             compression)
    return Artifact(NAME, options.precision, path, (path,), manifest)


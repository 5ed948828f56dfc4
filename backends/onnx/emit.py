"""Planned ExportedProgram → ``<name>.onnx`` (+ ``<name>.ort``, ``<name>.required_operators.config``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import onnx
import torch
from torch.export import ExportedProgram

from xport._warnings import quiet_export
from xport.artifact import MANIFEST_KEY, Artifact
from xport.emit_options import EmitOptions
from xport.errors import XportError

from . import BACKEND, MIN_OPSET, NAME
from .fp16 import to_fp16
from .int8 import int8_sigmoid_in_silu, unsigned_activations


def _to_onnx(program: ExportedProgram, options: EmitOptions) -> onnx.ModelProto:
    manifest = options.manifest
    if options.precision == "int8":
        int8_sigmoid_in_silu(program)
        activations = options.settings["int8_activations"]
        if activations == "uint8":
            unsigned_activations(program)
        manifest.extra["int8"]["activations"] = activations
    with BACKEND.quiet(), quiet_export(), torch.no_grad():
        onnx_program = torch.onnx.export(
            program, program.example_inputs[0], dynamo=True, external_data=False, verbose=False,
            opset_version=int(options.settings["opset"]),
            input_names=[s.name for s in manifest.inputs], output_names=[s.name for s in manifest.outputs])
    model = onnx_program.model_proto
    written = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if written != int(options.settings["opset"]):  # torch.onnx falls back silently when it cannot convert
        raise XportError(f"torch.onnx could not write opset {options.settings['opset']} (it wrote {written}); "
                         f"choose an opset from {MIN_OPSET} to {onnx.defs.onnx_opset_version()}")
    if options.precision == "fp16":
        model = to_fp16(model)
    entry = model.metadata_props.add()
    entry.key, entry.value = MANIFEST_KEY, manifest.to_json()
    model.producer_name = "xport"
    return model


def _to_ort(onnx_path: Path) -> list[Path]:
    """ORT Mobile's format and the operator config for a reduced ORT build (ORT's own tool)."""
    cmd = [sys.executable, "-m", "onnxruntime.tools.convert_onnx_models_to_ort", str(onnx_path),
           "--output_dir", str(onnx_path.parent), "--optimization_style", "Fixed"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    ort_path = onnx_path.with_suffix(".ort")
    config = onnx_path.with_suffix(".required_operators.config")
    if done.returncode != 0 or not ort_path.exists():
        raise XportError(f"onnxruntime could not convert {onnx_path.name} to .ort:\n{done.stderr[-2000:]}")
    return [ort_path, config]


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    path = Path(out_dir) / f"{options.name}.onnx"
    onnx.save(_to_onnx(program, options), str(path))
    files = [path]
    if options.settings["ort_format"]:
        files += _to_ort(path)
    return Artifact(NAME, options.precision, path, tuple(files), options.manifest)

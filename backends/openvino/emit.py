"""Planned ExportedProgram → ``<name>.xml`` + ``<name>.bin`` (OpenVINO IR), manifest in the IR's rt_info."""

from __future__ import annotations

from pathlib import Path

import openvino as ov
from torch.export import ExportedProgram

from xport._warnings import quiet_export
from xport.artifact import Artifact
from xport.emit_options import EmitOptions

from . import NAME
from .int8 import FLOAT_ISLAND, float_input_for_signed_depthwise
from .state import make_stateful

MANIFEST_RT_KEY = ["xport", "manifest"]


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    xml = Path(out_dir) / f"{options.name}.xml"
    manifest = options.manifest
    if options.precision == "int8" and (kept_float := float_input_for_signed_depthwise(program)):
        islands = manifest.extra["int8"]["float_islands"]
        islands[FLOAT_ISLAND] = islands.get(FLOAT_ISLAND, 0) + kept_float
    with quiet_export():
        model = ov.convert_model(program)
    # The converter leaves dimensions dynamic; static shapes let the CPU plugin pick faster kernels.
    model.reshape({model.inputs[i]: list(spec.shape) for i, spec in enumerate(options.manifest.inputs)})
    for port, spec in zip(model.outputs, options.manifest.outputs):
        port.get_tensor().set_names({spec.name})
    for port, spec in zip(model.inputs, options.manifest.inputs):
        port.get_tensor().set_names({spec.name})
    if "stream" in manifest.extra and options.settings["native_state"]:
        model, manifest = make_stateful(model, manifest)
    manifest.extra["device"] = options.settings["device"]
    model.set_rt_info(manifest.to_json(), MANIFEST_RT_KEY)
    # fp16 artifacts store fp16 weights (half the size); fp32 and bf16 keep fp32 weights, and bf16 is a
    # runtime choice (inference precision hint).
    ov.save_model(model, str(xml), compress_to_fp16=options.precision == "fp16")
    weights = xml.with_suffix(".bin")
    return Artifact(NAME, options.precision, xml, (xml, weights), manifest, companions=(weights,))

"""Planned ExportedProgram → ``<name>.tflite`` + ``<name>.operators.txt`` (builtin ops for a selective build).

The manifest rides inside the flatbuffer as the metadata entry ``xport.json``, with the file's checksum
(:mod:`xport.backends.checksum`); the graph's single signature
(``serving_default``) names the inputs and outputs as the manifest does, so Android code can call it by name.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from torch.export import ExportedProgram

from xport.artifact import MANIFEST_KEY, Artifact
from xport.backends import checksum
from xport.emit_options import EmitOptions
from xport.errors import XportError
from xport.layout import is_channels_last
from xport.passes import unlift
from xport.tensor_spec import TensorSpec

from . import NAME
from .convert import Converter
from .flatbuffer import BuiltinOperator
from .lowerings import LOWERINGS
from .runtime import CHECKSUM_KEY

log = logging.getLogger("xport")


def _channels_last(spec: TensorSpec, layout: str) -> TensorSpec:
    """``spec`` as the app feeds it under ``input_layout=layout``; an input of another rank is refused, since its
    axis 1 need not be channels (fused preprocessing takes frames (T, H, W, 3), channels last already)."""
    if len(spec.shape) < 3:
        return spec
    if len(spec.shape) != len(layout):
        raise XportError(f"input_layout='{layout}' is for {len(layout)}-D inputs, but input '{spec.name}' has shape "
                         f"{list(spec.shape)}; leave input_layout at its default for this model (a model with fused "
                         "preprocessing takes channels-last frames already)")
    return spec.channels_last()


def emit(program: ExportedProgram, options: EmitOptions, out_dir: Path) -> Artifact:
    manifest = options.manifest
    layout = options.settings["input_layout"]
    if is_channels_last(layout, "input_layout"):
        manifest = replace(manifest, inputs=tuple(_channels_last(s, layout) for s in manifest.inputs))
    if "stream" in manifest.extra:  # NHWC state: in PyTorch's layout a TRANSPOSE would wrap each (X3D-XS: 123)
        manifest = manifest.with_channels_last_state()
    converter = Converter(unlift(program), LOWERINGS, half_weights=options.precision == "fp16")
    inputs, outputs = converter.convert(manifest.inputs, manifest.outputs)
    writer = converter.writer
    ops = writer.op_names()
    transposes = writer.count(BuiltinOperator.TRANSPOSE)
    manifest.extra["tflite_ops"] = len(writer.operators)
    manifest.extra["tflite_transposes"] = transposes
    log.info("%s.tflite: %d ops (%d TRANSPOSE), builtin op types: %s", options.name, len(writer.operators),
             transposes, ", ".join(ops))
    manifest.extra[CHECKSUM_KEY] = checksum.PLACEHOLDER
    writer.add_metadata(MANIFEST_KEY, manifest.to_json().encode())
    path = Path(out_dir) / f"{options.name}.tflite"
    data = writer.finish(inputs, outputs, description=f"xport {manifest.xport_version}: {manifest.source}")
    data, manifest.extra[CHECKSUM_KEY] = checksum.seal(data, CHECKSUM_KEY)
    path.write_bytes(data)
    ops_path = Path(out_dir) / f"{options.name}.operators.txt"
    ops_path.write_text("# Builtin LiteRT operators of this model, for a selective LiteRT build\n"
                        + "".join(f"{op}\n" for op in ops))
    return Artifact(NAME, options.precision, path, (path, ops_path), manifest)


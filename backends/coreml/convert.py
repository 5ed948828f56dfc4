"""Planned ExportedProgram → in-memory ``coremltools.models.MLModel`` (ML Program), via ``coremltools.convert``.

The inputs and outputs keep the manifest's names, shapes and dtypes (float32 even when the program computes in
fp16: coremltools inserts the casts, so an app feeds and reads the same arrays at every precision).
"""

from __future__ import annotations

import numpy as np
from torch.export import ExportedProgram

from xport.artifact import Manifest
from xport.errors import XportError

from . import BACKEND
from .legalize import legalize

with BACKEND.quiet():
    import coremltools as ct

# Deployment targets xport accepts → coremltools' enum (ML Program needs iOS15 / macOS12 or later).
_CT_TARGETS = {name: getattr(ct.target, name) for name in
               ("iOS15", "iOS16", "iOS17", "iOS18", "macOS12", "macOS13", "macOS14", "macOS15")}
COMPUTE_UNITS = {unit.name: unit for unit in ct.ComputeUnit}
_PRECISION = {"fp32": ct.precision.FLOAT32, "fp16": ct.precision.FLOAT16}


def _tensor_type(spec, with_shape: bool) -> ct.TensorType:
    """A float32 (or int32 input) tensor with its shape, or an output (coremltools infers output shapes and
    refuses given ones). Core ML multi-arrays hold no uint8: frames for a fused model come as float32 or int32."""
    dtype = np.dtype(spec.dtype)
    if dtype != np.float32 and not (with_shape and dtype == np.int32):
        raise XportError(f"'{spec.name}' is a {spec.dtype} tensor; Core ML models take float32 or int32 inputs "
                         "and give float32 outputs. Fix: convert the tensor in the app, e.g. uint8 frames to float32")
    if with_shape:
        return ct.TensorType(name=spec.name, shape=spec.shape, dtype=dtype.type)
    return ct.TensorType(name=spec.name, dtype=np.float32)


def _returns_an_input(program: ExportedProgram) -> bool:
    """Whether an output is an input passed through unchanged (a model that is the identity on it)."""
    nodes = list(program.graph.nodes)
    placeholders = {n for n in nodes if n.op == "placeholder"}
    (returned,) = (n.args[0] for n in nodes if n.op == "output")
    return any(r in placeholders for r in returned)


def convert(program: ExportedProgram, manifest: Manifest, target: str, compute: str,
            compute_units: str) -> ct.models.MLModel:
    """The ML Program of ``program`` for ``target``, computing in ``compute`` ("fp32" or "fp16")."""
    if any(-1 in s.shape for s in manifest.inputs):
        raise XportError("the Core ML backend writes fixed shapes; export with dynamic_batch=False")
    # An output that is an input: naming it fails in coremltools 9.0 (its name sanitizer asserts); unnamed,
    # coremltools inserts an identity op, and the output is renamed afterwards.
    program = legalize(program)
    passthrough = _returns_an_input(program)
    outputs = None if passthrough else [_tensor_type(s, False) for s in manifest.outputs]
    with BACKEND.quiet():
        try:
            mlmodel = ct.convert(
                program, convert_to="mlprogram", minimum_deployment_target=_CT_TARGETS[target],
                compute_precision=_PRECISION[compute], compute_units=COMPUTE_UNITS[compute_units],
                inputs=[_tensor_type(s, True) for s in manifest.inputs], outputs=outputs)
        except ValueError as exc:
            if "rank <= 5" not in str(exc):
                raise
            # coremltools folds a reshape → permute → reshape of more than 5 dims (Video Swin's windows) into
            # 5-D ops at fp32/fp16; int8's quantize/dequantize between them keep the 6-D+ tensor.
            raise XportError(f"Core ML tensors have at most 5 dims ({exc}). Fix: export this model to Core ML at "
                             "fp32/fp16, or with precision 'int8w' (int8 weights only)") from None
        if passthrough:
            spec = mlmodel.get_spec()
            _name_outputs(spec, [s.name for s in manifest.outputs])
            mlmodel = ct.models.MLModel(spec, weights_dir=mlmodel.weights_dir, skip_model_load=True,
                                        compute_units=COMPUTE_UNITS[compute_units])
    return mlmodel


def _name_outputs(spec, names: list[str]) -> None:
    """Give the outputs ``names``. coremltools 9.0 leaves a passed-through input as the block's output (input and
    output share one name) and the identity op it inserted unused: that op's result becomes the output."""
    main = spec.mlProgram.functions["main"]
    block = main.block_specializations[main.opset]
    inputs = {i.name for i in main.inputs}
    for i, new in enumerate(names):
        old = block.outputs[i]
        if old not in inputs:
            ct.utils.rename_feature(spec, old, new, rename_inputs=False)
            continue
        copies = [op for op in block.operations if op.type == "identity" and op.inputs["x"].arguments[0].name == old]
        if not copies:
            raise XportError(f"coremltools returned input '{old}' as an output without an op; Core ML cannot name it")
        copies[0].outputs[0].name = new
        block.outputs[i] = new
        spec.description.output[i].name = new

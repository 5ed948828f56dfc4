"""Planned ExportedProgram → in-memory ``coremltools.models.MLModel`` (ML Program), via ``coremltools.convert``.

The inputs and outputs keep the manifest's names, shapes and dtypes (float32 even when the program computes in
fp16: coremltools inserts the casts, so an app feeds and reads the same arrays at every precision).
"""

from __future__ import annotations

import numpy as np
from torch.export import ExportedProgram

from xport._warnings import quiet_coremltools
from xport.artifact import Manifest
from xport.errors import XportError

with quiet_coremltools():
    import coremltools as ct

# Deployment targets xport accepts → coremltools' enum (ML Program needs iOS15 / macOS12 or later).
_CT_TARGETS = {name: getattr(ct.target, name) for name in
               ("iOS15", "iOS16", "iOS17", "iOS18", "macOS12", "macOS13", "macOS14", "macOS15")}
COMPUTE_UNITS = {unit.name: unit for unit in ct.ComputeUnit}
_PRECISION = {"fp32": ct.precision.FLOAT32, "fp16": ct.precision.FLOAT16}


def _tensor_type(spec, with_shape: bool) -> "ct.TensorType":
    """A float32 input (with its shape) or output (coremltools infers output shapes and refuses given ones)."""
    if np.dtype(spec.dtype) != np.float32:
        raise XportError(f"'{spec.name}' is a {spec.dtype} tensor; the Core ML backend writes float32 inputs and "
                         "outputs only")
    if with_shape:
        return ct.TensorType(name=spec.name, shape=spec.shape, dtype=np.float32)
    return ct.TensorType(name=spec.name, dtype=np.float32)


def convert(program: ExportedProgram, manifest: Manifest, target: str, compute: str,
            compute_units: str) -> "ct.models.MLModel":
    """The ML Program of ``program`` for ``target``, computing in ``compute`` ("fp32" or "fp16")."""
    if any(-1 in s.shape for s in manifest.inputs):
        raise XportError("the Core ML backend writes fixed shapes; export with dynamic_batch=False")
    with quiet_coremltools():
        return ct.convert(
            program, convert_to="mlprogram", minimum_deployment_target=_CT_TARGETS[target],
            compute_precision=_PRECISION[compute], compute_units=COMPUTE_UNITS[compute_units],
            inputs=[_tensor_type(s, True) for s in manifest.inputs],
            outputs=[_tensor_type(s, False) for s in manifest.outputs])

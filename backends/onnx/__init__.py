"""ONNX (``.onnx``, one file) for ONNX Runtime, plus ``.ort`` and its operator config for ORT Mobile.

Emission uses the ecosystem's own converter, ``torch.onnx.export(dynamo=True)`` from the planned
ExportedProgram (it is reliable on every spec op), then ONNX Runtime's ``convert_onnx_models_to_ort`` tool.
Runtime: ``onnxruntime.InferenceSession`` with the ARM/XNNPACK execution providers when the installed
build has them, otherwise the CPU provider (and the artifact says which one ran).
"""

from __future__ import annotations

from xport.backends.contract import AppRuntime, ArmRunner, BackendSpec, Option, installed

from . import app
from .caps import CAPS

NAME = "onnx"


BACKEND = BackendSpec(
    name=NAME,
    summary="ONNX for ONNX Runtime (.onnx; .ort and its operator config for ORT Mobile)",
    suffixes=(".onnx", ".ort"),
    caps=CAPS,
    probe=installed("onnxruntime"),
    requires=("onnx", "onnxruntime", "onnxscript"),
    extra="onnx",
    options={
        "opset": Option(18, "ONNX opset version to write (18 is what ORT Mobile 1.17+ and most converters read)"),
        "ort_format": Option(True, "also write <name>.ort and <name>.required_operators.config for ONNX Runtime "
                                   "Mobile"),
        "decompose": Option((), "spec ops to decompose even though they are native, e.g. ('conv3d',) for XNNPACK "
                                "EPs"),
    },
    apps={"android": AppRuntime("ONNX Runtime Mobile (Gradle: com.microsoft.onnxruntime:onnxruntime-android)",
                                app.kotlin, app_file_suffix=".ort")},
    arm=ArmRunner("arm_runner.py", wheels=("onnxruntime",)),
)

__all__ = ["NAME", "BACKEND", "CAPS"]

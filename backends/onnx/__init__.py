"""ONNX (``.onnx``, one file) for ONNX Runtime, plus ``.ort`` and its operator config for ORT Mobile.

Emission uses the ecosystem's own converter, ``torch.onnx.export(dynamo=True)`` from the planned
ExportedProgram (it is reliable on every spec op), then ONNX Runtime's ``convert_onnx_models_to_ort`` tool.
Runtime: ``onnxruntime.InferenceSession`` with the ARM/XNNPACK execution providers when the installed
build has them, otherwise the CPU provider (and the artifact says which one ran).
"""

from __future__ import annotations

import importlib.util

from .caps import CAPS

NAME = "onnx"
SUFFIXES = (".onnx", ".ort")
OPTIONS = {
    "opset": (18, "ONNX opset version to write (18 is what ORT Mobile 1.17+ and most converters read)"),
    "ort_format": (True, "also write <name>.ort and <name>.required_operators.config for ONNX Runtime Mobile"),
    "decompose": ((), "spec ops to decompose even though they are native, e.g. ('conv3d',) for XNNPACK EPs"),
}


def is_available() -> tuple[bool, str]:
    missing = [m for m in ("onnx", "onnxruntime", "onnxscript") if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"missing {', '.join(missing)}: pip install -c constraints.txt 'xport[onnx]'"
    import onnxruntime

    return True, f"onnxruntime {onnxruntime.__version__}"


__all__ = ["NAME", "CAPS", "SUFFIXES", "OPTIONS", "is_available"]

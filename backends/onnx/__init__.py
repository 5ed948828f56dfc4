"""ONNX (``.onnx``, one file) for ONNX Runtime, plus ``.ort`` and its operator config for ORT Mobile.

Emission uses the ecosystem's own converter, ``torch.onnx.export(dynamo=True)`` from the planned
ExportedProgram (it is reliable on every spec op), then ONNX Runtime's ``convert_onnx_models_to_ort`` tool.
Runtime: ``onnxruntime.InferenceSession`` with the ARM/XNNPACK execution providers when the installed
build has them, otherwise the CPU provider (and the artifact says which one ran).
"""

from __future__ import annotations

from xport._warnings import Quieting
from xport.backends.contract import AppRuntime, ArmRunner, BackendSpec, Option, installed
from xport.errors import XportError
from xport.tolerances import Tolerance

from . import app
from .caps import CAPS

NAME = "onnx"
MIN_OPSET = 18  # torch.onnx's dynamo exporter writes opset 18 and up
INT8_ACTIVATIONS = ("uint8", "int8")  # see .int8: uint8 is what ORT's CPU provider fuses on x86 and ARM


def check_request(settings: dict, precision: str) -> None:
    """Refuse an opset torch.onnx cannot write before the export starts (it would convert, fail and fall back)."""
    import onnx  # the toolchain is installed: check_request runs after the backend was found available

    opset, newest = settings["opset"], onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise XportError(f"torch.onnx could not write opset {opset!r}; choose an opset from {MIN_OPSET} to "
                         f"{newest} (e.g. --option opset={MIN_OPSET})")
    if settings["int8_activations"] not in INT8_ACTIVATIONS:
        raise XportError(f"int8_activations={settings['int8_activations']!r} is not one of {INT8_ACTIVATIONS}")


BACKEND = BackendSpec(
    name=NAME,
    summary="ONNX for ONNX Runtime (.onnx; .ort and its operator config for ORT Mobile)",
    suffixes=(".onnx", ".ort"),
    caps=CAPS,
    probe=installed("onnxruntime"),
    requires=("onnx", "onnxruntime", "onnxscript"),
    extra="onnx",
    check_request=check_request,
    options={
        "opset": Option(18, "ONNX opset version to write (18 is what ORT Mobile 1.17+ and most converters read)"),
        "ort_format": Option(True, "also write <name>.ort and <name>.required_operators.config for ONNX Runtime "
                                   "Mobile"),
        "int8_activations": Option("uint8", "int8 files: the activations' integer type. uint8: ORT's CPU provider "
                                            "runs QLinearConv/QLinearAdd on x86 and ARM; int8: the signed form "
                                            "XNNPACK's per-channel kernels take (ORT's XNNPACK EP); int8 convs run in "
                                            "float on x86"),
        "decompose": Option((), "spec ops to decompose even though they are native, e.g. ('conv3d',) for XNNPACK "
                                "EPs"),
    },
    tolerances={
        "fp16": Tolerance(
            max_rel=1e-2, min_sqnr_db=40.0, min_cosine=0.9999, min_top1=0.75,
            reason="float16 weights and activations (11 significant bits) between fp32 inputs and outputs; ORT's "
                   "x86 CPU provider computes each op in fp32 between casts to fp16. Measured on X3D-XS (2026-12-03, "
                   "ORT 1.32): max rel 3.4e-4, SQNR 72.9 dB (30x headroom); top-1 flipped on one near-tie of the 4 "
                   "default inputs (random weights), as it may on any"),
    },
    # torch.onnx logs one warning per torchvision op it cannot register (xport never uses torchvision), and
    # onnxscript's version converter logs a traceback before torch.onnx falls back to the opset it can write
    # (xport then raises its own error naming the opsets that work).
    quieting=Quieting(muted_loggers=("torch.onnx._internal.exporter._registration", "onnxscript.version_converter")),
    apps={"android": AppRuntime("ONNX Runtime Mobile (Gradle: com.microsoft.onnxruntime:onnxruntime-android)",
                                app.kotlin, app_file_suffix=".ort")},
    arm=ArmRunner("arm_runner.py", wheels=("onnxruntime",)),
    profiler="ONNX Runtime's JSON profile (SessionOptions.enable_profiling)",
)

__all__ = ["NAME", "BACKEND", "CAPS"]

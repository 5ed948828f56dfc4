"""TorchScript Lite (``.ptl``) for the PyTorch Mobile lite interpreter.

Emission: trace the planned graph, freeze it, save for the lite interpreter, and write the operator list
a selective mobile build needs. Runtime: torch's own lite interpreter.
"""

from __future__ import annotations

from xport._warnings import Quieting
from xport.backends.contract import AppRuntime, BackendSpec, Option, Unavailable

from . import app
from .caps import CAPS

NAME = "torchscript"


def _probe() -> str:
    import torch

    if not hasattr(torch._C, "_load_for_lite_interpreter"):
        raise Unavailable(f"this torch build ({torch.__version__}) has no lite interpreter")
    return f"torch {torch.__version__} lite interpreter"


BACKEND = BackendSpec(
    name=NAME,
    summary="TorchScript Lite (.ptl) for the PyTorch Mobile lite interpreter",
    suffixes=(".ptl",),
    caps=CAPS,
    probe=_probe,
    options={
        "decompose": Option(("conv3d",), "spec ops to decompose even though they are native; conv3d is a slow "
                                         "reference kernel in the mobile interpreter"),
    },
    # TorchScript, the lite interpreter and quantized tensors are deprecated in torch 2.13, yet they are what PyTorch
    # Mobile apps load and its int8 kernels take today; this backend exists precisely for those apps.
    quieting=Quieting(warnings=(
        (r"`torch\.jit\.(trace|trace_method|freeze|script)` is deprecated", DeprecationWarning, r"torch\.jit\..*"),
        (r"Lite Interpreter is deprecated", DeprecationWarning, r""),
        (r"torch\.quantize_per_tensor, torch\.quantize_per_channel and other quantized tensor creation functions",
         UserWarning, r""),
    )),
    apps={"android": AppRuntime("PyTorch Mobile lite interpreter (Gradle: org.pytorch:pytorch_android_lite)",
                                app.kotlin, default_order=2, notes=app.notes),
          "ios": AppRuntime("PyTorch Mobile lite interpreter (CocoaPods: LibTorch-Lite)", app.swift,
                            notes=app.notes)},
    profiler="torch.profiler around the lite interpreter (its ATen and quantized:: calls)",
)

__all__ = ["NAME", "BACKEND", "CAPS"]

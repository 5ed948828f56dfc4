"""ExecuTorch (``.pte``) with the XNNPACK delegate: PyTorch's on-device runtime, successor of the lite interpreter.

Emission uses ExecuTorch's own lowering (``to_edge_transform_and_lower`` with the XNNPACK partitioner) on the
planned ExportedProgram, after xport's passes have made every node delegable. Runtime: ExecuTorch's Python
runtime (``executorch.runtime``).
"""

from __future__ import annotations

from xport._warnings import EXECUTORCH_EXPORTER, Quieting
from xport.backends.contract import AppRuntime, ArmRunner, BackendSpec, Option, installed
from xport.tolerances import XNNPACK_INT8_ARM

from . import app
from .caps import CAPS

NAME = "executorch"


BACKEND = BackendSpec(
    name=NAME,
    summary="ExecuTorch program with the XNNPACK delegate (.pte)",
    suffixes=(".pte",),
    caps=CAPS,
    probe=installed("executorch", "XNNPACK delegate"),
    requires=("executorch",),
    extra="executorch",
    options={
        "strict": Option(False, "fail the export if any node stays on ExecuTorch's portable (non-XNNPACK) kernels"),
        "decompose": Option((), "spec ops to decompose even though they are native"),
    },
    # On import and while lowering: the exporter's notices (xport._warnings), the Python runtime bindings announce
    # that they are experimental, and the XNNPACK partitioner calls logging.basicConfig() when imported (every
    # record of every library, xport's progress included, would print twice).
    quieting=EXECUTORCH_EXPORTER + Quieting(
        warnings=((r"This API is experimental and subject to change without notice", Warning,
                   r"executorch\.extension\.pybindings\."),),
        keep_root_logger=True),
    apps={"android": AppRuntime("ExecuTorch with XNNPACK (Gradle: org.pytorch:executorch-android)", app.kotlin),
          "ios": AppRuntime("ExecuTorch with XNNPACK (Swift package: executorch)", app.swift)},
    # ExecuTorch's Python runtime (its pybindings) links libtorch and exchanges torch tensors, so the aarch64 torch
    # wheel is part of its runtime; both are unpacked without pip, so their import-time dependencies are listed.
    arm=ArmRunner("arm_runner.py", unpacked=("executorch", "torch"),
                  import_deps=("typing_extensions", "sympy", "filelock", "networkx", "jinja2", "fsspec",  # torch
                               "ruamel.yaml", "pyyaml", "flatbuffers", "packaging", "tabulate"),  # executorch.runtime
                  tolerances={"int8": XNNPACK_INT8_ARM}),
    profiler="ExecuTorch's ETDump, read with its Inspector (XNNPACK operators inside the delegate)",
)

__all__ = ["NAME", "BACKEND", "CAPS"]

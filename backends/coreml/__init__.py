"""Core ML (``.mlpackage``, an ML Program) for iOS and macOS apps.

Emission uses the ecosystem's own converter, ``coremltools.convert`` on the planned ExportedProgram, rather
than building MIL with the MIL builder: after xport's passes every node is a spec op coremltools' torch
frontend converts (checked case by case in ``parity_tests``), and its MIL pass pipeline (constant folding,
fp16 cast insertion, op fusion) and the weight compression of ``coremltools.optimize.coreml`` are the same
code Apple's own tooling runs, which a hand-written MIL builder would have to re-implement and keep in step
with each Core ML release. The one op without a converter (``adaptive_avg_pool3d``) never reaches it: the
planner turns global pools into ``mean`` first.

Runtime: Core ML itself (``MLModel.predict``) on macOS. Elsewhere ``predict`` does not exist, so xport runs
the saved package in its own MIL evaluator (:mod:`.mil_eval`): it reads the program protobuf and weight blob
from disk and interprets every op, so parity is checked on the file an app ships, not on the in-memory model.
"""

from __future__ import annotations

import importlib.util
import sys

from .caps import CAPS, TARGETS, capabilities
from .precisions import PRECISIONS

NAME = "coreml"
SUFFIXES = (".mlpackage",)
OPTIONS = {
    "minimum_deployment_target": ("iOS16", f"oldest OS the model runs on: {', '.join(TARGETS)}; from iOS17/macOS14 "
                                           "3-D convolution stays native, before it becomes conv2d taps; precision "
                                           "int8 needs iOS17/macOS14 or later"),
    "decompose": ((), "spec ops to decompose even though they are native at the target"),
    "compute_units": ("ALL", "processors Core ML may use when the model is loaded: ALL, CPU_ONLY, CPU_AND_GPU, "
                             "CPU_AND_NE (recorded in the manifest; an app can choose again at load time)"),
    "compute_precision": (None, "arithmetic of the int8 and compressed precisions (int8, int8w, pal*): fp16 "
                                "(default, what the GPU and Neural Engine run) or fp32; the fp32 and fp16 precisions "
                                "fix it themselves"),
    "weight_threshold": (2048, "compressed precisions leave weights with fewer elements than this uncompressed"),
    "author": ("", "model metadata: author"),
    "license": ("", "model metadata: licence"),
    "version": ("", "model metadata: model version string"),
    "description": ("", "model metadata: short description (default: the source model and xport version)"),
    "preprocessing": ("", "how to prepare inputs (e.g. 'RGB in [0,1], mean 0.45, std 0.225, NCTHW'), recorded "
                          "in the metadata and the input description"),
    "class_labels": ((), "class names of a classifier's output, in order (stored in the metadata as JSON)"),
}


def check_request(settings: dict, precision: str) -> None:
    """Refuse int8 below iOS 17 / macOS 14 (no activation quantization there), naming the option to set."""
    if PRECISIONS[precision].quantized_activations:
        from .int8 import require_target

        require_target(settings["minimum_deployment_target"])


def is_available() -> tuple[bool, str]:
    if importlib.util.find_spec("coremltools") is None:
        return False, "missing coremltools: pip install -c constraints.txt 'xport[coreml]'"
    from importlib.metadata import version

    where = "Core ML" if sys.platform == "darwin" else "xport MIL evaluator (predict() is macOS-only)"
    return True, f"coremltools {version('coremltools')} ({where})"


EVALUATOR_STAND_IN = ("Core ML's predict() runs on macOS only: here xport's MIL evaluator checks the package's "
                      "numbers, and its speed says nothing about Core ML's")


def runtime_stand_in() -> str:
    """Why the runtime used here is not Core ML ("" on macOS with Core ML), so benchmarks leave it out."""
    if sys.platform != "darwin":
        return EVALUATOR_STAND_IN
    from .runtime import core_ml_available

    return "" if core_ml_available() else EVALUATOR_STAND_IN


__all__ = ["NAME", "CAPS", "SUFFIXES", "OPTIONS", "PRECISIONS", "capabilities", "check_request", "is_available",
           "runtime_stand_in"]

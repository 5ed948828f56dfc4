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

from xport._warnings import EXECUTORCH_EXPORTER, Quieting
from xport.backends.contract import AppRuntime, BackendSpec, Option

from . import app
from .caps import CAPS, TARGETS, capabilities, require_target
from .precisions import PRECISIONS
from .tolerances import TOLERANCES

NAME = "coreml"
EVALUATOR_STAND_IN = ("Core ML's predict() runs on macOS only: here xport's MIL evaluator checks the package's "
                      "numbers, and its speed says nothing about Core ML's")


def check_request(settings: dict, precision: str) -> None:
    """Refuse int8 below iOS 17 / macOS 14 (no activation quantization there), naming the option to set."""
    if PRECISIONS[precision].quantized_activations:
        require_target(settings["minimum_deployment_target"])


def _probe() -> str:
    from importlib.metadata import version

    where = "Core ML" if sys.platform == "darwin" else "xport MIL evaluator (predict() is macOS-only)"
    return f"coremltools {version('coremltools')} ({where})"


def core_ml_available() -> bool:
    """Whether Core ML itself can run here (macOS, with coremltools' native bindings)."""
    return sys.platform == "darwin" and importlib.util.find_spec("coremltools.libcoremlpython") is not None


def runtime_stand_in() -> str:
    """Why the runtime used here is not Core ML ("" on macOS with Core ML), so benchmarks leave it out."""
    return "" if core_ml_available() else EVALUATOR_STAND_IN


BACKEND = BackendSpec(
    name=NAME,
    summary="Core ML ML Program package (.mlpackage) for iOS and macOS",
    suffixes=(".mlpackage",),
    caps=CAPS,
    capabilities=capabilities,
    probe=_probe,
    requires=("coremltools",),
    extra="coreml",
    check_request=check_request,
    stand_in=runtime_stand_in,
    tolerances=TOLERANCES,
    options={
        "minimum_deployment_target": Option("iOS16", f"oldest OS the model runs on: {', '.join(TARGETS)}; from "
                                                     "iOS17/macOS14 3-D convolution stays native, before it becomes "
                                                     "conv2d taps; precision int8 needs iOS17/macOS14 or later"),
        "decompose": Option((), "spec ops to decompose even though they are native at the target"),
        "compute_units": Option("ALL", "processors Core ML may use when the model is loaded: ALL, CPU_ONLY, "
                                       "CPU_AND_GPU, CPU_AND_NE (recorded in the manifest; an app can choose again at "
                                       "load time)"),
        "compute_precision": Option(None, "arithmetic of the int8 and compressed precisions (int8, int8w, pal*): fp16 "
                                          "(default, what the GPU and Neural Engine run) or fp32; the fp32 and fp16 "
                                          "precisions fix it themselves"),
        "weight_threshold": Option(2048, "compressed precisions leave weights with fewer elements than this "
                                         "uncompressed"),
        "author": Option("", "model metadata: author"),
        "license": Option("", "model metadata: licence"),
        "version": Option("", "model metadata: model version string"),
        "description": Option("", "model metadata: short description (default: the source model and xport version)"),
        "preprocessing": Option("", "how to prepare inputs (e.g. 'RGB in [0,1], mean 0.45, std 0.225, NCTHW'), "
                                    "recorded in the metadata and the input description"),
        "class_labels": Option((), "class names of a classifier's output, in order (stored in the metadata as JSON)"),
    },
    # coremltools 9.0 logs, on import, version notices about torch 2.13 ("not been tested") and scikit-learn (which
    # only its sklearn converter uses), and on Linux that its macOS-only native proxies (predict) failed to load; its
    # torch frontend imports ExecuTorch's exporter and looks ops up through a registry method it deprecated itself;
    # its converter and compression passes draw a tqdm progress bar per conversion (module-level ``tqdm`` names).
    quieting=EXECUTORCH_EXPORTER + Quieting(
        warnings=((r"Function _TORCH_OPS_REGISTRY\.__contains__ is deprecated", DeprecationWarning,
                   r"coremltools\."),),
        log_messages=tuple(("coremltools", pattern) for pattern in (
            r"Torch version \S+ has not been tested with coremltools",
            r"scikit-learn version \S+ is not supported",
            r"Failed to load _ML\w+Proxy: No module named 'coremltools\.libcoremlpython'")),
        imports=("coremltools",),
        progress_bars=(("coremltools.converters.mil.frontend.torch.ops", "_tqdm"),
                       ("coremltools.converters.mil.mil.passes.pass_pipeline", "tqdm"),
                       ("coremltools.optimize.coreml._quantization_passes", "tqdm"),
                       ("coremltools.optimize.coreml._post_training_quantization", "tqdm"))),
    apps={"ios": AppRuntime("Core ML (system framework; Xcode compiles the .mlpackage)", app.swift,
                            default_order=1)},
    no_profiler=("the Core ML runtime here is xport's MIL evaluator, a stand-in whose times say nothing about a "
                 "device; profile on a Mac or iPhone with Xcode's Core ML performance report"),
)

__all__ = ["NAME", "BACKEND", "CAPS", "PRECISIONS", "capabilities", "check_request", "runtime_stand_in"]

"""xport: export efficient video models to mobile and edge runtimes, and prove they run right and fast.

    artifact = xport.export(model, example_inputs, backend="onnx", output_dir="out/")
    report = xport.verify(model, artifact)      # runs the artifact in ONNX Runtime vs eager
    print(xport.check(model, example_inputs))   # how every node lowers on every backend
    model, report = xport.transmute(model)      # vanilla modules → efficient blocks, same function
    xport.verify_migration(model, example_inputs, "out/")  # .ptl (lite interpreter) vs .pte (ExecuTorch)
    xport.bench(model).save("bench/")           # every backend vs eager, one protocol: JSON, markdown, PNG
    xport.package(model, "android", "bundle/")  # app bundle: artifacts, classes.txt, model.json, README
    xport.verify_bundle("bundle/", "clip.mp4")  # a real video through the bundle as an app would, vs eager
    xport.finetune("efficient_x3d_xs", "data/", out="run/")  # new head on real clips; xport.validate(...) per backend
    step = xport.stream(causal_model, (3, 160, 160))  # per-frame model with state; export it, verify it step by step
    print(xport.profile(artifact).table())       # per-block time from the runtime's own profiler
"""

__version__ = "0.1.0"

from .api import check, export, export_all, load, verify  # noqa: E402
from .artifact import Artifact, Manifest  # noqa: E402
from .benchmark import BenchReport, bench  # noqa: E402
from .errors import (  # noqa: E402
    BackendUnavailableError,
    CaptureError,
    InputSpecError,
    ModelFormatError,
    NotStreamableError,
    OutputDirError,
    ParityError,
    UnsupportedOpError,
    XportError,
)
from .migration import MigrationReport, verify_migration  # noqa: E402
from .packaging import Bundle, BundleCheck, package, verify_bundle  # noqa: E402
from .parity import ParityReport  # noqa: E402
from .plan import CheckReport  # noqa: E402
from .profiling import ProfileReport, profile  # noqa: E402
from .streaming import StreamModel, StreamSession, stream, verify_stream  # noqa: E402
from .training import FinetuneResult, finetune  # noqa: E402
from .transmuter import TransmuteReport, register_rule, transmute  # noqa: E402
from .transmuter_rules import Rule  # noqa: E402
from .validation import ValidationReport, validate  # noqa: E402

__all__ = [
    "__version__", "export", "export_all", "load", "verify", "check",
    "Artifact", "Manifest", "ParityReport", "CheckReport",
    "XportError", "UnsupportedOpError", "InputSpecError", "ModelFormatError", "ParityError", "OutputDirError",
    "BackendUnavailableError", "CaptureError", "transmute", "TransmuteReport", "register_rule", "Rule",
    "verify_migration", "MigrationReport", "bench", "BenchReport", "package", "verify_bundle", "Bundle", "BundleCheck",
    "finetune", "FinetuneResult", "validate", "ValidationReport",
    "stream", "StreamModel", "StreamSession", "verify_stream", "NotStreamableError", "profile", "ProfileReport",
]

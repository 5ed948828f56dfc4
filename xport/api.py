"""The public entry points: export, load, verify, check."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from . import __version__, node_map
from . import backends as backend_registry
from .arm import ArmCase, run_arm_parity
from .arm.report import ArmVerifyReport
from .artifact import Artifact, Manifest, describe_outputs
from .atomic import prepare_output_dir, staged_output
from .capture import as_input_tuple, capture, input_names
from .emit_options import EmitOptions, resolve_settings
from .errors import ParityError, XportError, pass_as
from .fingerprint import weight_fingerprint
from .foreign import complete_inputs
from .parity import ParityReport, measure
from .plan import CheckReport, check_program, plan
from .sample_inputs import default_inputs
from .streaming import StreamModel, verify_stream
from .streaming.verify import stream_clip, stream_step_inputs
from .tensor_spec import TensorSpec
from .toolchain_speedups import toolchain_speedups

if TYPE_CHECKING:
    from .quant import Calibration

log = logging.getLogger("xport")


def _check_precision(backend: str, caps, precision: str) -> None:
    if precision not in caps.precisions:
        raise XportError(f"backend '{backend}' does not support precision '{precision}' "
                         f"(supported: {', '.join(caps.precisions)})")


def _calibration_for(calibration: Any, inputs: tuple) -> Calibration:
    """A :class:`~xport.quant.Calibration` from one, from its saved JSON, or from an iterable of example inputs."""
    from .quant import Calibration

    if calibration is None:
        raise XportError("precision 'int8' needs calibration data: pass " + pass_as(
            "calibration=<iterable of example inputs>, a Calibration, or a saved calibration .json",
            "--calibration DIR|FILE.json|synthetic"))
    if isinstance(calibration, Calibration):
        return calibration
    if isinstance(calibration, (str, Path)):
        return Calibration.load(calibration)
    return Calibration.from_data(calibration, inputs)


@toolchain_speedups()
def export(model: torch.nn.Module, example_inputs: Any, backend: str, output_dir: Path | str,
           precision: str = "fp32", *, name: str = "model", overwrite: bool = False, dynamic_batch: bool = False,
           calibration: Any = None, max_drop: float | None = None, **options: Any) -> Artifact:
    """Capture ``model``, plan it for ``backend``, and write the artifact into ``output_dir``.

    ``example_inputs`` (a tensor or tuple of tensors) fixes the input shapes; with ``dynamic_batch`` axis 0
    takes any size (where the backend allows it; static shapes are faster). Backend options are keyword
    arguments (``xport backends`` lists them). Files are written atomically: on any error, ``output_dir``
    is left as it was.

    ``precision="int8"`` needs ``calibration``: example inputs (an iterable), a :class:`xport.quant.Calibration`
    or its saved JSON. ``max_drop`` keeps the most sensitive blocks in float until the top-1 agreement with fp32
    drops by at most that fraction. Ops without an int8 kernel stay float; the manifest's ``extra["int8"]``
    names them.
    """
    if not name or Path(name).name != name or name.startswith("."):
        raise XportError(f"name '{name}' must be a plain file stem such as 'model' (no folders, no leading dot)")
    be = backend_registry.require(backend)
    settings = resolve_settings(backend, be.options, options)
    caps = be.caps_for(settings)
    _check_precision(backend, caps, precision)
    be.check_request(settings, precision)
    if dynamic_batch and not caps.dynamic_batch:
        raise XportError(f"backend '{backend}' artifacts have a fixed batch size; dynamic_batch works with "
                         f"{', '.join(backend_registry.with_dynamic_batch())}")
    prepare_output_dir(output_dir, overwrite)  # fail fast, before minutes of work
    inputs = as_input_tuple(example_inputs)
    int8 = _calibration_for(calibration, inputs) if precision == "int8" else None

    log.info("capturing %s with torch.export", type(model).__name__)
    program = capture(model, inputs, dynamic_batch)
    log.info("planning for %s (%s)", backend, precision)
    # int8 plans the fp32 graph, then quantizes where the caps have int8 kernels (xport.quant).
    planned = plan(program, caps, "fp32" if int8 else precision, settings.get("decompose", ()))
    extra = {}
    fingerprint = weight_fingerprint(model)
    if isinstance(model, StreamModel):  # the manifest carries the state contract; the weights are the clip model's
        extra["stream"] = model.contract()
        fingerprint = model.fingerprint
    if int8 is not None:
        from .quant import quantize_within_budget

        planned, info, _blocks = quantize_within_budget(planned, caps, int8, max_drop)
        extra["int8"] = info.summary()
    extra[node_map.KEY] = node_map.record(planned)  # each node's module, for xport profile
    manifest = Manifest(
        backend=backend, precision=precision,
        inputs=tuple(TensorSpec.of(n, x, dynamic_batch) for n, x in zip(input_names(program), inputs)),
        outputs=describe_outputs(planned, inputs, dynamic_batch),
        source=f"{type(model).__module__}.{type(model).__qualname__}", xport_version=__version__, extra=extra,
        weights_fingerprint=fingerprint)
    log.info("writing %s artifact", backend)
    with staged_output(output_dir, overwrite) as stage:
        artifact = be.emit(planned, EmitOptions(precision, name, manifest, settings), stage)
    artifact = replace(artifact.relocated(Path(output_dir)), example_inputs=inputs)
    log.info("wrote %s", ", ".join(str(f) for f in artifact.files))
    return artifact


def load(path: Path | str, threads: int | None = None, *, input_shapes: Sequence[Sequence[int]] | None = None,
         shapes_from: str = "input_shapes") -> Artifact:
    """Open an artifact; the backend is chosen by file type.

    ``threads`` sizes the runtime's thread pool (default: 2, see ``xport.artifact.DEFAULT_THREADS``).
    Files xport did not write open too where the runtime can run them without a manifest (an ``.onnx`` from
    ``torch.onnx.export``, a ``.ptl`` from ``torch.jit.trace``): input shapes come from the file where it has
    them, else from ``input_shapes`` (one shape per input; ``shapes_from`` says where they came from, for the
    report). Their ``manifest.foreign`` says which shapes were used.
    """
    path = Path(path)
    be = backend_registry.require(backend_registry.for_path(path))
    runner = be.load(path, threads)
    if runner.manifest.foreign:
        runner.manifest = complete_inputs(runner.manifest, input_shapes, shapes_from)
        log.info("%s was not written by xport: %s", path.name, runner.manifest.foreign)
    return Artifact.opened(path, runner)


def verify(model: torch.nn.Module, artifact: Artifact, inputs: Iterable[Sequence[torch.Tensor]] | None = None,
           strict: bool = True, *, arm: bool | str | Sequence[str] = False) -> ParityReport:
    """Run ``model`` (eager) and ``artifact`` (in its runtime) on the same inputs and compare.

    ``inputs`` is an iterable of input tuples; by default the artifact's input shapes are filled with a
    few seeded random and structured tensors. Raises :class:`~xport.ParityError` on failure unless
    ``strict=False``. ``arm=True`` (or core names, e.g. ``"a53,a76"``) also runs the artifact in the aarch64
    runtime under qemu on each core and returns an :class:`xport.arm.report.ArmVerifyReport` (x86 + ARM).
    ``model``'s weights are compared with the fingerprint the manifest recorded at export (``report.weights``):
    a failure against other weights is reported as that, not as a bad conversion.

    For a stream artifact (``xport.stream``), ``model`` is the clip model, and the artifact is fed frame by frame and
    compared with it on the growing clip at every step (:func:`xport.streaming.verify_stream`; ``inputs`` may then
    hold one clip); with ``arm``, each step is also run on ARM from the frame and state it got here and compared with
    this machine's step.
    """
    if "stream" in artifact.manifest.extra:
        clip = stream_clip(artifact, next(iter(inputs))[0] if inputs is not None else None)
        report = verify_stream(model, artifact, clip)
        if arm:  # each step replayed on ARM from the (frame, state) it got here, compared with this machine's step
            case = ArmCase(f"{artifact.path.name} (stream steps)", artifact, stream_step_inputs(artifact, clip))
            report = ArmVerifyReport(report, run_arm_parity([case], None if arm is True else arm))
        if strict and not report.passed:
            raise ParityError(report)
        return report
    if inputs is None:
        if artifact.example_inputs is not None:
            inputs = default_inputs(artifact.example_inputs)
        else:  # a loaded artifact: its manifest gives the shapes, and there is no example to reuse
            shapes = tuple(torch.zeros(s.example_shape(), dtype=getattr(torch, s.dtype))
                           for s in artifact.manifest.inputs)
            inputs = default_inputs(shapes)[1:]
    if arm:
        inputs = [tuple(args) for args in inputs]  # used twice: x86 and ARM
        arm_report = run_arm_parity([ArmCase(artifact.path.name, artifact, inputs, model)],
                                    None if arm is True else arm)
        report = ArmVerifyReport(measure(model, artifact, inputs), arm_report)
    else:
        report = measure(model, artifact, inputs)
    if strict and not report.passed:
        raise ParityError(report)
    return report


@toolchain_speedups()
def check(model: torch.nn.Module, example_inputs: Any, backend: str | Sequence[str] | None = None,
          precision: str = "fp32") -> dict[str, CheckReport]:
    """How every node would lower on each backend: native / decomposed (into what) / unsupported.

    Works for every registered backend, installed or not (capabilities are data).
    """
    names = backend_registry.names() if backend is None else [backend] if isinstance(backend, str) else backend
    program = capture(model, as_input_tuple(example_inputs))
    reports = {}
    for name in names:
        be = backend_registry.get(name)
        defaults = resolve_settings(name, be.options, {})
        reports[name] = check_program(program, be.caps_for(defaults), precision, defaults.get("decompose", ()))
    return reports


def export_all(model: torch.nn.Module, example_inputs: Any, output_dir: Path | str, precision: str = "fp32",
               backends: Sequence[str] | None = None, **kwargs: Any) -> dict[str, tuple[Artifact, ParityReport]]:
    """Export to every available backend (or those named) into ``output_dir/<backend>/`` and verify each.

    Returns backend → (artifact, parity report); parity failures are reported, not raised. ``kwargs`` go to
    :func:`export` (``overwrite``, ``dynamic_batch``, ...).
    """
    names = list(backends) if backends is not None else backend_registry.available()
    results = {}
    for i, name in enumerate(names, 1):
        log.info("[%d/%d] %s: export", i, len(names), name)
        artifact = export(model, example_inputs, name, Path(output_dir) / name, precision, **kwargs)
        log.info("[%d/%d] %s: verify in %s", i, len(names), name, artifact.runtime)
        results[name] = (artifact, verify(model, artifact, strict=False))
    return results

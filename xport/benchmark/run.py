"""``xport.bench``: export (or take) artifacts, time them against eager with one protocol, report everything.

Order of work, chosen so measurements do not disturb each other: exports and parity checks first; then the
matmul peak, the interleaved timing of all candidates (watching what else runs on the machine), and the peak
again; then, one child process per candidate, peak memory (children run after timing, never alongside it).
Each ratio then gets its verdict (:mod:`.credibility`), and the reasons go into this report's notes.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from .. import backends as backend_registry
from ..api import load, verify
from ..artifact import Artifact
from ..capture import as_input_tuple
from ..errors import XportError
from ..model_ref import example_inputs
from ..tensor_spec import in_file_layout
from . import credibility, isolated, machine, memory
from .calls import is_stream, timed_call
from .candidates import export_candidates, stream_candidates
from .flops import count_flops
from .machine_load import LoadWatch
from .protocol import DEFAULT_THREADS, Latency, interleaved
from .report import EAGER, VANILLA, BenchReport, BenchRow, with_window_speedups

log = logging.getLogger("xport")

EAGER_LABEL = "eager (PyTorch fp32)"
VANILLA_LABEL = "vanilla (PyTorch fp32)"


def _label(artifact: Artifact, taken: set[str]) -> str:
    label = f"{artifact.backend} {artifact.precision}" + (" stream" if is_stream(artifact) else "")
    if label in taken:
        label = f"{label} ({artifact.path.name})"
    taken.add(label)
    return label


def _eager_size_mb(model: torch.nn.Module) -> float:
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors) / 1e6


def _pickled(c: _Candidate, work_dir: Path) -> Path | str:
    """An eager candidate's module saved for the child processes (timing, memory), or why it cannot be."""
    path = work_dir / f"{c.kind}.pt"
    try:
        torch.save(c.module, path)
    except Exception as exc:  # any pickling failure: local classes, lambdas, open handles
        return f"the {c.kind} model cannot be pickled for a child process ({type(exc).__name__}: {exc})"
    return path


def bench(target: torch.nn.Module | Sequence[Artifact | str | Path], inputs: Any = None, *,
          model: torch.nn.Module | None = None, vanilla: torch.nn.Module | None = None,
          backends: Sequence[str] | None = None, precisions: Sequence[str] | str = ("fp32",),
          threads: int = DEFAULT_THREADS, warmup: int = 3, runs: int = 20, block: int = 5, measure_memory: bool = True,
          work_dir: Path | str | None = None, name: str | None = None, progress: bool = True,
          calibration: Any = None, isolate: bool = False, stream: bool = False) -> BenchReport:
    """Time artifacts against the eager model with one protocol, and report speed, efficiency and memory.

    ``target`` is a model (exported here to ``backends`` × ``precisions``; default every available backend,
    fp32; ``precisions="all"`` takes every precision each backend has) or a list of artifacts / artifact
    paths (then pass ``model`` for the eager baseline, FLOPs and parity). ``vanilla`` is the model before
    :func:`xport.transmute`, timed as a second baseline. ``inputs`` (tensor or tuple) default to the
    model card's example clip or the artifacts' example inputs.

    Backends whose runtime here only stands in for the real one (Core ML off macOS) are left out, with a note.

    Protocol: every runtime pinned to ``threads``; ``warmup`` rounds; then ``runs`` samples per candidate,
    interleaved in blocks of ``block`` (see :mod:`xport.benchmark.protocol`); medians and p90. Speed-ups are
    against the eager run of this session, each judged credible, noisy or withheld (``row.speedup_verdict``,
    :mod:`xport.benchmark.credibility`: a busy machine, a drifting baseline, a wide spread), with the reasons
    in the report's notes. Exported files go to ``work_dir`` (default: a temporary folder).
    ``isolate=True`` times each candidate in its own child process, interleaved there with the eager model
    (:mod:`xport.benchmark.isolated`): no runtime's threads or process-wide state can disturb another's timing,
    and each speed-up is the ratio measured inside its child. It needs ``model`` (pickled for the children).
    int8 exports use ``calibration`` (as :func:`xport.export` takes it), else seeded random clips (noted).

    ``stream=True`` (a causal model as target) also exports each backend's stream step (:func:`xport.stream`) and
    times it with its state carried over from step to step, as an app does: its row ("onnx fp32 stream") is the
    latency per new frame, next to the clip artifact's per clip (which a sliding window pays per new frame), and
    ``row.window_speedup`` is how much less a new frame costs streamed: with ``isolate``, the step and its clip
    artifact are timed in the same child, side by side; in one process, the ratio of the two speed-ups vs eager.
    """
    if isinstance(target, torch.nn.Module):
        if model is not None:
            raise XportError("pass the model either as target or as model=, not both")
        model = target
    with tempfile.TemporaryDirectory(prefix="xport-bench-") as scratch:
        out = Path(work_dir) if work_dir is not None else Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        notes: list[str] = []
        inputs = _resolve_inputs(inputs, model, target)
        if isinstance(target, torch.nn.Module):
            names = list(backends) if backends is not None else _timeable_here(notes)
            artifacts = export_candidates(model, inputs, names, precisions, out, notes, calibration)
            if stream:
                artifacts += stream_candidates(model, inputs, names, precisions, out, notes, calibration)
        elif stream:
            raise XportError("stream=True exports the model's stream step: pass the model as target")
        else:
            artifacts = [a if isinstance(a, Artifact) else _load(a) for a in target]
        return _measure(model, vanilla, artifacts, inputs, notes, out, threads=threads, warmup=warmup, runs=runs,
                        block=block, measure_memory=measure_memory, progress=progress, isolate=isolate,
                        name=name or _model_name(model, artifacts))


def _load(path: str | Path) -> Artifact:
    return load(path)


def _model_name(model: torch.nn.Module | None, artifacts: Sequence[Artifact]) -> str:
    card = getattr(model, "default_cfg", None)
    if card is not None and getattr(card, "name", None):
        return card.name
    if model is not None:
        return type(model).__name__
    return artifacts[0].manifest.source or artifacts[0].path.stem if artifacts else "model"


def _resolve_inputs(inputs: Any, model: torch.nn.Module | None, target) -> tuple[torch.Tensor, ...]:
    if inputs is not None:
        return as_input_tuple(inputs)
    if model is not None and getattr(model, "default_cfg", None) is not None:
        return example_inputs(model)
    if not isinstance(target, torch.nn.Module):
        for a in target:
            if isinstance(a, Artifact) and a.example_inputs is not None:
                return a.example_inputs
        first = target[0] if isinstance(target[0], Artifact) else _load(target[0])
        generator = torch.Generator().manual_seed(0)  # a seeded clip of the shapes the manifest states
        return tuple(torch.randn(s.example_shape(), generator=generator).to(getattr(torch, s.dtype))
                     for s in first.manifest.inputs)
    raise XportError("no inputs to benchmark with: pass inputs=(tensor, ...) (the model has no card with an "
                     "example clip)")


@dataclass(frozen=True)
class _Candidate:
    """One thing to time: an eager module (a baseline) or an artifact opened with the pinned thread count."""

    label: str
    kind: str
    run: Callable[[], Any]
    module: torch.nn.Module | None = None
    artifact: Artifact | None = None
    runtime: str = f"PyTorch {torch.__version__} eager"


def _timeable_here(notes: list[str]) -> list[str]:
    """Available backends whose runtime here is the one apps use (not a reference evaluator)."""
    names = []
    for name in backend_registry.available():
        stand_in = backend_registry.get(name).stand_in()
        if stand_in:
            notes.append(f"{name} left out: {stand_in}")
        else:
            names.append(name)
    return names


def _candidates(model, vanilla, artifacts: Sequence[Artifact], inputs: tuple[torch.Tensor, ...],
                threads: int, notes: list[str], open_runtimes: bool = True) -> list[_Candidate]:
    """The candidates to time; ``open_runtimes=False`` (each timed in a child process) checks the artifacts'
    inputs without opening their runtimes here."""

    found = []
    for label, kind, module in ((EAGER_LABEL, EAGER, model), (VANILLA_LABEL, VANILLA, vanilla)):
        if module is not None:
            module.eval()
            found.append(_Candidate(label, kind, lambda m=module: _no_grad_call(m, inputs), module=module))
    taken: set[str] = set()
    for a in artifacts:
        # Each artifact gets the clip in its own axis order, converted once: the timing is the runtime's alone.
        # InputSpecError names the input, expected and got. A stream step makes its own frame and state.
        if not is_stream(a):
            in_file_layout(inputs, a.manifest.inputs)
        stand_in = backend_registry.get(a.backend).stand_in()
        if stand_in:  # right numbers, but its speed says nothing about the real runtime
            notes.append(f"{a.backend} {a.precision} not timed: {stand_in}")
            continue
        if not open_runtimes:
            found.append(_Candidate(_label(a, taken), "artifact", _in_child, artifact=a, runtime="(its child says)"))
            continue
        fresh = load(a.path, threads=threads)  # fresh: runtimes size their thread pools when opening
        found.append(_Candidate(_label(a, taken), "artifact", timed_call(fresh, inputs), artifact=a,
                                runtime=fresh.runner.runtime))
    return found


def _in_child() -> None:
    raise AssertionError("isolate: this candidate is timed in its own child process, not here")


def _memory(c: _Candidate, pickled: Path | str | None, inputs, threads: int) -> memory.MemoryUse | str:
    if c.artifact is not None:
        return memory.measure("artifact", c.artifact.path, runs=3, threads=threads)
    if isinstance(pickled, str):
        return pickled
    return memory.measure("eager", pickled, [tuple(x.shape) for x in inputs], runs=3, threads=threads)


def _measure(model, vanilla, artifacts: Sequence[Artifact], inputs: tuple[torch.Tensor, ...], notes: list[str],
             work_dir: Path, *, threads: int, warmup: int, runs: int, block: int, measure_memory: bool,
             progress: bool, name: str, isolate: bool = False) -> BenchReport:

    parity = {}
    if model is not None:
        for a in artifacts:
            log.info("checking parity of %s %s in %s", a.backend, a.precision, a.runtime)
            parity[a.path] = verify(model, a, strict=False)
    candidates = _candidates(model, vanilla, artifacts, inputs, threads, notes, open_runtimes=not isolate)
    # Eager modules go to child processes (isolated timing, memory probes) pickled, once.
    pickled = {c.label: _pickled(c, work_dir) for c in candidates if c.artifact is None
               and (isolate or measure_memory)}

    peaks = [machine.matmul_peak_gflops(threads)]
    watch = LoadWatch(threads)
    paired: dict[str, isolated.Paired] = {}
    if isolate:
        paired = _timed_in_children(candidates, pickled, inputs, work_dir, notes, runs=runs, warmup=warmup,
                                    threads=threads, block=block)
        candidates = [c for c in candidates if c.kind == EAGER or c.label in paired]  # a failed child: a note
        latency = _pooled(paired)
    else:
        latency = _timed({c.label: c.run for c in candidates}, runs=runs, warmup=warmup, threads=threads,
                         block=block, progress=progress)
    load = watch.stop()
    peaks.append(machine.matmul_peak_gflops(threads))
    peak = max(peaks)
    eager_label = EAGER_LABEL if EAGER_LABEL in latency else None
    if isolate:
        verdicts = credibility.assess_pairs({label: (p.eager.samples_ms, p.candidate.samples_ms)
                                             for label, p in paired.items()}, block, EAGER_LABEL, load=load,
                                            peaks=peaks)
    else:
        verdicts = credibility.assess({label: lat.samples_ms for label, lat in latency.items()}, block, eager_label,
                                      load=load, peaks=peaks)
    notes += verdicts.notes()

    memory_use: dict[str, memory.MemoryUse | str] = {}
    for i, c in enumerate(candidates if measure_memory else (), 1):
        log.info("[%d/%d] peak memory of %s (child process)", i, len(candidates), c.label)
        memory_use[c.label] = _memory(c, pickled.get(c.label), inputs, threads)

    reference = model if model is not None else vanilla
    flops = count_flops(reference, inputs) if reference is not None else None
    clip_seconds = getattr(getattr(model, "default_cfg", None), "clip_seconds", None)
    seconds_of_video = (inputs[0].shape[0] if inputs[0].dim() > 0 else 1) * clip_seconds if clip_seconds else None
    eager_ms = latency[EAGER_LABEL].median_ms if EAGER_LABEL in latency else None
    rows = []
    for c in candidates:
        lat, a, use = latency[c.label], c.artifact, memory_use.get(c.label)
        report = parity.get(a.path) if a is not None else None
        step = a is not None and is_stream(a)  # one frame of the clip: the clip's FLOPs are not its work
        achieved = flops / lat.median_ms / 1e6 if flops and not step else None
        covered = seconds_of_video / inputs[0].shape[2] if seconds_of_video and step else seconds_of_video
        measured = isinstance(use, memory.MemoryUse)
        verdict = verdicts.rows[c.label]
        pair = paired.get(c.label)
        speedup = pair.speedup if pair else eager_ms / lat.median_ms if eager_ms else None
        rows.append(BenchRow(
            label=c.label, kind=c.kind, backend=a.backend if a else "eager", precision=a.precision if a else "fp32",
            runtime=pair.runtime if pair else c.runtime, size_mb=a.size_bytes / 1e6 if a else _eager_size_mb(c.module),
            median_ms=lat.median_ms, p90_ms=lat.p90_ms, samples_ms=lat.samples_ms,
            speedup=speedup, speedup_verdict=verdict.verdict,
            speedup_reasons=verdict.reasons, round_speedups=verdict.round_speedups, spread=verdict.spread,
            ms_per_clip_second=lat.median_ms / covered if covered else None, stream=step,
            gflops_per_s=achieved, peak_fraction=achieved / peak if achieved else None,
            peak_mb=use.peak_mb if measured else None, model_mb=use.model_mb if measured else None,
            memory_note=use if isinstance(use, str) else "",
            sqnr_db=report.sqnr_db if report else None, max_rel=report.max_rel if report else None,
            parity_passed=report.passed if report else None, path=str(a.path) if a else ""))
    notes += [f"{r.label}: peak memory not measured: {r.memory_note}" for r in rows if r.memory_note]
    rows = with_window_speedups([_paired_window(r, paired.get(r.label), block, notes) for r in rows])
    order = ("each candidate in its own child process, interleaved in blocks with the eager model there, 0.1 s of "
             "unrecorded settling runs per block; speed-ups are ratios within each child" if isolate else
             "interleaved in blocks, 0.1 s of unrecorded settling runs per block")
    protocol = {"threads": threads, "warmup": warmup, "runs": runs, "block": block, "order": order,
                "statistic": "median, p90"}
    return BenchReport(model=name, input_shapes=tuple(tuple(x.shape) for x in inputs), flops=flops,
                       clip_seconds=clip_seconds, machine=machine.describe(threads), matmul_peak_gflops=peak,
                       protocol=protocol, rows=tuple(rows), notes=tuple(notes), credibility=verdicts.to_dict())


def _timed_in_children(candidates: Sequence[_Candidate], pickled: dict[str, Path | str],
                       inputs: tuple[torch.Tensor, ...], work_dir: Path, notes: list[str], *, runs: int, warmup: int,
                       threads: int, block: int) -> dict[str, isolated.Paired]:
    """Every candidate but eager, each in its own child process beside the eager model (:mod:`.isolated`);
    ``pickled``: the eager modules' files (or why a module could not be pickled). A child that fails leaves its
    candidate out, with why in ``notes``; the others are still timed (all failing is an error)."""
    eager = next((c for c in candidates if c.kind == EAGER), None)
    if eager is None:
        raise XportError("timing each candidate in its own process (isolate) needs the eager model: pass model=")
    paths = {c.label: c.artifact.path if c.artifact is not None else pickled[c.label] for c in candidates}
    failed = next((p for p in paths.values() if isinstance(p, str)), None)
    if failed is not None:
        raise XportError(f"isolate: {failed}; time in one process (isolate=False)")
    torch.save(inputs, work_dir / "inputs.pt")
    clips = {(c.artifact.backend, c.artifact.precision): c.artifact.path for c in candidates
             if c.artifact is not None and not is_stream(c.artifact)}
    paired = {}
    others = [c for c in candidates if c is not eager]
    for i, c in enumerate(others, 1):
        # A stream step is timed beside its clip artifact too: the window it replaces, in the same rounds.
        stream = c.artifact is not None and is_stream(c.artifact)
        window = clips.get((c.artifact.backend, c.artifact.precision)) if stream else None
        log.info("[%d/%d] timing %s beside eager%s (child process)", i, len(others), c.label,
                 " and its clip artifact" if window else "")
        result = isolated.time_paired(paths[c.label], paths[eager.label], work_dir / "inputs.pt", runs=runs,
                                      warmup=warmup, block=block, threads=threads, window=window)
        if isinstance(result, str):
            log.warning("%s: not timed: %s", c.label, result)
            notes.append(f"{c.label}: not timed: {result}")
            continue
        paired[c.label] = result
    if others and not paired:
        raise XportError("isolate: every timing child failed: " + "; ".join(notes[-len(others):]))
    return paired


def _paired_window(row: BenchRow, pair: isolated.Paired | None, block: int, notes: list[str]) -> BenchRow:
    """A stream row's speed-up over its clip artifact on a sliding window, where the two ran in the same child:
    the ratio of their medians there, judged with the window as the baseline (why it is doubtful goes to ``notes``)."""
    if pair is None or pair.window is None:
        return row
    verdict = credibility.assess({"window": pair.window.samples_ms, row.label: pair.candidate.samples_ms}, block,
                                 "window", baseline_name="window").rows[row.label]
    notes += [f"{row.label} vs window: {reason}" for reason in verdict.reasons]
    return replace(row, window_speedup=pair.window.median_ms / pair.candidate.median_ms,
                   window_verdict=verdict.verdict)


def _pooled(paired: dict[str, isolated.Paired]) -> dict[str, Latency]:
    """The candidates' latencies, and eager's: its samples from every child, in the order they ran."""
    eager = tuple(ms for p in paired.values() for ms in p.eager.samples_ms)
    return {EAGER_LABEL: Latency(eager), **{label: p.candidate for label, p in paired.items()}}


def _no_grad_call(module: torch.nn.Module, inputs: Iterable[torch.Tensor]) -> None:
    with torch.no_grad():
        module(*inputs)


def _timed(candidates, *, runs: int, warmup: int, threads: int, block: int, progress: bool):
    from tqdm import tqdm

    with tqdm(total=runs * len(candidates), desc="timing", unit="run", disable=not progress, leave=False) as bar:
        return interleaved(candidates, runs=runs, warmup=warmup, threads=threads, block=block,
                           on_sample=lambda _: bar.update())

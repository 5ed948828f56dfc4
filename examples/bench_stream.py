"""Streaming vs a sliding window: the cost per new frame of a stream artifact and of re-running the clip artifact.

    python examples/bench_stream.py [--model efficient_x3d_xs_causal] [--backends onnx,tflite,...] [--rounds 6]
                                    [--block 5] [--out DIR]

For each backend (default: every available one), the causal clip model is exported twice with ``xport.export``:
as the clip artifact (its T-frame clip, 4 frames for the zoo's causal X3D) and as the stream artifact of
``xport.stream(model, frame_shape)``. A live app that re-runs the clip model on a sliding window pays one whole
clip per new frame; a stream app pays one step. Both artifacts of a backend are timed with xport's protocol
(``xport.benchmark.protocol.interleaved``: warm-up, 0.1 s of unrecorded settling calls after each switch, interleaved
rounds of ``--block`` runs, medians), in a child process of their own per backend as ``xport.bench(isolate=True)``
does, so no other runtime is loaded beside them. The stream step carries its state over from the previous step,
as an app does (outputs fed back as they come out of the runtime, starting from the initial state after the
warm-up). The speed-up (window / step) gets xport's credibility verdict (``xport.benchmark.credibility``: machine
load, drift of the window's per-round medians, spread); the goal is a step at most a third of a window.

Prints a markdown table; ``--out DIR`` also writes DIR/bench_stream.{json,md} and keeps the artifacts there.
Core ML is left out with its reason: its runtime here is xport's MIL evaluator, not Core ML.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

import xport
from xport import backends as registry
from xport.benchmark import DEFAULT_THREADS, credibility, interleaved, machine
from xport.benchmark.calls import stream_step, timed_call
from xport.benchmark.machine_load import LoadWatch
from xport.efficient_ops import create_model

GOAL = 3.0  # the stream step must cost at most a third of a window
WARMUP = 3
CHILD_TIMEOUT_S = 1800
WINDOW, STEP = "clip window", "stream step"


@dataclass
class Row:
    backend: str
    window_ms: float | None = None  # median of the clip artifact: one T-frame window, i.e. per new frame
    step_ms: float | None = None  # median of one stream step (frame + state)
    verdict: str = ""  # xport's credibility verdict on the ratio window / step
    reasons: list[str] = field(default_factory=list)
    runtime: str = ""
    parity: list[str] = field(default_factory=list)  # why an artifact failed its parity check, if one did
    skipped: str = ""
    samples_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def speedup(self) -> float | None:
        return self.window_ms / self.step_ms if self.window_ms and self.step_ms else None

    def cells(self) -> list[str]:
        if self.skipped:
            return [self.backend, f"skipped: {self.skipped}", "-", "-", "-"]
        mark = f" ({self.verdict})" if self.verdict in (credibility.NOISY, credibility.WITHHELD) else ""
        met = "yes" if self.speedup >= GOAL else "no"
        return [self.backend, f"{self.window_ms:.2f}", f"{self.step_ms:.2f}", f"{self.speedup:.2f}x{mark}",
                f"{met}{mark}"]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def last_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1].strip() if lines else ''}".rstrip(": ")


def why_not_timed(name: str) -> str:
    """Why ``name`` cannot be timed here ("" when it can): unavailable, or a stand-in for the real runtime."""
    ok, detail = registry.status()[name]
    return registry.get(name).stand_in() if ok else f"backend unavailable ({detail})"


# --- Child process: time one backend's two artifacts, interleaved, with nothing else loaded. ---

def child(clip_path: Path, stream_path: Path, runs: int, block: int, threads: int) -> None:
    """Time both artifacts interleaved; print their samples (ms) and runtime as one JSON line."""
    torch.set_num_threads(threads)
    clip_artifact = xport.load(clip_path, threads=threads)
    spec = clip_artifact.manifest.inputs[0]
    clip = torch.randn(spec.example_shape(), generator=torch.Generator().manual_seed(0))
    candidates = {WINDOW: timed_call(clip_artifact, (clip,)), STEP: stream_step(xport.load(stream_path, threads))}
    # xport.bench (--stream) times each against eager; this times the two against each other, with the protocol's
    # own timer and the calls xport.bench makes (xport.benchmark.calls).
    latency = interleaved(candidates, runs=runs, warmup=WARMUP, threads=threads, block=block)
    print(json.dumps({"samples_ms": {k: list(v.samples_ms) for k, v in latency.items()},
                      "runtime": clip_artifact.runner.runtime}))


# --- Parent: export, check, time each backend in a child, judge the ratio. ---

def export_pair(model: torch.nn.Module, streamed: xport.StreamModel, clip: torch.Tensor, backend: str,
                out: Path) -> tuple[xport.Artifact, xport.Artifact]:
    artifacts = []
    for kind, module, inputs in (("clip", model, (clip,)), ("stream", streamed, streamed.example_inputs())):
        progress(f"[{backend}] exporting the {kind} artifact ...")
        start = time.perf_counter()
        artifacts.append(xport.export(module, inputs, backend, out / backend / kind, overwrite=True))
        progress(f"[{backend}] {kind} artifact written in {time.perf_counter() - start:.0f} s")
    return artifacts[0], artifacts[1]


def time_in_child(row: Row, clip_path: Path, stream_path: Path, runs: int, block: int, threads: int) -> None:
    """Fill ``row``'s medians and verdict from a child process (this script with --child), or say why not."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(clip_path), str(stream_path),
               "--runs", str(runs), "--block", str(block), "--threads", str(threads)]
    watch = LoadWatch(threads)  # counts the children's CPU time as its own: "other" is what else ran meanwhile
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        row.skipped = f"the timing child ran past {CHILD_TIMEOUT_S} s"
        return
    load = watch.stop()
    reported = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not reported:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        row.skipped = f"the timing child failed: {lines[-1] if lines else f'exit code {done.returncode}'}"
        return
    result = json.loads(reported[-1])
    row.samples_ms, row.runtime = result["samples_ms"], result["runtime"]
    row.window_ms, row.step_ms = (float(np.median(row.samples_ms[k])) for k in (WINDOW, STEP))
    # The window is the ratio's baseline, as eager is for xport.bench's "vs eager".
    verdict = credibility.assess(row.samples_ms, block, WINDOW, load=load, baseline_name="window").rows[STEP]
    row.verdict, row.reasons = verdict.verdict, list(verdict.reasons)


def bench_backend(name: str, model: torch.nn.Module, streamed: xport.StreamModel, clip: torch.Tensor, out: Path,
                  runs: int, block: int, threads: int) -> Row:
    row = Row(name)
    row.skipped = why_not_timed(name)
    if row.skipped:
        return row
    try:
        clip_artifact, stream_artifact = export_pair(model, streamed, clip, name, out)
        progress(f"[{name}] checking both artifacts against the eager clip model")
        for kind, artifact in (("clip", clip_artifact), ("stream", stream_artifact)):
            report = xport.verify(model, artifact, strict=False)
            row.parity += [f"{kind} artifact: {'; '.join(report.failures)}"] if report.failures else []
    except Exception as exc:  # an export or runtime error becomes this backend's row, not the end of the run
        row.skipped = last_line(exc)
        return row
    progress(f"[{name}] timing window and step interleaved ({runs} runs each, child process)")
    time_in_child(row, clip_artifact.path, stream_artifact.path, runs, block, threads)
    return row


def table(rows: Sequence[Row], frames: int) -> str:
    header = ["backend", f"clip artifact ms per {frames}-frame window", "stream ms per frame",
              "speed-up (window/stream)", f"goal met (stream ≤ 1/{GOAL:g} of window)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r.cells()) + " |" for r in rows])


def notes(rows: Sequence[Row]) -> list[str]:
    found = [f"{r.backend} ran as {r.runtime}" for r in rows if r.runtime]
    found += [f"{r.backend} ({r.verdict}): {'; '.join(r.reasons)}" for r in rows if r.reasons]
    found += [f"{r.backend} parity failed: {p}" for r in rows for p in r.parity]
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficient_x3d_xs_causal")
    parser.add_argument("--backends", help="comma list (default: every available backend)")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (default: %(default)s)")
    parser.add_argument("--block", type=int, default=5, help="timed runs per candidate per round (default: 5)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--out", type=Path, help="write bench_stream.{json,md} and keep the artifacts here")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)  # CLIP STREAM: see child()
    parser.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child, args.runs, args.block, args.threads)
    names = args.backends.split(",") if args.backends else registry.available()
    unknown = set(names) - set(registry.names())
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}; choose from {', '.join(registry.names())}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as scratch:
        out = args.out or Path(scratch)
        report = run(args.model, names, args.rounds * args.block, args.block, args.threads, out / "artifacts")
        report["seconds"] = round(time.perf_counter() - start)
        markdown = "\n\n".join([report["title"], report["table"], "\n".join(f"- {n}" for n in report["notes"])])
        print(markdown)
        if args.out:
            (args.out / "bench_stream.md").write_text(markdown + "\n")
            (args.out / "bench_stream.json").write_text(json.dumps(report, indent=2) + "\n")
    progress(f"done in {report['seconds']} s")


def run(name: str, names: Sequence[str], runs: int, block: int, threads: int, out: Path) -> dict:
    model = create_model(name).eval()
    clip = model.default_cfg.example_input()
    n, c, frames, h, w = clip.shape
    progress(f"[stream] xport.stream({name}, {(n, c, h, w)}): capture, rewrite, self-check (~1 min)")
    streamed = xport.stream(model, (n, c, h, w))
    rows = [bench_backend(b, model, streamed, clip, out, runs, block, threads) for b in names]
    title = (f"**{name}**: clip {'×'.join(map(str, clip.shape))} vs one {n}×{c}×{h}×{w} frame + state; "
             f"{runs} runs each ({runs // block} interleaved rounds of {block}), {threads} thread(s)")
    protocol = {"threads": threads, "warmup": WARMUP, "runs": runs, "block": block,
                "order": "window and step interleaved in blocks, 0.1 s of unrecorded settling runs per block, "
                         "one child process per backend", "statistic": "median",
                "stream_state": "carried over from the previous step (initial state before the warm-up)"}
    return {"model": name, "clip_shape": list(clip.shape), "frame_shape": [n, c, h, w], "goal_speedup": GOAL,
            "protocol": protocol, "machine": machine.describe(threads), "title": title,
            "rows": [asdict(r) | {"speedup": r.speedup} for r in rows], "table": table(rows, frames),
            "notes": notes(rows)}


if __name__ == "__main__":
    main()

"""xport's artifacts vs each runtime's own documented converter, same model, same clips, one timing protocol.

    python examples/bench_peers.py [--model efficient_x3d_xs] [--runs 20] [--calibration-clips 16]
                                   [--runtimes onnx,openvino,tflite,executorch] [--out DIR]

Answers "is xport faster and more accurate than each runtime's own converter?". For every runtime, fp32 and int8:

* xport: ``xport.export`` (int8 calibrated once with ``xport.quant.calibrate`` on the calibration clips);
* the runtime's own converter, as its documentation shows it, with the same calibration clips:
  ONNX Runtime: ``torch.onnx.export``, then ``quant_pre_process`` + ``quantize_static`` (QDQ, per-channel, int8
  activations and weights); OpenVINO: ``ov.convert_model`` (static clip shape), int8 by ``nncf.quantize``;
  LiteRT: ``litert_torch.convert``, int8 by its PT2E quantizer; ExecuTorch: ``torch.export`` +
  ``to_edge_transform_and_lower`` with the XNNPACK partitioner, int8 by ``XNNPACKQuantizer`` + PT2E.

Each peer is built in its own child process: a converter that is not installed, fails or crashes becomes a
"skipped: <why>" row, not a failed run. Every file is timed with ``xport.bench(..., isolate=True)``: each in its own
child process, interleaved in blocks with the eager model there, speed-up = ratio of the two medians. Files xport
cannot open (a ``.tflite`` or ``.pte`` without xport's manifest) are not timed; the row says why. int8 error: max
|file - eager| / max |eager| over held-out clips (the example clip and 3 seeded random ones), each file run in its
own runtime. Peers are optional: ``pip install -c constraints.txt 'xport[peers]'`` (nncf, litert-torch).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from peers.converters import PEERS, Clips, Peer  # examples/peers/: the runtimes' own flows
from peers.native import run_natively

import xport
import xport.quant
from xport.efficient_ops import create_model
from xport.tensor_spec import in_file_layout

RUNTIMES = {"onnx": "ONNX Runtime", "openvino": "OpenVINO", "tflite": "LiteRT", "executorch": "ExecuTorch"}
PRECISIONS = ("fp32", "int8")
HELD_OUT_RANDOM = 3
NATIVE_FAILURE = re.compile(r"^\[\w+\.cpp:\d+\] (.*\bfailed\b.*)$")
CHILD_TIMEOUT_S = 3600  # a peer build of X3D can take minutes on 2 cores; a hung converter must not hang the run

# --- The table's rows. ---

@dataclass
class Row:
    runtime: str
    precision: str
    converter: str
    path: Path | None = None
    skipped: str = ""  # why nothing was measured (no file, or it does not run)
    untimed: str = ""  # why it ran but was not timed (xport cannot open it)
    error: float | None = None
    speedup: str = ""
    median_ms: float | None = None
    ran_as: str = ""

    def cells(self) -> list[str]:
        why = self.skipped or self.untimed
        median = "-" if self.median_ms is None else f"{self.median_ms:.2f}"
        timing = [f"skipped: {why}", "-"] if why else [self.speedup or "-", median]
        error = "-" if self.error is None else f"{100 * self.error:.3g}%"
        return [RUNTIMES.get(self.runtime, self.runtime), self.precision, self.converter, *timing, error,
                self.ran_as or "-"]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seeded_clips(shape: torch.Size, count: int, seed: int) -> Clips:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator) for _ in range(count)]


def last_line(exc: BaseException) -> str:
    """The exception's type and the last line of its message: where converters put the actual complaint."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1].strip() if lines else ''}".rstrip(": ")


# --- xport's artifacts. ---

def xport_rows(model: torch.nn.Module, clip: torch.Tensor, calibration_clips: Clips, runtimes: Sequence[str],
               out: Path) -> list[Row]:
    available = xport.backends.available()
    names = [r for r in runtimes if r in available]
    calibration = None
    if names:
        progress(f"[xport] calibrating int8 for {', '.join(names)} on {len(calibration_clips)} clips")
        calibration = xport.quant.calibrate(model, calibration_clips, clip, backends=names)
    rows = []
    for runtime in runtimes:
        for precision in PRECISIONS:
            row = Row(runtime, precision, "xport")
            rows.append(row)
            if runtime not in available:
                row.skipped = f"xport's {runtime} backend is unavailable here ({xport.backends.status()[runtime][1]})"
                continue
            progress(f"[xport] exporting {runtime} {precision}")
            extra = {"calibration": calibration} if precision == "int8" else {}
            try:
                row.path = xport.export(model, clip, runtime, out / f"{runtime}_{precision}", precision,
                                        overwrite=True, **extra).path
            except xport.XportError as exc:
                row.skipped = f"xport export failed: {last_line(exc)}"
    return rows


# --- The peers, each built in a child process. ---

def peer_label(peer: Peer) -> str:
    return f"{RUNTIMES[peer.runtime]}'s own ({peer.tool})"


def missing_module(peer: Peer) -> str | None:
    return next((m for m in peer.modules if importlib.util.find_spec(m) is None), None)


def child_failure(done: subprocess.CompletedProcess, crashed: str, failed: str) -> str:
    """Why a child failed: "<crashed> crashed (signal N)", or "<failed>: " and its own error line, or the native
    (or last) line of its stderr."""
    if done.returncode < 0:
        return f"{crashed} crashed (signal {-done.returncode})"
    reported = child_result(done.stdout)
    if reported and "error" in reported:
        return f"{failed}: {reported['error']}"
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    # ExecuTorch says why it refuses a program or an input only in its C++ log ("[op_convolution.cpp:363] Check
    # failed ..."); its Python error is a code. The first native failure is the cause, the later ones its echoes.
    native = [m.group(1) for m in map(NATIVE_FAILURE.match, lines) if m]
    return f"{failed}: {native[0] if native else lines[-1] if lines else f'exit code {done.returncode}'}"


def child_result(stdout: str) -> dict | None:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def run_child(args: Sequence[str]) -> subprocess.CompletedProcess:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 1, "", f"ran past {CHILD_TIMEOUT_S} s")


def peer_rows(runtimes: Sequence[str], work: Path) -> list[Row]:
    rows = []
    for peer in (p for p in PEERS.values() if p.runtime in runtimes):
        row = Row(peer.runtime, peer.precision, peer_label(peer))
        rows.append(row)
        missing = missing_module(peer)
        if missing:
            row.skipped = f"{missing} not installed (pip install -c constraints.txt 'xport[peers]')"
            continue
        progress(f"[peer] building {row.converter} {peer.precision} (child process)")
        done = run_child(["--build-peer", peer.key, "--work", str(work)])
        result = child_result(done.stdout) if done.returncode == 0 else None
        if result and "path" in result:
            row.path = Path(result["path"])
        else:
            row.skipped = child_failure(done, peer.tool, f"{peer.tool} failed")
    return rows


def build_peer(key: str, work: Path) -> None:
    """Child process: build one peer's file from the pickled model and clips in ``work``; print its path as JSON."""
    peer = PEERS[key]
    model = torch.load(work / "model.pt", weights_only=False).eval()
    clip, calibration = torch.load(work / "clip.pt"), torch.load(work / "calibration.pt")
    out = work / f"{peer.runtime}_{peer.precision}{peer.suffix}"
    try:
        path = peer.build(model, clip, calibration, out)  # as the converter's docs call it: no extra context
    except Exception as exc:  # any converter error becomes the row's reason, in the converter's own words
        traceback.print_exc()
        print(json.dumps({"error": last_line(exc)}))
        sys.exit(1)
    print(json.dumps({"path": str(path)}))


# --- Running every file on the held-out clips, in its own runtime. ---

def run_artifact(artifact: xport.Artifact, held_out: Clips) -> list[torch.Tensor]:
    """Outputs of a file xport opened, each clip fed in the file's own layout (a .tflite may take channels-last)."""
    outputs = [artifact.run(*in_file_layout((x,), artifact.manifest.inputs)) for x in held_out]
    return [o[0] if isinstance(o, tuple) else o for o in outputs]


def run_in_child(path: Path, work: Path) -> None:
    """Child process: run ``path`` on the held-out clips in ``work``; save the outputs, print the runtime as JSON."""
    outputs, runtime = run_natively(path, torch.load(work / "held_out.pt"))
    torch.save(outputs, work / f"{path.name}.outputs.pt")
    print(json.dumps({"runtime": runtime}))


def relative_error(outputs: list[torch.Tensor], references: list[torch.Tensor]) -> float:
    worst = max(float((o.float() - r).abs().max()) for o, r in zip(outputs, references))
    return worst / max(float(r.abs().max()) for r in references)


def check_runs(row: Row, held_out: Clips, references: list[torch.Tensor], work: Path) -> None:
    """Run the row's file on the held-out clips: its int8 error, or why it does not run, or why it cannot be timed.
    Files xport opens run here; the others in a child, since a runtime may crash on a file it did not write."""
    try:
        artifact = xport.load(row.path)
    except xport.XportError as exc:
        # "<path>: <problem>. <hint>": the problem is the reason; the hint (export it with xport) goes without saying
        problem = str(exc).splitlines()[0].removeprefix(f"{row.path}: ").split(". ")[0]
        row.untimed = f"xport cannot open a {row.path.suffix} it did not write ({problem})"
        outputs = outputs_from_child(row, work)
    else:
        outputs = run_artifact(artifact, held_out)
    if outputs is not None and row.precision == "int8":
        row.error = relative_error(outputs, references)


def outputs_from_child(row: Row, work: Path) -> list[torch.Tensor] | None:
    """The row's outputs computed by :func:`run_in_child`, or None with the reason in ``row.skipped``."""
    runtime = RUNTIMES[row.runtime]
    done = run_child(["--run-file", str(row.path), "--work", str(work)])
    if done.returncode != 0:
        row.skipped = child_failure(done, f"the {runtime} runtime", f"{runtime} cannot run it")
        return None
    row.ran_as = f"{child_result(done.stdout)['runtime']} (accuracy only)"
    return torch.load(work / f"{row.path.name}.outputs.pt")


# --- Timing: xport's protocol over every file xport opens. ---

def time_rows(model: torch.nn.Module, clip: torch.Tensor, rows: list[Row], runs: int,
              work: Path) -> tuple[Row, list[str]]:
    """Fill in each timeable row's speed-up, median and runtime; return the eager row and the bench's notes (why a
    ratio is marked noisy or withheld). One ``xport.bench`` over all files; if one file's timing child fails, file by
    file, so only that row is lost."""
    timeable = [r for r in rows if r.path is not None and not r.skipped and not r.untimed]
    eager = Row("eager", "fp32", "PyTorch (eager)", speedup="1.00x", ran_as=f"PyTorch {torch.__version__} eager")
    if not timeable:
        eager.skipped = "nothing else to time"
        return eager, []
    progress(f"[bench] timing {len(timeable)} files beside eager, each in its own child process ({runs} runs)")
    try:
        reports = [bench_files(model, clip, timeable, runs, work)]
    except xport.XportError:
        reports = []
        for row in timeable:
            try:
                reports.append(bench_files(model, clip, [row], runs, work))
            except xport.XportError as exc:
                row.skipped = f"timing failed: {last_line(exc)}"
    by_path = {Path(b.path).resolve(): b for report in reports for b in report.rows if b.path}
    for row in timeable:
        measured = by_path.get(row.path.resolve())
        if measured is not None:
            row.speedup, row.median_ms = measured.speedup_text(), measured.median_ms
            row.ran_as = f"{measured.runtime}, {measured.precision} file"
    eager_rows = [b for report in reports for b in report.rows if b.is_eager]
    if eager_rows:
        eager.median_ms = sorted(b.median_ms for b in eager_rows)[len(eager_rows) // 2]
    else:
        eager.skipped = "no timing child finished"
    return eager, list(dict.fromkeys(n for report in reports for n in report.notes))


def bench_files(model: torch.nn.Module, clip: torch.Tensor, rows: list[Row], runs: int, work: Path):
    return xport.bench([r.path for r in rows], clip, model=model, isolate=True, measure_memory=False, runs=runs,
                       work_dir=work, progress=False)


# --- The table. ---

def table(eager: Row, rows: list[Row]) -> str:
    header = ["runtime", "precision", "converter", "vs eager", "median ms", "int8 error", "ran as"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r.cells()) + " |" for r in [eager, *rows]])


def side_by_side(ours: list[Row], theirs: list[Row]) -> list[Row]:
    """xport's row, then the peer's, for each runtime and precision."""
    peer = {(r.runtime, r.precision): r for r in theirs}
    return [row for r in ours for row in (r, peer.get((r.runtime, r.precision))) if row is not None]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficient_x3d_xs")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--calibration-clips", type=int, default=16)
    parser.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma list (default: %(default)s)")
    parser.add_argument("--out", help="keep the files here (default: a temporary folder)")
    parser.add_argument("--build-peer", help=argparse.SUPPRESS)  # child processes: see build_peer, run_in_child
    parser.add_argument("--run-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_peer:
        return build_peer(args.build_peer, args.work)
    if args.run_file:
        return run_in_child(args.run_file, args.work)
    runtimes = args.runtimes.split(",")
    unknown = set(runtimes) - set(RUNTIMES)
    if unknown:
        parser.error(f"unknown runtime(s) {', '.join(sorted(unknown))}; choose from {', '.join(RUNTIMES)}")
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as scratch:
        out = Path(args.out or scratch)
        out.mkdir(parents=True, exist_ok=True)
        print(compare(args.model, runtimes, args.runs, args.calibration_clips, out))


def compare(name: str, runtimes: Sequence[str], runs: int, calibration_count: int, out: Path) -> str:
    model = create_model(name).eval()
    clip = model.default_cfg.example_input()
    calibration = seeded_clips(clip.shape, calibration_count, seed=1)
    held_out = [clip, *seeded_clips(clip.shape, HELD_OUT_RANDOM, seed=7)]
    with torch.no_grad():
        references = [model(x) for x in held_out]
    work = out / "peers"
    work.mkdir(exist_ok=True)
    torch.save(model, work / "model.pt")  # the children convert these very weights and clips
    torch.save(clip, work / "clip.pt")
    torch.save(calibration, work / "calibration.pt")
    torch.save(held_out, work / "held_out.pt")
    ours = xport_rows(model, clip, calibration, runtimes, out / "xport")
    theirs = peer_rows(runtimes, work)
    rows = side_by_side(ours, theirs)
    for row in (r for r in rows if r.path is not None and not r.skipped):
        progress(f"[check] running {row.converter} {row.runtime} {row.precision} on {len(held_out)} held-out clips")
        check_runs(row, held_out, references, work)
    (out / "bench").mkdir(exist_ok=True)
    eager, notes = time_rows(model, clip, rows, runs, out / "bench")
    title = f"**{name}** {'×'.join(map(str, clip.shape))}, {runs} runs per file"
    return "\n\n".join([title, table(eager, rows), *notes])


if __name__ == "__main__":
    main()

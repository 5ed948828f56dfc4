"""The main job: build the default model, export it to every available backend, verify, time, tabulate."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from . import backends as backend_registry
from .api import export_all
from .benchmark import interleaved
from .model_ref import example_inputs, load_model
from .text_table import aligned

log = logging.getLogger("xport")

DEFAULT_MODEL = "efficient_x3d_xs"


@dataclass(frozen=True)
class DemoRow:
    backend: str
    artifact: str
    size_mb: float
    max_abs: float
    sqnr_db: float
    passed: bool
    median_ms: float | None  # None: not timed, the runtime here only stands in for the real one
    speedup: float | None
    note: str = ""  # why it was not timed


def run_demo(model_ref: str = DEFAULT_MODEL, out_dir: Path | str = "xport-out/demo", runs: int = 20,
             threads: int = 2, pretrained: str | None = None) -> tuple[list[DemoRow], float, dict[str, str]]:
    """Export ``model_ref`` to every available backend; return table rows, eager median (ms), skipped backends."""
    model = load_model(model_ref, pretrained)
    inputs = example_inputs(model)
    out_dir = Path(out_dir)
    skipped = {name: reason for name, (ok, reason) in backend_registry.status().items() if not ok}
    results = export_all(model, inputs, out_dir, overwrite=True)
    artifacts = {name: artifact for name, (artifact, _) in results.items()}
    reports = {name: report for name, (_, report) in results.items()}

    log.info("timing eager and %d artifact(s), %d interleaved runs each", len(artifacts), runs)

    def eager() -> None:
        with torch.no_grad():
            model(*inputs)

    # A runtime that only stands in for the real one (Core ML off macOS) gets parity, not a latency.
    stand_ins = {n: backend_registry.get(n).stand_in() for n in artifacts}
    timed = {n: a for n, a in artifacts.items() if not stand_ins[n]}
    candidates = {"eager": eager} | {n: (lambda a=a: a.run(*inputs)) for n, a in timed.items()}
    latency = interleaved(candidates, runs=runs, threads=threads)
    eager_ms = latency["eager"].median_ms
    rows = [DemoRow(n, str(a.path), a.size_bytes / 1e6, reports[n].max_abs, reports[n].sqnr_db, reports[n].passed,
                    latency[n].median_ms if n in latency else None,
                    eager_ms / latency[n].median_ms if n in latency else None, stand_ins[n])
            for n, a in artifacts.items()]
    return rows, eager_ms, skipped


def format_table(rows: list[DemoRow], eager_ms: float, skipped: dict[str, str]) -> str:
    header = ("backend", "artifact", "size", "max abs err", "SQNR", "parity", "median", "vs eager")
    body = [(r.backend, r.artifact, f"{r.size_mb:.2f} MB", f"{r.max_abs:.2e}", f"{r.sqnr_db:.1f} dB",
             "ok" if r.passed else "FAIL", *((f"{r.median_ms:.2f} ms", f"{r.speedup:.2f}x") if r.median_ms
                                              else ("not timed", "(stand-in)"))) for r in rows]
    body.append(("eager", "(PyTorch, fp32)", "", "", "", "", f"{eager_ms:.2f} ms", "1.00x"))
    lines = [aligned(header, body)]
    lines += [f"not timed {r.backend}: {r.note}" for r in rows if r.note]
    lines += [f"skipped {name}: {reason}" for name, reason in skipped.items()]
    return "\n".join(lines)

"""``xport design check``: the predictor against measured whole-model latencies, per backend.

The zoo's X3D-XS and X3D-S (their blocks are in the table: this checks that blocks add up to a model) and the
held-out variants of :data:`~.variants.CHECK_SET` (other widths, depths, frames and crops: blocks the table never
timed, priced by its fit). The report counts the models within ±10 %, and plots measured vs predicted.

The machine's speed drifts between the measurement and the check (here by up to 2x within minutes), so each model
is timed interleaved with the table's reference model (the first variant it measured, X3D-XS), and its prediction
is scaled by how much faster or slower that reference runs now than its median during the measurement.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xport.benchmark.protocol import interleaved
from xport.text_table import aligned

from .measure import call_of, export_for_timing
from .predict import predict
from .table import BlockTable
from .variants import CHECK_SET, X3dVariant

log = logging.getLogger("xport")

ZOO = {"efficient_x3d_xs": X3dVariant(), "efficient_x3d_s": X3dVariant(frames=13)}
WITHIN = 0.10


@dataclass(frozen=True)
class CheckRow:
    name: str
    held_out: bool
    predicted_ms: float
    measured_ms: float

    @property
    def error(self) -> float:
        return self.predicted_ms / self.measured_ms - 1


@dataclass(frozen=True)
class CheckReport:
    backend: str
    precision: str
    rows: tuple[CheckRow, ...]

    @property
    def within(self) -> float:
        return sum(abs(r.error) <= WITHIN for r in self.rows) / len(self.rows)

    def table(self) -> str:
        rows = [(r.name, "held out" if r.held_out else "zoo", f"{r.measured_ms:.2f}", f"{r.predicted_ms:.2f}",
                 f"{r.error:+.1%}") for r in self.rows]
        return (aligned(("model", "set", "measured ms", "predicted ms", "error"), rows) +
                f"\n{self.backend} {self.precision}: {self.within:.0%} of {len(self.rows)} models within ±10 %")

    def draw(self, path: Path) -> bool:
        if importlib.util.find_spec("matplotlib") is None:
            log.warning("no plot %s: matplotlib is missing (pip install -c constraints.txt 'xport[bench]')", path)
            return False
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(5, 5), dpi=120)
        top = 1.1 * max(max(r.measured_ms, r.predicted_ms) for r in self.rows)
        axes.plot([0, top], [0, top], color="black", linewidth=1)
        axes.fill_between([0, top], [0, top * (1 - WITHIN)], [0, top * (1 + WITHIN)], color="0.9", label="±10 %")
        for held, colour, label in ((False, "tab:blue", "zoo (blocks measured)"), (True, "tab:orange", "held out")):
            rows = [r for r in self.rows if r.held_out == held]
            axes.scatter([r.measured_ms for r in rows], [r.predicted_ms for r in rows], color=colour, label=label)
        axes.set_xlim(0, top)
        axes.set_ylim(0, top)
        axes.set_xlabel("measured ms")
        axes.set_ylabel("predicted ms")
        axes.set_title(f"{self.backend} {self.precision}: {self.within:.0%} within ±10 %", fontsize=9)
        axes.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(path)
        plt.close(figure)
        return True


def check(table: BlockTable, variants: Sequence[X3dVariant] = CHECK_SET, *, runs: int = 10) -> CheckReport:
    """Measure the zoo models and ``variants`` whole on the table's backend and compare with the prediction."""
    cases = [(name, False, v) for name, v in ZOO.items()] + [(v.name, True, v) for v in variants]
    rows = []
    with tempfile.TemporaryDirectory(prefix="xport-design-check-") as scratch:
        ref_model = X3dVariant.from_name(table.reference)
        ref_runner = call_of(export_for_timing(ref_model.build(), ref_model.example_input(), table.backend,
                                               table.precision, Path(scratch) / "reference", options=table.options),
                             ref_model.example_input())
        for i, (name, held_out, variant) in enumerate(cases, 1):
            model, inputs = variant.build(), variant.example_input()
            runner = call_of(export_for_timing(model, inputs, table.backend, table.precision, Path(scratch) / "model",
                                               options=table.options), inputs)
            timed = interleaved({"reference": ref_runner, name: runner}, runs=runs, warmup=2, threads=table.threads)
            speed = timed["reference"].median_ms / table.reference_ms  # > 1: the machine is slower now
            rows.append(CheckRow(name, held_out, predict(model, inputs, table).ms * speed, timed[name].median_ms))
            log.info("[%d/%d] %s: measured %.2f ms, predicted %.2f ms (machine speed now %.2fx of the table's)", i,
                     len(cases), name, rows[-1].measured_ms, rows[-1].predicted_ms, 1 / speed)
    return CheckReport(table.backend, table.precision, tuple(rows))

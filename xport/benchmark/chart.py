"""The benchmark's PNG: median latency per candidate (backend × precision), p90 as a whisker, eager as a line,
each ratio as the tables print it (marked noisy or withheld when not credible)."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import BenchReport


log = logging.getLogger("xport")

PRECISION_COLOURS = {"fp32": "tab:blue", "fp16": "tab:orange", "bf16": "tab:green", "int8": "tab:purple"}


def draw(report: BenchReport, path: Path) -> bool:
    """Write the chart to ``path``; False (with a log line naming the extra to install) without matplotlib."""
    if importlib.util.find_spec("matplotlib") is None:
        log.warning("no chart %s: matplotlib is missing (pip install -c constraints.txt 'xport[bench]')", path)
        return False
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed on servers and CI
    import matplotlib.pyplot as plt

    rows = list(report.rows)
    labels = [r.label for r in rows]
    medians = [r.median_ms for r in rows]
    whiskers = [max(0.0, r.p90_ms - r.median_ms) for r in rows]
    colours = [PRECISION_COLOURS.get(r.precision, "tab:purple") if r.kind == "artifact" else "0.6" for r in rows]
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.6), dpi=120)
    positions = range(len(rows))[::-1]  # first row on top, like the tables
    axes.barh(list(positions), medians, xerr=[[0] * len(rows), whiskers], color=colours, capsize=3)
    axes.set_yticks(list(positions), labels)
    for y, r in zip(positions, rows):
        if r.speedup is not None:  # "(noisy)" or "withheld" as in the tables: the PNG travels without the notes
            axes.text(max(r.median_ms, r.p90_ms), y, f"  {r.speedup_text()}", va="center", fontsize=8)
    eager = next((r for r in rows if r.is_eager), None)
    if eager is not None:
        axes.axvline(eager.median_ms, color="tab:red", linestyle="--", linewidth=1, label="eager PyTorch fp32")
    for precision in dict.fromkeys(r.precision for r in rows if r.kind == "artifact"):
        axes.barh([], [], color=PRECISION_COLOURS.get(precision, "tab:purple"), label=f"artifact {precision}")
    axes.legend(loc="lower right", fontsize=8)
    axes.set_xlim(0, 1.15 * max(max(r.p90_ms, r.median_ms) for r in rows))
    axes.set_xlabel(f"median latency, ms (whisker: p90; {report.protocol['threads']} threads)")
    axes.set_title(f"{report.model} — {report.machine.get('cpu', '')}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True

"""Profiles of one model side by side: a block × runtime table, and a PNG of stacked bars (one bar per runtime)."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path

from xport.text_table import aligned

from .records import UNATTRIBUTED, is_conversion
from .report import DEFAULT_DEPTH, ProfileReport

log = logging.getLogger("xport")

_LEGEND_BLOCKS = 11  # the chart's colours: the blocks with the most time anywhere; the rest is drawn as "other"


def _blocks_in_order(reports: Sequence[ProfileReport], depth: int) -> list[str]:
    names: dict[str, None] = {}
    for r in reports:
        names.update((b.block, None) for b in r.blocks(depth) if b.block != UNATTRIBUTED)
    if any(UNATTRIBUTED in (b.block for b in r.blocks(depth)) for r in reports):
        names[UNATTRIBUTED] = None
    return list(names)


def cross_table(reports: Sequence[ProfileReport], depth: int = DEFAULT_DEPTH) -> str:
    """Milliseconds (and share) per block and runtime, a total row (profiled sum) and the whole-model time."""
    blocks = _blocks_in_order(reports, depth)
    per = [{b.block: b for b in r.blocks(depth)} for r in reports]
    rows = []
    for name in blocks:
        cells = [f"{p[name].ms:.2f} ({p[name].share:.0%})" if name in p else "—" for p in per]
        rows.append((name, *cells))
    rows.append(("profiled sum", *(f"{r.total_ms:.2f}" for r in reports)))
    rows.append(("whole model (bench protocol)", *(f"{r.whole_ms:.2f}" for r in reports)))
    rows.append(("sum / whole", *(f"{r.coverage:.0%}" if r.nodes else "no profiler" for r in reports)))
    return aligned(("block, ms (share)", *(r.label for r in reports)), rows)


def draw_chart(reports: Sequence[ProfileReport], path: Path | str, depth: int = DEFAULT_DEPTH) -> bool:
    """Stacked bars of block times per runtime into ``path``; False (logged) without matplotlib."""
    if importlib.util.find_spec("matplotlib") is None:
        log.warning("no chart %s: matplotlib is missing (pip install -c constraints.txt 'xport[bench]')", path)
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in reports if r.nodes]
    totals: dict[str, float] = {}
    for r in shown:
        for b in r.blocks(depth):
            totals[b.block] = totals.get(b.block, 0.0) + b.ms
    biggest = set(sorted(totals, key=lambda k: -totals[k])[:_LEGEND_BLOCKS])
    named = [b for b in _blocks_in_order(shown, depth) if b in biggest]
    colours = plt.get_cmap("tab20")
    figure, axes = plt.subplots(figsize=(9, 0.6 * len(shown) + 2.4), dpi=120)
    for y, r in enumerate(reversed(shown)):
        left = 0.0
        times = {b.block: b.ms for b in r.blocks(depth)}
        for i, name in enumerate([*named, "other"]):
            ms = times.get(name, 0.0) if name != "other" else sum(v for k, v in times.items() if k not in named)
            if ms:
                axes.barh(y, ms, left=left, color="0.75" if name == "other" else colours(i % 20),
                          label=name if y == len(shown) - 1 or name == "other" else None, edgecolor="white")
            left += ms
        axes.plot([r.whole_ms], [y], marker="|", markersize=18, color="black")
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    axes.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    axes.set_yticks(range(len(shown)), [r.label for r in reversed(shown)])
    axes.set_xlabel("ms per inference: profiled time per block (bars), whole-model latency (black tick)")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True


def precision_split(report: ProfileReport) -> str:
    """Where an int8 artifact's time goes: ms per precision that ran, and in quantize/dequantize conversions
    (float islands and Q/DQ cost are where int8 does not pay)."""
    by: dict[str, float] = {}
    for n in report.nodes:
        key = "quantize/dequantize" if is_conversion(n.op) else n.precision or "layout/other"
        by[key] = by.get(key, 0.0) + n.ms
    total = report.total_ms or 1.0
    return ", ".join(f"{k} {v:.2f} ms ({v / total:.0%})" for k, v in sorted(by.items(), key=lambda kv: -kv[1]))

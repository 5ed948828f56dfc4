"""``xport design predict`` and ``suggest``: a model's latency from the table, and the best variant in a budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from xport.text_table import aligned

from .table import BlockTable
from .units import units_of
from .variants import X3dVariant, search_space


@dataclass(frozen=True)
class Prediction:
    """Predicted latency of one model: per block (measured or fitted), plus the runtime's overhead."""

    rows: tuple[tuple[str, str, float, bool], ...]  # path, kind, ms alone, measured
    overhead_ms: float
    scale: float  # blocks run this much of their time alone inside a whole model
    flops: int  # of its blocks

    @property
    def ms(self) -> float:
        return self.overhead_ms + self.scale * sum(r[2] for r in self.rows)

    @property
    def measured_share(self) -> float:
        """Of the predicted block time, the part priced by measured blocks rather than the fit."""
        total = sum(r[2] for r in self.rows) or 1.0
        return sum(r[2] for r in self.rows if r[3]) / total

    def table(self) -> str:
        rows = [(path, kind, f"{ms:.3f}", "measured" if hit else "fitted") for path, kind, ms, hit in self.rows]
        return (aligned(("block", "kind", "ms alone", "priced by"), rows) +
                f"\npredicted: {self.overhead_ms:.2f} ms overhead + {self.scale:.2f} × the blocks = {self.ms:.2f} ms")


def predict(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], table: BlockTable) -> Prediction:
    """``model``'s latency on the table's backend, from its blocks."""
    rows = []
    flops = 0
    for unit, _module in units_of(model, inputs):
        ms, measured = table.price(unit)
        rows.append((unit.path, unit.kind, ms, measured))
        flops += unit.flops
    return Prediction(tuple(rows), table.overhead_ms, table.scale, flops)


@dataclass(frozen=True)
class Suggestion:
    variant: X3dVariant
    predicted_ms: float
    gflops: float
    params: int
    considered: int
    within_budget: int

    def explain(self, budget_ms: float, backend: str) -> str:
        return (f"{self.variant.name}: predicted {self.predicted_ms:.2f} ms on {backend} (budget {budget_ms:g} ms), "
                f"{self.gflops:.2f} GFLOPs, {self.params / 1e6:.2f} M parameters. Chosen as the variant with the most "
                f"GFLOPs (then parameters) among the {self.within_budget} of {self.considered} variants (width × "
                "depth × frames × crop of X3D-XS) whose predicted latency fits the budget.")


def suggest(budget_ms: float, table: BlockTable, space: Sequence[X3dVariant] | None = None) -> Suggestion | None:
    """The variant of ``space`` (default :func:`~.variants.search_space`) with the most work that the table predicts
    within budget (about 0.3 s per variant: each is traced on the ``meta`` device)."""
    space = list(space) if space is not None else search_space()
    scored = []
    for variant in space:
        model = variant.build("meta")  # shapes only: nothing is computed to price a variant
        prediction = predict(model, variant.example_input("meta"), table)
        if prediction.ms <= budget_ms:
            scored.append((prediction.flops / 1e9, sum(p.numel() for p in model.parameters()), prediction.ms,
                           variant))
    if not scored:
        return None
    gflops, params, ms, variant = max(scored, key=lambda s: (s[0], s[1]))
    return Suggestion(variant, ms, gflops, params, len(space), len(scored))

"""Hardware-aware design: what each efficient block costs on a runtime here, and the model that fits a budget.

``measure`` times every distinct block of a grid of X3D variants on one backend (:class:`BlockTable`); ``predict``
prices a model from its blocks; ``check`` compares predictions with measured whole models; ``suggest`` picks the
variant with the most work within a latency budget. It is a search over a small table, not a NAS framework.
"""

from __future__ import annotations

from .check import CheckReport, check
from .measure import measure
from .predict import Prediction, Suggestion, predict, suggest
from .table import BlockTable
from .variants import CHECK_SET, MEASURE_GRID, X3dVariant, search_space

__all__ = ["measure", "predict", "suggest", "check", "BlockTable", "Prediction", "Suggestion", "CheckReport",
           "X3dVariant", "MEASURE_GRID", "CHECK_SET", "search_space"]

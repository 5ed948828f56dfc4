"""Plain-text tables for terminals: columns padded to their widest cell, a dashed rule under the header."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def aligned(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """``header`` and ``rows`` as left-aligned columns two spaces apart (trailing spaces dropped)."""
    cells = [[str(c) for c in row] for row in (header, *rows)]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(cells[0]))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *(line(r) for r in cells[1:])])

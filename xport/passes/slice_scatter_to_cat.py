"""Slice assignment → concatenation of slices (TSM's shift buffer, window masks built by assignment).

    out = slice_scatter(base, src, dim, start, end)   →   out = cat(base[..., :start], src, base[..., end:], dim)

``x[:, :, a:b] = y`` captures as ``slice_scatter``; no mobile runtime has it, and the concatenation is exact. Steps
other than 1 stay as they are (and are unsupported).
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder

aten = torch.ops.aten


def _bounds(size: int, start, end) -> tuple[int, int]:
    """PyTorch slice bounds (None, negative, past the end) as 0 ≤ start ≤ end ≤ size."""
    start = 0 if start is None else int(start)
    end = size if end is None else int(end)
    start, end = (v + size if v < 0 else v for v in (start, end))
    start = min(max(start, 0), size)
    return start, min(max(end, start), size)


class SliceScatterToCat(GraphPass):
    name = "slice_scatter_to_cat"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "slice_scatter" or ctx.native(info):
            return None
        step = info.node.args[5] if len(info.node.args) > 5 else info.node.kwargs.get("step", 1)
        if step != 1:
            return skip(f"assignment to a slice with step {step} has no concatenation form")
        return rewrite_as("concatenation of the kept slices and the assigned tensor")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, dim = info.node, info.attrs.dim
        base, src = node.args[:2]
        size = shape_of(base)[dim]
        start, end = _bounds(size, *(list(node.args[3:5]) + [None, None])[:2])
        b = NodeBuilder(gm, node)
        parts = [b.call(aten.slice.Tensor, base, dim, 0, start)] if start > 0 else []
        parts.append(src)
        if end < size:
            parts.append(b.call(aten.slice.Tensor, base, dim, end, size))
        node.replace_all_uses_with(parts[0] if len(parts) == 1 else b.call(aten.cat.default, parts, dim))

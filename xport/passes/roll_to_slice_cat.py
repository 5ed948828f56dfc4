"""``roll`` → slices and concatenation, for runtimes without a roll op (TSM's shift, Swin's shifted windows).

    roll(x, s, dim)   →   cat(x[..., n − s:], x[..., :n − s], dim)        (s taken modulo n; one pair per dim)

Exact: it moves values, nothing else. A roll over the flattened tensor (no dims) is done on its 1-D view.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten


def roll_by_slices(b: NodeBuilder, x: torch.fx.Node, shift: int, dim: int, size: int) -> torch.fx.Node:
    """``torch.roll(x, shift, dim)`` as a concatenation of two slices (``x`` itself when the shift is a multiple of
    the size)."""
    shift %= size
    if shift == 0:
        return x
    tail = b.call(aten.slice.Tensor, x, dim, size - shift, size)
    head = b.call(aten.slice.Tensor, x, dim, 0, size - shift)
    return b.call(aten.cat.default, [tail, head], dim)


class RollToSliceCat(GraphPass):
    name = "roll_to_slice_cat"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "roll" or ctx.native(info):
            return None
        return rewrite_as(f"slices and concatenation along dims {info.attrs.dims or '(flattened)'}")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        x = node.args[0]
        shape = shape_of(x)
        b = NodeBuilder(gm, node)
        if not a.dims:  # roll of the flattened tensor
            flat = b.call(aten.reshape.default, x, [-1])
            rolled = roll_by_slices(b, flat, a.shifts[0], 0, int(torch.Size(shape).numel()))
            node.replace_all_uses_with(b.call(aten.reshape.default, rolled, list(shape)))
            return
        for shift, dim in zip(a.shifts, a.dims):
            x = roll_by_slices(b, x, shift, dim, shape[dim])
        node.replace_all_uses_with(x)

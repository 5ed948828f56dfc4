"""torch.matmul in a form a runtime lacks → 2-D or batched 3-D products on reshaped views (what torch computes).

    matmul(a (…, n, k), b (…, k, m))  →  reshape(bmm(reshape(expand(a), (B, n, k)), reshape(expand(b), (B, k, m))),
                                               (…, n, m))         with B the product of the broadcast batch dims
    matmul(a (…, n, k), b (k, m))     →  reshape(mm(reshape(a, (…·n, k)), b), (…, n, m))

A vector operand becomes a one-row (or one-column) matrix first, and its axis is dropped from the result.
"""

from __future__ import annotations

import math

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten


class MatmulToBmm(GraphPass):
    name = "matmul_to_bmm"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "matmul" or ctx.native(info):
            return None
        return rewrite_as("2-D or batched 3-D matrix products on reshaped views")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        a, b = node.args[:2]
        sa, sb = list(shape_of(a)), list(shape_of(b))
        nb = NodeBuilder(gm, node)
        if len(sa) == 1:  # a vector: one row
            sa = [1, sa[0]]
            a = nb.call(aten.reshape.default, a, sa)
        if len(sb) == 1:  # a vector: one column
            sb = [sb[0], 1]
            b = nb.call(aten.reshape.default, b, sb)
        (n, k), m = sa[-2:], sb[-1]
        batch = list(torch.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2])))
        if len(sb) == 2:  # one matrix for every batch element: a single 2-D product over all rows
            rows = nb.call(aten.reshape.default, a, [math.prod(batch) * n, k])
            out = nb.call(aten.mm.default, rows, b)
        else:
            count = math.prod(batch)
            a3 = nb.call(aten.reshape.default, _expanded(nb, a, sa, [*batch, n, k]), [count, n, k])
            b3 = nb.call(aten.reshape.default, _expanded(nb, b, sb, [*batch, k, m]), [count, k, m])
            out = nb.call(aten.bmm.default, a3, b3)
        node.replace_all_uses_with(nb.call(aten.reshape.default, out, list(shape_of(node))))


def _expanded(nb: NodeBuilder, x: torch.fx.Node, shape: list[int], target: list[int]) -> torch.fx.Node:
    return x if shape == target else nb.call(aten.expand.default, x, target)

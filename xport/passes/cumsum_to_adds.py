"""``cumsum`` → slices, adds and a concatenation, for runtimes without a running-sum op.

    cumsum(x, dim)   →   cat(x₀, x₀ + x₁, (x₀ + x₁) + x₂, …, dim)        (xᵢ: the slice i : i + 1 along dim)

A causal mean over time (``cumsum / arange``, :class:`xport.efficient_ops.CausalAvgPool3d`) runs over T frames of a
pooled vector, so the T − 1 adds cost nothing next to the convs; the sum is in the same order as torch's.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten


class CumsumToAdds(GraphPass):
    name = "cumsum_to_adds"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "cumsum" or ctx.native(info):
            return None
        return rewrite_as(f"slices, adds and a concatenation along dim {info.attrs.dim}")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, axis = info.node, info.attrs.dim
        x = node.args[0]
        b = NodeBuilder(gm, node)
        running = b.call(aten.slice.Tensor, x, axis, 0, 1)
        parts = [running]
        for i in range(1, shape_of(x)[axis]):
            running = b.call(aten.add.Tensor, running, b.call(aten.slice.Tensor, x, axis, i, i + 1))
            parts.append(running)
        node.replace_all_uses_with(parts[0] if len(parts) == 1 else b.call(aten.cat.default, parts, axis))

"""Any mean → a mean over the last two dims of a 4-D tensor, for runtimes that reduce only like a global pool.

    mean(x, dims)  →  [permute the reduced dims last] → view (A, B, R1, R2) → mean(dims=(2, 3), keepdim)
                   →  view to the original output shape

XNNPACK (ExecuTorch) delegates only the 4-D spatial mean; the 5-D global average pool of a video model is the
same reduction on the free view (N, C, T·H, W). Reduced dims that are not trailing are permuted last first.
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


class MeanToSpatialMean(GraphPass):
    name = "mean_to_spatial_mean"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "mean" or ctx.native(info):
            return None
        trailing = info.attrs.dims == tuple(range(info.attrs.rank - len(info.attrs.dims), info.attrs.rank))
        return rewrite_as("mean over dims (2, 3) of a 4-D view"
                          + ("" if trailing else ", after moving the reduced dims last"))

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        x = node.args[0]
        shape = shape_of(x)
        kept = [d for d in range(a.rank) if d not in a.dims]
        b = NodeBuilder(gm, node)
        if kept + list(a.dims) != list(range(a.rank)):
            x = b.call(aten.permute.default, x, kept + list(a.dims))
        lead = [shape[d] for d in kept]
        reduced = [shape[d] for d in a.dims]
        view = [lead[0] if lead else 1, math.prod(lead[1:]), math.prod(reduced[:-1]), reduced[-1]]
        y = b.call(aten.mean.dim, b.call(aten.reshape.default, x, view), [2, 3], True)
        y = b.call(aten.reshape.default, y, list(shape_of(node)))
        node.replace_all_uses_with(y)
        gm.graph.erase_node(node)

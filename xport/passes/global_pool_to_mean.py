"""Global pooling → mean over the spatial dims.

    avg_pool3d(x, kernel=(T, H, W))           →  mean(x, dims=(2, 3, 4), keepdim=True)
    adaptive_avg_pool3d(x, output_size=1)     →  mean(x, dims=(2, 3, 4), keepdim=True)

``mean`` is the one reduction every runtime runs (Core ML and ExecuTorch have no adaptive pooling, and a
window as large as the input is a slow path in several runtimes).
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder


class GlobalPoolToMean(GraphPass):
    name = "global_pool_to_mean"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op not in ("avg_pool", "adaptive_avg_pool") or not info.attrs.is_global:
            return None
        if info.op == "avg_pool" and info.attrs.ceil_mode:
            return skip("ceil_mode windows are not one global mean")
        return rewrite_as(f"mean over dims {tuple(range(2, 2 + info.attrs.rank))}")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        dims = list(range(2, 2 + info.attrs.rank))
        mean = NodeBuilder(gm, node).call(torch.ops.aten.mean.dim, node.args[0], dims, True)
        node.replace_all_uses_with(mean)
        gm.graph.erase_node(node)

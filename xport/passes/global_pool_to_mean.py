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
from .base import GraphPass, PlanContext
from .graph import NodeBuilder


def _pool_dims(info: NodeInfo) -> list[int] | None:
    if info.op not in ("avg_pool", "adaptive_avg_pool") or not info.attrs.is_global:
        return None
    if info.op == "avg_pool" and info.attrs.ceil_mode:
        return None
    rank = info.attrs.rank
    return list(range(2, 2 + rank))


class GlobalPoolToMean(GraphPass):
    name = "global_pool_to_mean"

    def rewrites(self, info: NodeInfo, ctx: PlanContext) -> str | None:
        dims = _pool_dims(info)
        return None if dims is None else f"mean over dims {tuple(dims)}"

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        mean = NodeBuilder(gm, node).call(torch.ops.aten.mean.dim, node.args[0], _pool_dims(info), True)
        node.replace_all_uses_with(mean)
        gm.graph.erase_node(node)

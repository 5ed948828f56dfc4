"""``split`` → one slice per part, for runtimes whose split is not a fast kernel (LiteRT's writer, XNNPACK).

    a, b = split_with_sizes(x, [m, n], dim)   →   a = x[..., :m];  b = x[..., m:m + n]
"""

from __future__ import annotations

import operator

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten


class SplitToSlices(GraphPass):
    name = "split_to_slices"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "split" or ctx.native(info):
            return None
        return rewrite_as(f"{len(info.node.args[1])} slices along dim {info.attrs.dim}")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, dim = info.node, info.attrs.dim
        x, sizes = node.args[:2]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        b = NodeBuilder(gm, node)
        for user in list(node.users):
            if user.op == "call_function" and user.target is operator.getitem:
                i = user.args[1]
                user.replace_all_uses_with(b.call(aten.slice.Tensor, x, dim, starts[i], starts[i] + sizes[i]))

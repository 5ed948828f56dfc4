"""Remove ops that compute nothing at inference.

    y = clone(x);  z = relu(y)          →   z = relu(x)
    y = dropout(x, p, train=False)      →   uses of y read x
    y = x.expand(x.shape)               →   uses of y read x          (also a repeat by ones: a class token at batch 1)
"""

from __future__ import annotations

import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as, skip


def _is_training_dropout(node: torch.fx.Node) -> bool:
    return str(node.target) == "aten.dropout.default" and bool(node.args[2] if len(node.args) > 2 else True)


class RemoveNoOps(GraphPass):
    name = "remove_noops"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op in ("expand", "repeat") and shape_of(info.node) == shape_of(info.node.args[0]):
            return rewrite_as(f"removed ({info.op} to the shape it already has)")
        if info.op != "identity":
            return None
        if _is_training_dropout(info.node):
            return skip("a dropout in training mode is not a no-op")
        return rewrite_as("removed (no-op at inference)")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        # A clone before a view made the view's input contiguous; relift turns every view into a reshape.
        info.node.replace_all_uses_with(info.node.args[0])
        gm.graph.erase_node(info.node)

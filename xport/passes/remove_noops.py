"""Remove ops that compute nothing at inference.

    y = clone(x);  z = relu(y)          →   z = relu(x)
    y = dropout(x, p, train=False)      →   uses of y read x
"""

from __future__ import annotations

import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, PlanContext


def _is_training_dropout(node: torch.fx.Node) -> bool:
    return str(node.target) == "aten.dropout.default" and bool(node.args[2] if len(node.args) > 2 else True)


class RemoveNoOps(GraphPass):
    name = "remove_noops"

    def rewrites(self, info: NodeInfo, ctx: PlanContext) -> str | None:
        if info.op != "identity" or _is_training_dropout(info.node):
            return None
        return "removed (no-op at inference)"

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        info.node.replace_all_uses_with(info.node.args[0])
        gm.graph.erase_node(info.node)

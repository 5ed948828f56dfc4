"""``full`` with a static shape → a stored constant, for runtimes that do not constant-fold it (ExecuTorch).

The zero frames of conv3d taps are ``full`` nodes; ExecuTorch would run each on a portable kernel, outside the
XNNPACK delegate. As a constant buffer the ``cat`` that uses it stays inside the delegate.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder


def _static_shape(node: torch.fx.Node) -> list[int] | None:
    shape = node.args[0]
    return list(shape) if all(isinstance(d, int) for d in shape) else None


class FullToConstant(GraphPass):
    name = "full_to_constant"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "full" or ctx.native(info):
            return None
        if _static_shape(info.node) is None:
            return skip("its shape depends on the input (dynamic batch)")
        return rewrite_as("a stored constant")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        value = torch.full(_static_shape(node), node.args[1], dtype=node.meta["val"].dtype)
        constant = NodeBuilder(gm, node).const(f"{node.name}_constant", value)
        node.replace_all_uses_with(constant)
        gm.graph.erase_node(node)

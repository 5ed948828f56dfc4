"""``copy(dst, src)`` → ``src`` broadcast to ``dst``'s shape (and type): what in-place ``dst.copy_(src)`` captures as.

In the functional graph torch.export records, ``copy`` returns a new tensor: ``src``'s values in ``dst``'s shape and
dtype; ``dst``'s values are never read. So the node is the source itself, expanded and cast where they differ.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten


class CopyToExpand(GraphPass):
    name = "copy_to_expand"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "copy" or ctx.native(info):
            return None
        return rewrite_as("the copied tensor itself (broadcast to the destination's shape where it differs)")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        dst, src = node.args[:2]
        b = NodeBuilder(gm, node)
        value = src
        if src.meta["val"].dtype != dst.meta["val"].dtype:
            value = b.call(aten._to_copy.default, value)
            value.kwargs = {"dtype": dst.meta["val"].dtype}
            value.meta["val"] = torch.empty(shape_of(src), dtype=dst.meta["val"].dtype, device="meta")
        if shape_of(src) != shape_of(dst):
            value = b.call(aten.expand.default, value, list(shape_of(dst)))
        node.replace_all_uses_with(value)

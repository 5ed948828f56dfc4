"""``full_like(x, v)`` with a dynamic batch → ``full([sym_size(x, 0), C, ...], v)``.

With static shapes :class:`~xport.passes.fold_constants.FoldConstants` stores such a tensor as a constant. With a
dynamic batch its shape is only known at run time, so it is built from ``x``'s sizes instead: ``full`` is a spec
op, and the converters that take a dynamic batch (ONNX, OpenVINO) write the size reads as shape arithmetic.
TSM's shift (``out = torch.zeros_like(x)`` then slice assignment) captures as this.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import copy_provenance

aten = torch.ops.aten

# The filled value of each op (full_like carries it as its second argument).
_FILL = {"aten.zeros_like.default": 0, "aten.ones_like.default": 1, "aten.full_like.default": None}


class FullLikeToFull(GraphPass):
    name = "full_like_to_full"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        node = info.node
        if str(node.target) not in _FILL or all(isinstance(d, int) for d in node.meta["val"].shape):
            return None  # a static shape is folded into a constant instead
        return rewrite_as("full() of the input's run-time shape")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        x, val = node.args[0], node.meta["val"]
        fill = _FILL[str(node.target)]
        fill = node.args[1] if fill is None else fill
        with gm.graph.inserting_before(node):
            sizes = []
            for axis, dim in enumerate(val.shape):
                if isinstance(dim, int):
                    sizes.append(dim)
                    continue
                size = gm.graph.call_function(aten.sym_size.int, (x, axis))
                size.meta["val"] = dim
                sizes.append(copy_provenance(size, node))
            full = gm.graph.call_function(aten.full.default, (sizes, fill), {"dtype": val.dtype})
        full.meta["val"] = val
        node.replace_all_uses_with(copy_provenance(full, node))
        gm.graph.erase_node(node)

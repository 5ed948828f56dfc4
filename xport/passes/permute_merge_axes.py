"""A permute of more dims than the runtime takes → the same permute on merged axes.

Axes that stay next to each other, in the same order, move as one: Video Swin's window partition is an 8-D permute
``(0, 1, 3, 5, 2, 4, 6, 7)`` whose axes 0–1 and 6–7 travel together, so it is a 6-D permute of the merged axes —
within XNNPACK's six dims (ExecuTorch otherwise fails to load the program: ``xnn_status_unsupported_parameter``).
The reshapes around the permute are taken from its neighbours: a reshape feeding it is read through, and a reshape
reading it reads the merged result, so no tensor of the original rank is left.
"""

from __future__ import annotations

import math

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder

aten = torch.ops.aten
_RESHAPES = (aten.reshape.default, aten.view.default, aten._unsafe_view.default)


def merged_groups(perm: list[int]) -> list[list[int]]:
    """Runs of output axes that are consecutive input axes, in output order."""
    groups = [[perm[0]]]
    for axis in perm[1:]:
        if axis == groups[-1][-1] + 1:
            groups[-1].append(axis)
        else:
            groups.append([axis])
    return groups


class PermuteMergeAxes(GraphPass):
    name = "permute_merge_axes"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "permute" or ctx.native(info):
            return None
        groups = merged_groups(list(info.node.args[1]))
        if len(groups) == len(info.node.args[1]):
            return skip("no two axes move together, so merging cannot lower the rank")
        return rewrite_as(f"a {len(groups)}-D permute of the axes that move together")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        x, perm = node.args[0], [a % len(shape_of(node)) for a in node.args[1]]
        shape = shape_of(x)
        groups = merged_groups(perm)
        by_input = sorted(groups)
        b = NodeBuilder(gm, node)
        source = x.args[0] if x.op == "call_function" and x.target in _RESHAPES else x
        merged = b.call(aten.reshape.default, source, [math.prod(shape[a] for a in g) for g in by_input])
        moved = b.call(aten.permute.default, merged, [by_input.index(g) for g in groups])
        for user in list(node.users):
            if user.op == "call_function" and user.target in _RESHAPES:
                user.replace_input_with(node, moved)  # the user's reshape takes the merged result directly
        if node.users:
            node.replace_all_uses_with(b.call(aten.reshape.default, moved, list(shape_of(node))))

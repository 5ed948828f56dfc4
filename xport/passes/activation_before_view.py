"""Apply an activation before the reshape in front of it, so it directly follows the op that computes its input.

    y = conv(x);  v = view(y, s);  z = relu(v)     →     r = relu(y);  z = view(r, s)

Element-wise, so exact. The conv3d rewrite leaves a view between each 2-D conv and its activation; next to the
conv, the activation fuses into it (TFLite's fused activation, ORT's QLinearConv), and an int8 program
quantizes the conv's output once, after the activation, instead of before and after it.
"""

from __future__ import annotations

import torch.fx

from ..capture import NodeInfo
from ..spec import SPEC
from ..spec.fusion import activation_kind, takes_activation
from .base import GraphPass, Match, PlanContext, rewrite_as


def _swappable(node: torch.fx.Node) -> bool:
    view = node.args[0]
    if SPEC.op_of(view) != "reshape" or len(view.users) != 1:
        return False
    source = view.args[0]
    return takes_activation(source) and len(source.users) == 1


class ActivationBeforeView(GraphPass):
    name = "activation_before_view"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if activation_kind(info.node) is None or not _swappable(info.node):
            return None
        return rewrite_as("applied before the reshape in front of it (fuses into the op before)")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        activation = info.node
        view = activation.args[0]
        source = view.args[0]
        with gm.graph.inserting_after(source):
            moved = gm.graph.call_function(activation.target, (source, *activation.args[1:]), activation.kwargs)
        moved.meta = {**activation.meta, "val": source.meta["val"]}
        view.replace_input_with(source, moved)
        activation.replace_all_uses_with(view)
        gm.graph.erase_node(activation)

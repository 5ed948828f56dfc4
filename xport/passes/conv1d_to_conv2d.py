"""conv1d → conv2d on the free view (N, C, 1, L), for runtimes with only 2-D convolution (TFLite)."""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder, get_attr_value

aten = torch.ops.aten


class Conv1dToConv2d(GraphPass):
    name = "conv1d_to_conv2d"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "conv" or info.attrs.rank != 1 or ctx.native(info):
            return None
        if info.attrs.transposed:
            return skip("transposed convolutions are not rewritten")
        return rewrite_as("conv2d with a (1, k) kernel on the (N, C, 1, L) view")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        x, weight, bias, stride, padding, dilation, _transposed, _out_pad, groups = node.args[:9]
        b = NodeBuilder(gm, node)
        n, c, length = shape_of(x)
        x2 = b.call(aten.reshape.default, x, [n, c, 1, length])  # a view, not unsqueeze: XNNPACK takes views
        weight_value = get_attr_value(gm, weight)
        # A stored weight gets a reshaped constant (delegates want constant weights, not a view of one).
        w2 = (b.call(aten.unsqueeze.default, weight, 2) if weight_value is None
              else b.const(f"{weight.name}_2d", weight_value.unsqueeze(2)))
        y = b.call(aten.convolution.default, x2, w2, bias, [1, *stride], [0, *padding], [1, *dilation], False,
                   [0, 0], groups)
        y = b.call(aten.reshape.default, y, list(shape_of(node)))
        node.replace_all_uses_with(y)
        gm.graph.erase_node(node)

"""Layer norm → mean, subtract, multiply and reciprocal square root, for runtimes without a layer-norm op.

    y = layer_norm(x, normalized_shape, γ, β, ε)
    →  c = x − mean(x);  y = c · rsqrt(mean(c · c) + ε) · γ + β          (means over the normalised trailing dims)

The same arithmetic as the op (biased variance), so the result matches to float rounding. Only the normalised
output may be used: the per-row mean and inverse deviation the op also returns are training-only outputs.
"""

from __future__ import annotations

import operator

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder

aten = torch.ops.aten


def _outputs_used(node: torch.fx.Node) -> set[int]:
    return {u.args[1] for u in node.users if u.op == "call_function" and u.target is operator.getitem}


class LayerNormToArithmetic(GraphPass):
    name = "layer_norm_to_arithmetic"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "layer_norm" or ctx.native(info):
            return None
        if _outputs_used(info.node) - {0}:
            return skip("its mean or inverse-deviation output is used (training-only outputs)")
        return rewrite_as("mean, subtract, multiply and rsqrt over the normalised dims")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        x, _shape, weight, bias = node.args[:4]
        dims = list(range(a.rank - a.normalized, a.rank))
        b = NodeBuilder(gm, node)
        centred = b.call(aten.sub.Tensor, x, b.call(aten.mean.dim, x, dims, True))
        variance = b.call(aten.mean.dim, b.call(aten.mul.Tensor, centred, centred), dims, True)
        y = b.call(aten.mul.Tensor, centred, b.call(aten.rsqrt.default, b.call(aten.add.Tensor, variance, a.eps)))
        if weight is not None:
            y = b.call(aten.mul.Tensor, y, weight)
        if bias is not None:
            y = b.call(aten.add.Tensor, y, bias)
        for user in list(node.users):
            user.replace_all_uses_with(y)

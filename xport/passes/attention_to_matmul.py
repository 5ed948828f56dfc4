"""Scaled dot-product attention → batched matrix products and softmax, for runtimes without an attention op.

    attention(q, k, v, mask)   →   softmax(q Kᵀ · scale + mask) v            (scale = 1/√E unless given)

computed at the queries' rank, (…, heads, L, E): matmul_to_bmm makes 3-D products of it for runtimes without batched
4-D matmul. (OpenVINO's CPU plugin fuses the 3-D form, reshaped from a transposed view, into a wrong MHA kernel:
relative errors of 0.2–0.7 on TimeSformer's attention; the 4-D form is right.) A causal attention gets its mask as a
stored constant. Softmax over rows that are entirely −inf differs: PyTorch returns zeros there, this form NaN —
which only a mask that hides every key of a query produces.
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


class AttentionToMatmul(GraphPass):
    name = "attention_to_matmul"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "attention" or ctx.native(info):
            return None
        a = info.attrs
        if a.dropout or a.gqa:
            return skip("dropout and grouped-query attention are not decomposed (export the model in eval mode)")
        return rewrite_as("softmax(Q Kᵀ · scale + mask) V as matmuls at the queries' rank")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        q, k, v = node.args[:3]
        mask = node.args[3] if len(node.args) > 3 else node.kwargs.get("attn_mask")
        qs, ks = shape_of(q), shape_of(k)
        n, e, s = qs[-2], qs[-1], ks[-2]
        b = NodeBuilder(gm, node)
        scale = a.scale if a.scale is not None else 1.0 / math.sqrt(e)
        swap = [*range(len(ks) - 2), len(ks) - 1, len(ks) - 2]
        scores = b.call(aten.matmul.default, b.call(aten.mul.Tensor, q, scale), b.call(aten.permute.default, k, swap))
        if a.is_causal:
            causal = torch.zeros(n, s).masked_fill(torch.ones(n, s, dtype=torch.bool).triu(1), -math.inf)
            scores = b.call(aten.add.Tensor, scores, b.const(f"{node.name}_causal_mask", causal))
        if mask is not None:
            if mask.meta["val"].dtype == torch.bool:  # True keeps a key: False becomes −inf
                zero = b.const(f"{node.name}_zero", torch.zeros(()))
                minf = b.const(f"{node.name}_minus_inf", torch.tensor(-math.inf))
                mask = b.call(aten.where.self, mask, zero, minf)
            scores = b.call(aten.add.Tensor, scores, mask)
        weights = b.call(aten._softmax.default, scores, -1, False)
        node.replace_all_uses_with(b.call(aten.matmul.default, weights, v))
        gm.graph.erase_node(node)  # dead-code elimination keeps it: with dropout_p, torch counts it as random

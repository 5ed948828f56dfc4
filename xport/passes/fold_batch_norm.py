"""Fold inference batch norm into the convolution before it.

    y = conv(x, W, b);  z = batch_norm(y, γ, β, μ, σ², ε)[0]
    →  z = conv(x, W·s, (b − μ)·s + β)        with s = γ / sqrt(σ² + ε) per output channel

Only when the conv's output feeds nothing but the batch norm and all parameters are constants; otherwise
the batch norm stays (every backend here runs it natively).
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, PlanContext
from .graph import NodeBuilder, get_attr_value

_CONV = "aten.convolution.default"


def _foldable(info: NodeInfo) -> bool:
    bn = info.node
    conv = bn.args[0]
    if not isinstance(conv, torch.fx.Node) or str(conv.target) != _CONV or len(conv.users) != 1:
        return False
    if conv.args[6]:  # transposed conv: weight layout differs, keep it simple and leave the BN
        return False
    consts = [conv.args[1], *bn.args[1:5]]
    if conv.args[2] is not None:
        consts.append(conv.args[2])
    return all(isinstance(c, torch.fx.Node) and c.op == "get_attr" for c in consts if c is not None)


class FoldBatchNorm(GraphPass):
    name = "fold_batch_norm"

    def rewrites(self, info: NodeInfo, ctx: PlanContext) -> str | None:
        if info.op != "batch_norm" or not _foldable(info):
            return None
        return "folded into the preceding conv"

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        bn = info.node
        conv = bn.args[0]
        gamma, beta, mean, var = (get_attr_value(gm, a) for a in bn.args[1:5])
        eps = float(bn.args[-1])
        weight = get_attr_value(gm, conv.args[1])
        bias = get_attr_value(gm, conv.args[2]) if conv.args[2] is not None else None
        channels = weight.shape[0]
        gamma = torch.ones(channels) if gamma is None else gamma
        beta = torch.zeros(channels) if beta is None else beta
        bias = torch.zeros(channels) if bias is None else bias

        scale = gamma / torch.sqrt(var + eps)
        new_weight = weight * scale.reshape(-1, *([1] * (weight.dim() - 1)))
        new_bias = (bias - mean) * scale + beta

        b = NodeBuilder(gm, conv)
        args = list(conv.args)
        args[1] = b.const(f"{conv.name}_folded_weight", new_weight)
        args[2] = b.const(f"{conv.name}_folded_bias", new_bias)
        conv.args = tuple(args)
        for user in list(bn.users):  # getitem(bn, 0) nodes
            user.replace_all_uses_with(conv)
            gm.graph.erase_node(user)
        gm.graph.erase_node(bn)

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
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder, get_attr_value

_CONV = "aten.convolution.default"


def _not_foldable(info: NodeInfo) -> str | None:
    """Why the batch norm cannot be folded into the op before it, or ``None`` if it can."""
    bn = info.node
    conv = bn.args[0]
    if not isinstance(conv, torch.fx.Node) or str(conv.target) != _CONV:
        return "its input is not a convolution"
    if len(conv.users) != 1:
        return f"the convolution's output has {len(conv.users)} users, so the unnormalised value is needed too"
    if conv.args[6]:  # transposed conv: weight layout differs, keep it simple and leave the BN
        return "the convolution is transposed"
    consts = [conv.args[1], *bn.args[1:5]]
    if conv.args[2] is not None:
        consts.append(conv.args[2])
    if not all(isinstance(c, torch.fx.Node) and c.op == "get_attr" for c in consts if c is not None):
        return "the conv weight or batch-norm statistics are computed in the graph, not constants"
    return None


class FoldBatchNorm(GraphPass):
    name = "fold_batch_norm"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "batch_norm":
            return None
        reason = _not_foldable(info)
        return skip(f"not folded: {reason}") if reason else rewrite_as("folded into the preceding conv")

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

"""Standalone inference batch norm → per-channel multiply-add, for runtimes without a batch-norm op.

    batch_norm(x, γ, β, μ, σ², ε)  →  x · s + (β − μ·s)        with s = γ / sqrt(σ² + ε), shaped (C, 1, …, 1)

Runs after ``fold_batch_norm``, so it only sees batch norms with no conv to fold into.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder, get_attr_value

aten = torch.ops.aten


def _has_constant_parameters(bn: torch.fx.Node) -> bool:
    """γ, β, μ, σ² are stored constants (γ/β may be absent), not computed in the graph."""
    return all(arg is None or (isinstance(arg, torch.fx.Node) and arg.op == "get_attr") for arg in bn.args[1:5])


class BatchNormToAffine(GraphPass):
    name = "batch_norm_to_affine"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "batch_norm" or ctx.native(info):
            return None
        if not _has_constant_parameters(info.node):
            return skip("its statistics are computed in the graph, not constants")
        return rewrite_as("per-channel multiply-add with folded constants")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        bn = info.node
        gamma, beta, mean, var = (get_attr_value(gm, arg) for arg in bn.args[1:5])
        channels = info.attrs.channels
        gamma = torch.ones(channels) if gamma is None else gamma
        beta = torch.zeros(channels) if beta is None else beta
        scale = gamma / torch.sqrt(var + info.attrs.eps)
        shift = beta - mean * scale
        # Broadcast over (N, C, spatial…): the constants are (C, 1, …, 1).
        shape = (channels,) + (1,) * (info.attrs.rank - 2)
        b = NodeBuilder(gm, bn)
        y = b.call(aten.mul.Tensor, bn.args[0], b.const(f"{bn.name}_scale", scale.reshape(shape)))
        y = b.call(aten.add.Tensor, y, b.const(f"{bn.name}_shift", shift.reshape(shape)))
        for user in list(bn.users):  # getitem(bn, 0) nodes
            user.replace_all_uses_with(y)
            gm.graph.erase_node(user)
        gm.graph.erase_node(bn)

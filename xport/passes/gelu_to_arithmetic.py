"""GELU → its formula, for runtimes without the GELU form the model uses.

    gelu(x, approximate="tanh")  →  ½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
    gelu(x)  (the erf form)      →  ½ · x · (1 + erf(x / √2))

ExecuTorch's XNNPACK delegate is the reason this exists: it takes every ``aten.gelu`` and computes the erf form,
so a tanh-form GELU left to it is silently wrong by up to 5e-4. The formulas are the op's definition, so the
result matches to float rounding.
"""

from __future__ import annotations

import math

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten


class GeluToArithmetic(GraphPass):
    name = "gelu_to_arithmetic"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "gelu" or ctx.native(info):
            return None
        if info.attrs.approximate == "tanh":
            return rewrite_as("½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))")
        return rewrite_as("½·x·(1 + erf(x/√2))")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        x = node.args[0]
        b = NodeBuilder(gm, node)
        if info.attrs.approximate == "tanh":
            cubic = b.call(aten.mul.Tensor, b.call(aten.mul.Tensor, x, x), x)
            inner = b.call(aten.add.Tensor, x, b.call(aten.mul.Tensor, cubic, 0.044715))
            gate = b.call(aten.tanh.default, b.call(aten.mul.Tensor, inner, math.sqrt(2.0 / math.pi)))
        else:
            gate = b.call(aten.erf.default, b.call(aten.mul.Tensor, x, 1.0 / math.sqrt(2.0)))
        half_x = b.call(aten.mul.Tensor, x, 0.5)
        y = b.call(aten.mul.Tensor, half_x, b.call(aten.add.Tensor, gate, 1.0))
        node.replace_all_uses_with(y)

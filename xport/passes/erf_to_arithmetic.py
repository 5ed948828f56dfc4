"""erf → polynomials, ``exp`` and a select, for runtimes without an erf op (TFLite).

Norbert Juffa's single-precision erf (the one PyTorch's MPS and MLX kernels use), in two pieces split at
|x| = 0.927734375::

    |x| ≤ 0.9277:   erf(x) = x + x · P(x²)                       (P of degree 5)
    |x| > 0.9277:   erf(x) = sign(x) · (1 − exp(Q(|x|) − |x|))    (Q of degree 7; Q(t) − t ≈ log erfc(t))

Both pieces are evaluated everywhere and ``where`` picks one, so the unpicked one may be inf or NaN for huge
inputs. Juffa writes it with fused multiply-adds; as separate float32 ops (all a runtime offers) it is still within
6.6e-8 absolute (1.1 ulp) of erf on a dense grid over [−8, 8] and at ±inf (8e-8 in LiteRT, whose EXP adds a
little). The rational approximation XLA and Eigen use would not be: as separate ops its Horner steps add up to
4.3e-7. The ops it emits (abs, mul, add, sub, exp, neg, lt/le, where) are all native where erf is missing (TFLite).
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as
from .graph import NodeBuilder

aten = torch.ops.aten

_SPLIT = 0.927734375  # 475/512, exact in float32
# Coefficients of P in x², highest power first (x + x·P(x²) for small |x|).
_SMALL = (-5.96761703e-4, 4.99119423e-3, -2.67681349e-2, 1.12819925e-1, -3.76125336e-1, 1.28379166e-1)
# Q(t) in t = |x|: its four highest terms as (a₀t + a₁)·t² + (c₀t + c₁), as Juffa pairs them; then Horner's rule.
_LARGE_HEAD = ((-1.72853470e-5, 3.83197126e-4), (-3.88396438e-3, 2.42546219e-2))
_LARGE_TAIL = (-1.06777877e-1, -6.34846687e-1, -1.28717512e-1)


def _affine(b: NodeBuilder, x: torch.fx.Node, scale: float, shift: float) -> torch.fx.Node:
    return b.call(aten.add.Tensor, b.call(aten.mul.Tensor, x, scale), shift)


def _horner(b: NodeBuilder, acc: torch.fx.Node, x: torch.fx.Node, coefficients: tuple[float, ...]) -> torch.fx.Node:
    """``acc`` continued by Horner's rule: ((acc·x + c₀)·x + c₁)…"""
    for c in coefficients:
        acc = b.call(aten.add.Tensor, b.call(aten.mul.Tensor, acc, x), c)
    return acc


def erf_small(b: NodeBuilder, x: torch.fx.Node, square: torch.fx.Node) -> torch.fx.Node:
    """erf(x) for |x| ≤ 0.9277: x + x·P(x²)."""
    p = _horner(b, _affine(b, square, _SMALL[0], _SMALL[1]), square, _SMALL[2:])
    return b.call(aten.add.Tensor, b.call(aten.mul.Tensor, p, x), x)


def erf_large(b: NodeBuilder, x: torch.fx.Node, t: torch.fx.Node, square: torch.fx.Node) -> torch.fx.Node:
    """erf(x) for |x| > 0.9277 (``t`` = |x|): sign(x)·(1 − exp(Q(t) − t))."""
    (a0, a1), (c0, c1) = _LARGE_HEAD
    head = b.call(aten.add.Tensor, b.call(aten.mul.Tensor, _affine(b, t, a0, a1), square), _affine(b, t, c0, c1))
    q = _horner(b, head, t, _LARGE_TAIL)
    exponent = b.call(aten.sub.Tensor, b.call(aten.mul.Tensor, q, t), t)
    # erfc(t) − 1 = −erf(t) rounds as 1 − erfc(t) does (to nearest is symmetric); the sign is a select, exact.
    minus_erf = b.call(aten.sub.Tensor, b.call(aten.exp.default, exponent), 1.0)
    negative = b.call(aten.lt.Scalar, x, 0.0)
    return b.call(aten.where.self, negative, minus_erf, b.call(aten.neg.default, minus_erf))


class ErfToArithmetic(GraphPass):
    name = "erf_to_arithmetic"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "erf" or ctx.native(info):
            return None
        return rewrite_as("x + x·P(x²) for |x| ≤ 0.93, else sign(x)·(1 − exp(Q(|x|) − |x|)) (float32 erf, 1.1 ulp)")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        x = node.args[0]
        b = NodeBuilder(gm, node)
        t = b.call(aten.abs.default, x)
        square = b.call(aten.mul.Tensor, x, x)
        small = b.call(aten.le.Scalar, t, _SPLIT)
        y = b.call(aten.where.self, small, erf_small(b, x, square), erf_large(b, x, t, square))
        node.replace_all_uses_with(y)

"""Fold before you judge: evaluate, once, every node whose value does not depend on the model's inputs.

    idx = fmod(arange(T) + 1, T)            →   idx = <stored constant>
    mask = where(ids == ids.T, 0, -100)     →   mask = <stored constant>
    zeros = full_like(x, 0)                 →   zeros = <stored constant of x's static shape>

A node is constant when all its tensor inputs are stored constants (parameters and buffers are constants at
inference) or other constant nodes, or when it reads only its input's shape (``full_like``, ``zeros_like``) and that
shape is static. Such nodes (position indices, attention masks, relative-position bias tables, index arithmetic) are
never "unsupported": ``xport check`` reports them as folded, and the planned graph holds their values.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder, get_attr_value

# Ops whose result depends only on the shape (and dtype) of their tensor input.
_SHAPE_ONLY = {"aten.full_like.default", "aten.zeros_like.default", "aten.ones_like.default",
               "aten.empty_like.default", "aten.new_zeros.default", "aten.new_ones.default", "aten.new_full.default",
               "aten.new_empty.default"}
# Ops that produce a different value on every call: never folded.
_RANDOM = ("rand", "normal", "bernoulli", "dropout", "uniform")
# Folded values larger than this stay computed (a broadcast of a small constant is cheaper than storing it).
MAX_ELEMENTS = 1 << 20
_KEY = "xport_constant"


def _is_constant(node: torch.fx.Node) -> bool:
    """Whether ``node``'s value is the same for every input (memoised on the graph in one scan)."""
    if _KEY not in node.meta:
        for n in node.graph.nodes:
            if _KEY not in n.meta:
                n.meta[_KEY] = _constant_given_inputs(n)
    return node.meta[_KEY]


def _constant_given_inputs(node: torch.fx.Node) -> bool:
    if node.op == "get_attr":
        return True
    if node.op != "call_function" or any(word in str(node.target) for word in _RANDOM):
        return False
    if str(node.target) in _SHAPE_ONLY:
        val = node.meta.get("val")
        return isinstance(val, torch.Tensor) and all(isinstance(d, int) for d in val.shape)
    return all(n.meta.get(_KEY, False) for n in node.all_input_nodes)


def _value(gm: torch.fx.GraphModule, arg):
    """A folded node's argument as a real value (its inputs were folded before it, in graph order)."""
    if isinstance(arg, torch.fx.Node):
        value = get_attr_value(gm, arg)
        if value is None:
            raise ValueError(f"{arg.name} has no stored value")
        return value
    if isinstance(arg, (list, tuple)):
        return type(arg)(_value(gm, a) for a in arg)
    return arg


def _numel(val) -> int:
    if isinstance(val, torch.Tensor):
        return val.numel()
    if isinstance(val, (list, tuple)):
        return sum(_numel(v) for v in val)
    return 1


class FoldConstants(GraphPass):
    name = "fold_constants"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        node = info.node
        if node.op != "call_function" or not _is_constant(node):
            return None
        if not node.users:  # dead code: dropped, not folded
            return None
        size = _numel(node.meta.get("val"))
        if size > MAX_ELEMENTS:
            return skip(f"its value ({size} elements) is larger than {MAX_ELEMENTS} elements: computed at run time")
        return rewrite_as("folded into a constant (its value does not depend on the inputs)", status="folded")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node = info.node
        if str(node.target) in _SHAPE_ONLY:  # the input is read for its shape only: evaluate on a stand-in
            x = node.args[0].meta["val"]
            args = (torch.zeros(tuple(x.shape), dtype=x.dtype), *_value(gm, node.args[1:]))
        else:
            args = _value(gm, node.args)
        with torch.no_grad():
            value = node.target(*args, **{k: _value(gm, v) for k, v in node.kwargs.items()})
        b = NodeBuilder(gm, node)
        if isinstance(value, (tuple, list)):  # a multi-output op: each getitem user becomes its constant
            for user in list(node.users):
                user.replace_all_uses_with(b.const(f"{node.name}_{user.args[1]}", value[user.args[1]]))
            return
        node.replace_all_uses_with(b.const(node.name, value))

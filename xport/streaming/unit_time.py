"""Drop the time axis from a stream step: every tensor of one frame, (N, C, 1, H, W), becomes (N, C, H, W).

A step sees one frame, so its 3-D convs have one-frame kernels and every activation has T = 1. Left 5-D, runtimes
run them as 3-D ops, which mobile kernels serve worst (ONNX Runtime's depthwise kernels are 2-D only), and pay a
reshape around every state read and written. Here each such node gets a 4-D twin: a conv2d with the kernel's one
frame, the same batch norm, activation or arithmetic on the twins, a mean over the remapped axes, a view. Any other
op reads its input's twin unsqueezed back to 5-D, so the rewrite is exact for every graph; the 5-D nodes nobody
reads any more are dropped.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import torch
import torch.fx
from torch.fx.passes.shape_prop import ShapeProp

from ..passes.graph import NodeBuilder, copy_provenance, get_attr_value
from .causality import TIME

aten = torch.ops.aten

# Ops that act element by element on their first argument (their other arguments are not tensors).
_ELEMENTWISE = {aten.relu.default, aten.sigmoid.default, aten.silu.default, aten.hardswish.default,
                aten.hardsigmoid.default, aten.tanh.default, aten.gelu.default, aten.clone.default,
                aten.hardtanh.default, aten.leaky_relu.default}
_BINARY = {aten.add.Tensor, aten.sub.Tensor, aten.mul.Tensor, aten.div.Tensor}
_VIEWS = {aten.view.default, aten.reshape.default, aten._unsafe_view.default}
_BATCH_NORM = aten._native_batch_norm_legit_no_training.default


def _without_time(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(d) for i, d in enumerate(shape) if i != TIME)


def _frame_dims(dims: Sequence[int]) -> list[int]:
    """Axes of a clip tensor reduced over, as axes of its one-frame twin (the time axis has size 1: dropped)."""
    return [d - (d > TIME) for d in (d % 5 for d in dims) if d != TIME]


class _Twins:
    """The 4-D twin of each one-frame node, built in graph order."""

    def __init__(self, gm: torch.fx.GraphModule):
        self.gm, self.graph = gm, gm.graph
        self.twin: dict[torch.fx.Node, torch.fx.Node] = {}
        self.made: dict[torch.fx.Node, tuple[int, ...] | None] = {}  # new node → its shape, where known

    def shape(self, node: Any) -> tuple[int, ...] | None:
        if node in self.made:
            return self.made[node]
        meta = node.meta.get("tensor_meta") if isinstance(node, torch.fx.Node) else None
        return tuple(meta.shape) if hasattr(meta, "shape") else None

    def one_frame(self, node: Any) -> bool:
        shape = self.shape(node)
        return shape is not None and len(shape) == 5 and shape[TIME] == 1

    def call(self, anchor: torch.fx.Node, shape: tuple[int, ...] | None, target: Any, *args: Any,
             **kwargs: Any) -> torch.fx.Node:
        with self.graph.inserting_before(anchor):  # after every input of the anchor, in the order built
            node = self.graph.call_function(target, args, kwargs)
        self.made[node] = shape
        return copy_provenance(node, anchor)

    def view(self, anchor: torch.fx.Node, value: torch.fx.Node, shape: tuple[int, ...]) -> torch.fx.Node:
        return value if self.shape(value) == shape else self.call(anchor, shape, aten.view.default, value, list(shape))

    def operand(self, anchor: torch.fx.Node, value: Any) -> Any:
        """``value`` as the 4-D graph reads it: its twin, a one-frame tensor viewed 4-D, a scalar, or a tensor that
        broadcasts the same way in both (at most the H, W axes); None if none of these."""
        if not isinstance(value, torch.fx.Node):
            return value
        if value in self.twin:
            return self.twin[value]
        shape = self.shape(value)
        if shape is not None and self.one_frame(value):
            return self.view(anchor, value, _without_time(shape))
        return value if shape is not None and len(shape) <= TIME else None

    def frame_kernel(self, anchor: torch.fx.Node, weight: torch.fx.Node) -> Any:
        """A one-frame conv3d weight as a conv2d weight: a new constant where it is one, else a view."""
        value = get_attr_value(self.gm, weight)
        if value is None:
            return self.operand(anchor, weight)
        node = NodeBuilder(self.gm, anchor).const(f"{weight.target}_2d", value[:, :, 0])
        self.made[node] = tuple(value[:, :, 0].shape)
        return node

    def build(self, node: torch.fx.Node) -> torch.fx.Node | None:
        """The twin of ``node``, a one-frame node, or None where no rule applies."""
        target, args, kwargs = node.target, node.args, node.kwargs
        shape = _without_time(self.shape(node))
        source = args[0] if args else None
        if target is aten.unsqueeze.default and args[1] == TIME and self.shape(source) == shape:
            return source  # the frame input
        if target in _VIEWS:
            return self.view(node, self.twin.get(source, source), shape)
        if target in _BINARY:
            a, b = self.operand(node, args[0]), self.operand(node, args[1])
            if a is None or b is None or not (args[0] in self.twin or args[1] in self.twin):
                return None
            return self.call(node, shape, target, a, b, *args[2:], **kwargs)
        if source not in self.twin:
            return None
        x = self.twin[source]
        if target in _ELEMENTWISE:  # a 5-D memory format (clone's channels_last_3d) has no 4-D meaning
            return self.call(node, shape, target, x, *args[1:], **{k: v for k, v in kwargs.items()
                                                                  if k != "memory_format"})
        if target is aten.convolution.default:
            weight, bias, stride, padding, dilation, transposed, output_padding, groups = args[1:9]
            if transposed or padding[0] != 0 or not self.one_frame(weight):
                return None
            kernel = self.frame_kernel(node, weight)
            if kernel is None:
                return None
            return self.call(node, shape, target, x, kernel, bias, list(stride[1:]), list(padding[1:]),
                             list(dilation[1:]), False, list(output_padding[1:]), groups)
        if target is aten.mean.dim and len(args) > 2 and args[2]:  # keepdim: the mean of a frame is one frame
            return self.call(node, shape, target, x, _frame_dims(args[1]), True, *args[3:], **kwargs)
        return None

    def batch_norm(self, node: torch.fx.Node) -> None:
        """An eval batch norm takes any rank: the ``[0]`` of its twin is the twin of the original's ``[0]``."""
        norm = self.call(node, None, node.target, self.twin[node.args[0]], *node.args[1:])
        for user in list(node.users):
            if user.target is operator.getitem and user.args[1] == 0:
                self.twin[user] = self.call(node, _without_time(self.shape(user)), operator.getitem, norm, 0)

    def leaving(self, node: torch.fx.Node) -> torch.fx.Node | None:
        """``node`` computed from its input's twin where it leaves one-frame land (a view to other axes, a mean over
        time without keepdim), else None."""
        source = node.args[0] if node.args else None
        if source not in self.twin or self.one_frame(node):
            return None
        shape = self.shape(node)
        if node.target in _VIEWS and shape is not None:
            return self.view(node, self.twin[source], shape)
        if node.target is aten.mean.dim and len(node.args) > 2 and not node.args[2] and TIME in [
                d % 5 for d in node.args[1]]:
            return self.call(node, shape, aten.mean.dim, self.twin[source], _frame_dims(node.args[1]), False,
                             *node.args[3:], **node.kwargs)
        return None

    def unsqueeze_for_the_rest(self) -> None:
        """Every other reader of a one-frame node (an op without a rule, the outputs) reads its twin, unsqueezed."""
        for node, twin in self.twin.items():
            readers = {u for u in node.users if u not in self.made and u not in self.twin}
            if readers:
                clip = self.call(node, self.shape(node), aten.unsqueeze.default, twin, TIME)
                node.replace_all_uses_with(clip, delete_user_cb=readers.__contains__)


def drop_unit_time(gm: torch.fx.GraphModule, example_inputs: Sequence[torch.Tensor]) -> int:
    """Rewrite ``gm`` (a stream step) in place so its one-frame tensors are 4-D; returns how many got a 4-D twin."""
    ShapeProp(gm).propagate(*example_inputs)
    twins = _Twins(gm)
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node in twins.made or node in twins.twin:
            continue
        if node.target is _BATCH_NORM and node.args[0] in twins.twin:
            twins.batch_norm(node)
        elif twins.one_frame(node) and (twin := twins.build(node)) is not None:
            twins.twin[node] = twin
        elif (replacement := twins.leaving(node)) is not None:
            node.replace_all_uses_with(replacement)
    twins.unsqueeze_for_the_rest()
    gm.graph.eliminate_dead_code()
    gm.graph.lint()
    gm.recompile()
    return len(twins.twin)

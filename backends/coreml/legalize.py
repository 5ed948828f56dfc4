"""Small rewrites of the planned program into the forms coremltools' torch frontend converts.

``F.relu6`` is captured as ``hardtanh(x, 0, 6)`` with integer bounds; coremltools 9.0 turns the bounds into int32
constants next to a float ``x`` and its ``clip`` op refuses them ("alpha has dtype int32 whereas x has dtype fp32").
Bounds of a float clamp are made floats here (the value is the same number). ``F.max_pool2d(x, 2)`` is captured
without its stride (the default: the kernel size), which coremltools' pool converters require: it is written out.
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

_BOUNDED = (torch.ops.aten.hardtanh.default, torch.ops.aten.clamp.default)
_POOLS = (torch.ops.aten.max_pool1d.default, torch.ops.aten.max_pool2d.default, torch.ops.aten.max_pool3d.default,
          torch.ops.aten.avg_pool1d.default, torch.ops.aten.avg_pool2d.default, torch.ops.aten.avg_pool3d.default)


def _is_float(node) -> bool:
    value = node.meta.get("val") if isinstance(node, torch.fx.Node) else None
    return isinstance(value, torch.Tensor) and value.is_floating_point()


def legalize(program: ExportedProgram) -> ExportedProgram:
    """``program`` (changed in place) with float clamp bounds and explicit pool strides."""
    for node in program.graph.nodes:
        if node.op != "call_function":
            continue
        if node.target in _BOUNDED and _is_float(node.args[0]):
            node.args = (node.args[0], *(float(a) if isinstance(a, int) and not isinstance(a, bool) else a
                                         for a in node.args[1:]))
        elif node.target in _POOLS and "stride" not in node.kwargs and (len(node.args) < 3 or not node.args[2]):
            node.args = (*node.args[:2], node.args[1], *node.args[3:])  # stride defaults to the kernel size
    return program

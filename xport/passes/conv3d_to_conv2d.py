"""Conv3d → conv2d, for runtimes without a fast (or any) 3-D convolution.

The idea behind PyTorchVideo's Accelerator, with the lowering chosen per conv (see ``conv3d_lowerings``)::

    1×1×1                      → conv2d on the view (N, C, T·H, W)                 (free)
    kt×1×1, no spatial stride  → conv2d, kernel (kt, 1), on the view (N, C, T, H·W) (free)
    other, T/kt ≤ 2 (short clips, e.g. X3D-XS)
                               → banded grouped conv2d on the view (N, C·T, H, W)  (no copies, T/kt MACs)
    other                      → kt conv2d taps over frames folded into the batch, summed

Weights must be constants for the banded form (they are rearranged at export); a computed weight gets taps.
"""

from __future__ import annotations

import torch.fx

from ..capture import NodeInfo
from ..errors import XportError
from ..spec import ConvAttrs, shape_of
from ..spec.attrs import tensor_meta
from . import conv3d_lowerings as lower
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder, get_attr_value

# Above this multiply-add overhead the banded form loses to taps (measured: T=13, kt=3 is 4× slower).
MAX_BANDED_OVERHEAD = 2.0


def choose(info: NodeInfo, weight_is_constant: bool, channels_last: bool = False) -> str:
    """Which lowering a conv3d gets: pointwise, temporal, banded or taps.

    Channels-last backends get taps instead of banded: in NTHWC the taps' frames are free views, while the
    banded (N, C·T, H, W) view would need channels stored before time, a transpose around every conv.
    """
    a: ConvAttrs = info.attrs
    n, c, t, h, w = shape_of(info.node.args[0])
    if lower.is_pointwise(a, h):
        return "pointwise"
    if lower.is_temporal(a):
        return "temporal"
    if weight_is_constant and not channels_last and lower.banded_overhead(a, t) <= MAX_BANDED_OVERHEAD:
        return "banded"
    return "taps"


_DESCRIPTIONS = {
    "pointwise": "conv2d on the (N, C, T·H, W) view",
    "temporal": "conv2d with a ({kt}, 1) kernel on the (N, C, T, H·W) view",
    "banded": "banded grouped conv2d on the (N, C·T, H, W) view",
    "taps": "{kt} conv2d taps {spatial} over frames folded into the batch, summed",
}


class Conv3dToConv2d(GraphPass):
    name = "conv3d_to_conv2d"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op != "conv" or info.attrs.rank != 3:
            return None
        if ctx.native(info) and "conv3d" not in ctx.prefer_decomposed:
            return None
        if info.attrs.transposed:
            return skip("transposed 3-D convolutions are not rewritten")
        weight = info.node.args[1]
        strategy = choose(info, isinstance(weight, torch.fx.Node) and weight.op == "get_attr", ctx.caps.channels_last)
        return rewrite_as(_DESCRIPTIONS[strategy].format(kt=info.attrs.kernel[0], spatial=info.attrs.kernel[1:]))

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        x, weight, bias = node.args[0], node.args[1], node.args[2]
        if not isinstance(tensor_meta(x).shape[0], int):  # every lowering reshapes with the batch size
            raise XportError(f"conv '{info.module_path}': the conv3d → conv2d rewrite needs a static batch size; "
                             "export with dynamic_batch=False, or keep conv3d native (decompose=())")
        shape_in, shape_out = shape_of(x), shape_of(node)
        weight_value = get_attr_value(gm, weight)
        b = NodeBuilder(gm, node)
        strategy = choose(info, weight_value is not None, ctx.caps.channels_last)
        if strategy == "pointwise":
            y = lower.pointwise(b, x, weight, bias, a, shape_in, shape_out)
        elif strategy == "temporal":
            y = lower.temporal(b, x, weight, bias, a, shape_in, shape_out)
        elif strategy == "banded":
            bias_value = get_attr_value(gm, bias) if bias is not None else None
            if bias is not None and bias_value is None:
                strategy = "taps"  # computed bias: keep it in the graph
            else:
                y = lower.banded(b, weight_value, bias_value, a, x, shape_in, shape_out, weight.name)
        if strategy == "taps":
            y = lower.taps(b, weight_value, x, weight, bias, a, shape_in, shape_out, weight.name)
        node.replace_all_uses_with(y)
        gm.graph.erase_node(node)

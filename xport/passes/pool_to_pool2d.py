"""1-D and 3-D windowed pooling → 2-D pooling, for runtimes that pool only in 2-D (TFLite, XNNPACK).

    pool1d(x: N, C, L)          → pool2d with a (1, k) window on the (N, C, 1, L) view
    pool3d(x: N, C, T, H, W)    → spatial pool2d (kh, kw) over frames folded into the batch (N·T, C, H, W),
                                  then temporal pool2d (kt, 1) on the (N, C, T, H·W) view

Max and average pooling are separable over a box window, so the two steps are exact: with padding, the
count of valid elements of a box is the product of the per-axis counts (``count_include_pad=False``), and
the full window size is too (``True``). ``ceil_mode`` windows are not boxes of the input: those stay.
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..spec import shape_of
from ..spec.attrs import PoolAttrs
from .base import GraphPass, Match, PlanContext, rewrite_as, skip
from .graph import NodeBuilder

aten = torch.ops.aten


def _pool2d(b: NodeBuilder, is_avg: bool, x, kernel, stride, padding, a: PoolAttrs, dilation) -> torch.fx.Node:
    if is_avg:
        return b.call(aten.avg_pool2d.default, x, list(kernel), list(stride), list(padding), False,
                      a.count_include_pad)
    return b.call(aten.max_pool2d.default, x, list(kernel), list(stride), list(padding), list(dilation), False)


def _dilation(node: torch.fx.Node, rank: int) -> tuple[int, ...]:
    value = node.args[4] if len(node.args) > 4 else node.kwargs.get("dilation", 1)
    values = [value] if isinstance(value, int) else list(value)
    return tuple(values * rank if len(values) == 1 else values)


class PoolToPool2d(GraphPass):
    name = "pool_to_pool2d"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        if info.op not in ("avg_pool", "max_pool") or info.attrs.rank == 2 or ctx.native(info):
            return None
        if info.attrs.ceil_mode:
            return skip("ceil_mode windows do not separate into 2-D pools exactly")
        if info.attrs.rank == 1:
            return rewrite_as("pool2d with a (1, k) window on the (N, C, 1, L) view")
        return rewrite_as("spatial pool2d over frames folded into the batch, then temporal pool2d")

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        is_avg = info.op == "avg_pool"
        dilation = (1,) * a.rank if is_avg else _dilation(node, a.rank)
        b = NodeBuilder(gm, node)
        x = node.args[0]
        if a.rank == 1:  # views, not (un)squeeze: XNNPACK delegates views of any dim
            n, c, length = shape_of(x)
            y = _pool2d(b, is_avg, b.call(aten.reshape.default, x, [n, c, 1, length]), (1, *a.kernel),
                        (1, *a.stride), (0, *a.padding), a, (1, *dilation))
            y = b.call(aten.reshape.default, y, list(shape_of(node)))
        else:
            y = self._pool3d(b, is_avg, x, a, dilation)
        node.replace_all_uses_with(y)
        gm.graph.erase_node(node)

    @staticmethod
    def _pool3d(b: NodeBuilder, is_avg: bool, x, a: PoolAttrs, dilation) -> torch.fx.Node:
        n, c, t, h, w = shape_of(x)
        if (a.kernel[1:], a.stride[1:], a.padding[1:]) != ((1, 1), (1, 1), (0, 0)):
            frames = b.call(aten.permute.default, x, [0, 2, 1, 3, 4])
            frames = b.call(aten.reshape.default, frames, [n * t, c, h, w])
            frames = _pool2d(b, is_avg, frames, a.kernel[1:], a.stride[1:], a.padding[1:], a, dilation[1:])
            h, w = shape_of(frames)[2:]
            x = b.call(aten.permute.default, b.call(aten.reshape.default, frames, [n, t, c, h, w]), [0, 2, 1, 3, 4])
        if (a.kernel[0], a.stride[0], a.padding[0]) != (1, 1, 0):
            y = b.call(aten.reshape.default, x, [n, c, t, h * w])
            y = _pool2d(b, is_avg, y, (a.kernel[0], 1), (a.stride[0], 1), (a.padding[0], 0), a, (dilation[0], 1))
            x = b.call(aten.reshape.default, y, [n, c, shape_of(y)[2], h, w])
        return x

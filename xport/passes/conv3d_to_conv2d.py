"""Conv3d → per-frame conv2d taps, with time folded into the batch.

For runtimes without a fast (or any) 3-D convolution — the idea behind PyTorchVideo's Accelerator.
A conv with temporal kernel ``kt``, stride ``st``, padding ``pt`` and dilation ``dt`` is the sum of ``kt``
2-D convs, tap ``i`` seeing frames ``i·dt, i·dt + st, …`` of the time-padded clip::

    x (N,C,T,H,W) ─permute→ (N,T,C,H,W) ─cat zeros (pt each side)→ (N,T+2pt,C,H,W)
        tap i: slice time [i·dt :: st] → reshape (N·T', C, H, W) → conv2d(W[:, :, i], b if i == 0)
    Σ taps → reshape (N,T',C',H',W') ─permute→ (N,C',T',H',W')

Each tap gets its own weight constant (ExecuTorch's XNNPACK delegate needs separate parameters), and time
padding is a ``cat`` with ``full(0)`` frames rather than a 5-D ``pad`` (XNNPACK's int8 path rejects the latter;
``full`` instead of a stored zero tensor keeps the artifact small).
A pointwise conv (1×1×1, no temporal stride) needs no taps: it is a conv2d on the free view (N, C, T·H, W).
"""

from __future__ import annotations

import torch
import torch.fx

from ..capture import NodeInfo
from ..errors import XportError
from ..spec import ConvAttrs, shape_of
from ..spec.attrs import tensor_meta
from .base import GraphPass, PlanContext
from .graph import NodeBuilder, get_attr_value

aten = torch.ops.aten


def _is_pointwise(a: ConvAttrs, height: int) -> bool:
    # A 1x1x1 kernel never mixes rows, so rows of different frames may share the H axis, as long as the
    # row stride lands on the first row of every frame.
    return a.kernel == (1, 1, 1) and not any(a.padding) and a.stride[0] == 1 and height % a.stride[1] == 0


class Conv3dToConv2dTaps(GraphPass):
    name = "conv3d_to_conv2d"

    def rewrites(self, info: NodeInfo, ctx: PlanContext) -> str | None:
        if info.op != "conv" or info.attrs.rank != 3 or info.attrs.transposed:
            return None
        if ctx.native(info) and "conv3d" not in ctx.prefer_decomposed:
            return None
        a: ConvAttrs = info.attrs
        if _is_pointwise(a, shape_of(info.node.args[0])[3]):
            return "conv2d on the (N, C, T·H, W) view"
        return f"{a.kernel[0]} conv2d tap(s) {a.kernel[1:]} over frames folded into the batch, summed"

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        node, a = info.node, info.attrs
        x, weight, bias = node.args[0], node.args[1], node.args[2]
        if not isinstance(tensor_meta(x).shape[0], int):  # the taps fold time into a fixed-size batch
            raise XportError(f"conv '{info.module_path}': the conv3d → conv2d rewrite needs a static batch size; "
                             "export with dynamic_batch=False, or keep conv3d native (decompose=())")
        n, c, t, h, w = shape_of(x)
        _, c_out, t_out, h_out, w_out = shape_of(node)
        b = NodeBuilder(gm, node)
        if _is_pointwise(a, h):
            y = self._pointwise(b, x, weight, bias, a, (n, c, t * h, w), (n, c_out, t_out, h_out, w_out))
        else:
            y = self._taps(gm, b, x, weight, bias, a, (n, c, t, h, w), (n, c_out, t_out, h_out, w_out))
        node.replace_all_uses_with(y)
        gm.graph.erase_node(node)

    @staticmethod
    def _pointwise(b: NodeBuilder, x, weight, bias, a: ConvAttrs, view_in, shape_out) -> torch.fx.Node:
        x2 = b.call(aten.reshape.default, x, list(view_in))
        w2 = b.call(aten.reshape.default, weight, [a.out_channels, a.in_channels // a.groups, 1, 1])
        y = b.call(aten.convolution.default, x2, w2, bias, list(a.stride[1:]), [0, 0], [1, 1], False, [0, 0],
                   a.groups)
        return b.call(aten.reshape.default, y, list(shape_out))

    @staticmethod
    def _taps(gm, b: NodeBuilder, x, weight, bias, a: ConvAttrs, shape_in, shape_out) -> torch.fx.Node:
        n, c, t, h, w = shape_in
        _, c_out, t_out, h_out, w_out = shape_out
        kt, st, pt, dt = a.kernel[0], a.stride[0], a.padding[0], a.dilation[0]
        frames = b.call(aten.permute.default, x, [0, 2, 1, 3, 4])  # N, T, C, H, W
        if pt:
            zeros = b.call(aten.full.default, [n, pt, c, h, w], 0.0)
            frames = b.call(aten.cat.default, [zeros, frames, zeros], 1)
        padded_t = t + 2 * pt
        weight_value = get_attr_value(gm, weight)
        total = None
        for i in range(kt):
            start = i * dt
            stop = start + st * (t_out - 1) + 1
            tap_in = frames
            if (start, stop, st) != (0, padded_t, 1):
                tap_in = b.call(aten.slice.Tensor, frames, 1, start, stop, st)
            tap_in = b.call(aten.reshape.default, tap_in, [n * t_out, c, h, w])
            if weight_value is not None:
                tap_w = b.const(f"{weight.name}_tap{i}", weight_value[:, :, i])
            else:  # computed weight: select the tap in the graph
                tap_w = b.call(aten.select.int, weight, 2, i)
            tap = b.call(aten.convolution.default, tap_in, tap_w, bias if i == 0 else None, list(a.stride[1:]),
                         list(a.padding[1:]), list(a.dilation[1:]), False, [0, 0], a.groups)
            total = tap if total is None else b.call(aten.add.Tensor, total, tap)
        y = b.call(aten.reshape.default, total, [n, t_out, c_out, h_out, w_out])
        return b.call(aten.permute.default, y, [0, 2, 1, 3, 4])

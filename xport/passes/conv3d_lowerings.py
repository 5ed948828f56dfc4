"""The ways a conv3d becomes conv2d, as graph builders (the pass in ``conv3d_to_conv2d`` picks one).

All are exact. With x (N, C, T, H, W) and a kt×kh×kw kernel:

- ``pointwise``  1×1×1: conv2d on the free view (N, C, T·H, W).
- ``temporal``   kt×1×1 without spatial stride: conv2d with a (kt, 1) kernel on the free view (N, C, T, H·W).
- ``banded``     conv2d on the free view (N, C·T, H, W) with the groups of the conv; each group maps its T input
                 frames to T' output frames through a banded weight (zero outside the temporal kernel). No
                 layout copies at all, at T/kt times the multiply-adds: the fastest form for short clips
                 (X3D-XS, T=4: 3-20× faster than taps on this CPU, and faster than native conv3d).
- ``taps``       kt conv2d taps over frames folded into the batch, summed (PyTorchVideo Accelerator's form);
                 each tap convolves only the frames it reads (no padded copy of the clip, no work on zero
                 frames); costs a permute and a copy per tap in NCTHW, and is copy-free for the centre tap in
                 channels-last (NTHWC) runtimes: the choice for long clips and channels-last targets.
"""

from __future__ import annotations

import torch
import torch.fx

from ..spec import ConvAttrs
from .graph import NodeBuilder

aten = torch.ops.aten
Shape5 = tuple[int, int, int, int, int]


def _conv2d(b: NodeBuilder, x, weight, bias, stride, padding, dilation, groups: int) -> torch.fx.Node:
    return b.call(aten.convolution.default, x, weight, bias, list(stride), list(padding), list(dilation), False,
                  [0, 0], groups)


def is_pointwise(a: ConvAttrs, height: int) -> bool:
    # A 1x1x1 kernel never mixes rows, so frames may share the H axis as long as the row stride lands on the
    # first row of every frame.
    return a.kernel == (1, 1, 1) and not any(a.padding) and a.stride[0] == 1 and height % a.stride[1] == 0


def is_temporal(a: ConvAttrs) -> bool:
    return a.kernel[1:] == (1, 1) and a.stride[1:] == (1, 1) and a.padding[1:] == (0, 0)


def banded_overhead(a: ConvAttrs, frames: int) -> float:
    """How many times the multiply-adds of the conv the banded form spends."""
    return frames / a.kernel[0]


def pointwise(b: NodeBuilder, x, weight, bias, a: ConvAttrs, shape_in: Shape5, shape_out: Shape5):
    n, c, t, h, w = shape_in
    x2 = b.call(aten.reshape.default, x, [n, c, t * h, w])
    w2 = b.call(aten.reshape.default, weight, [a.out_channels, a.in_channels // a.groups, 1, 1])
    y = _conv2d(b, x2, w2, bias, a.stride[1:], (0, 0), (1, 1), a.groups)
    return b.call(aten.reshape.default, y, list(shape_out))


def temporal(b: NodeBuilder, x, weight, bias, a: ConvAttrs, shape_in: Shape5, shape_out: Shape5):
    n, c, t, h, w = shape_in
    x2 = b.call(aten.reshape.default, x, [n, c, t, h * w])
    w2 = b.call(aten.reshape.default, weight, [a.out_channels, a.in_channels // a.groups, a.kernel[0], 1])
    y = _conv2d(b, x2, w2, bias, (a.stride[0], 1), (a.padding[0], 0), (a.dilation[0], 1), a.groups)
    return b.call(aten.reshape.default, y, list(shape_out))


def banded_weight(weight: torch.Tensor, a: ConvAttrs, frames: int, frames_out: int) -> torch.Tensor:
    """(C', C/g, kt, kh, kw) → (C'·T', (C/g)·T, kh, kw): output frame t' of channel c' sees input frame
    t'·st − pt + i·dt through kernel slice i, and nothing else."""
    c_out, c_in_group, kt, kh, kw = weight.shape
    band = weight.new_zeros(c_out, frames_out, c_in_group, frames, kh, kw)
    for t_out in range(frames_out):
        for i in range(kt):
            t_in = t_out * a.stride[0] - a.padding[0] + i * a.dilation[0]
            if 0 <= t_in < frames:
                band[:, t_out, :, t_in] = weight[:, :, i]
    return band.reshape(c_out * frames_out, c_in_group * frames, kh, kw)


def banded(b: NodeBuilder, weight_value: torch.Tensor, bias_value: torch.Tensor | None, a: ConvAttrs, x,
           shape_in: Shape5, shape_out: Shape5, hint: str):
    n, c, t, h, w = shape_in
    t_out = shape_out[2]
    x2 = b.call(aten.reshape.default, x, [n, c * t, h, w])
    w2 = b.const(f"{hint}_banded", banded_weight(weight_value, a, t, t_out))
    bias2 = None if bias_value is None else b.const(f"{hint}_banded_bias", bias_value.repeat_interleave(t_out))
    y = _conv2d(b, x2, w2, bias2, a.stride[1:], a.padding[1:], a.dilation[1:], a.groups)
    return b.call(aten.reshape.default, y, list(shape_out))


def _tap_frames(i: int, a: ConvAttrs, frames: int, frames_out: int) -> tuple[int, int]:
    """The output frames [lo, hi) whose tap ``i`` reads a real input frame (not time padding)."""
    st, pt, dt = a.stride[0], a.padding[0], a.dilation[0]
    lo = max(0, -((i * dt - pt) // st))  # first t' with t'·st − pt + i·dt ≥ 0
    hi = min(frames_out, (frames - 1 + pt - i * dt) // st + 1)
    return lo, max(lo, hi)


def taps(b: NodeBuilder, weight_value: torch.Tensor | None, x, weight, bias, a: ConvAttrs, shape_in: Shape5,
         shape_out: Shape5, hint: str):
    n, c, t, h, w = shape_in
    _, c_out, t_out, h_out, w_out = shape_out
    st, pt, dt = a.stride[0], a.padding[0], a.dilation[0]
    frames = b.call(aten.permute.default, x, [0, 2, 1, 3, 4])  # N, T, C, H, W
    total, bias_done = None, bias is None
    for i in range(a.kernel[0]):
        # Each tap convolves only the frames it reads for real; the output frames it would read from time
        # padding get zeros afterwards (no padded copy of the input, no multiply-adds on zero frames).
        lo, hi = _tap_frames(i, a, t, t_out)
        if lo == hi:
            continue
        first = lo * st - pt + i * dt
        tap_in = frames
        if (first, hi - lo, st) != (0, t, 1):
            tap_in = b.call(aten.slice.Tensor, frames, 1, first, first + (hi - lo - 1) * st + 1, st)
        tap_in = b.call(aten.reshape.default, tap_in, [n * (hi - lo), c, h, w])
        if weight_value is not None:  # own constant per tap (ExecuTorch's XNNPACK delegate needs that)
            tap_w = b.const(f"{hint}_tap{i}", weight_value[:, :, i])
        else:  # computed weight: select the tap in the graph
            tap_w = b.call(aten.select.int, weight, 2, i)
        full = (lo, hi) == (0, t_out)
        tap = _conv2d(b, tap_in, tap_w, bias if full and not bias_done else None, a.stride[1:], a.padding[1:],
                      a.dilation[1:], a.groups)
        bias_done = bias_done or full
        tap = b.call(aten.reshape.default, tap, [n, hi - lo, c_out, h_out, w_out])
        if not full:  # zero frames by cat, not a 5-D pad (XNNPACK's int8 path rejects the pad)
            parts = [b.call(aten.full.default, [n, k, c_out, h_out, w_out], 0.0) if k else None
                     for k in (lo, t_out - hi)]
            tap = b.call(aten.cat.default, [p for p in (parts[0], tap, parts[1]) if p is not None], 1)
        total = tap if total is None else b.call(aten.add.Tensor, total, tap)
    if total is None:  # every tap reads only padding (a clip shorter than the padding): zeros
        total = b.call(aten.full.default, [n, t_out, c_out, h_out, w_out], 0.0)
    if not bias_done:
        total = b.call(aten.add.Tensor, total, b.call(aten.reshape.default, bias, [1, 1, c_out, 1, 1]))
    return b.call(aten.permute.default, total, [0, 2, 1, 3, 4])

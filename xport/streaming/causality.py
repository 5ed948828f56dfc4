"""Which nodes of a captured clip model carry time, and whether each one can run one frame at a time.

A clip model takes (N, C, T, H, W) with time on axis 2. Walking the graph in order, every tensor computed from the
clip is tagged: per-frame (``FRAMES``: time still on axis 2, frame t computed from frames ≤ t) or pooled over the
whole clip (``CLIP``: time reduced away). Three temporal constructs stream exactly, and are collected:

- a temporal conv (kernel k_t > 1) fed by a pad of (k_t − 1)·dilation past frames and none of the future: it
  becomes a conv over a buffer of the last frames (:class:`TemporalConv`);
- a causal mean, ``cumsum(x, 2) / arange(1, T + 1)``: a running sum divided by the frame count (:class:`RunningMean`);
- a mean over time (the head's global pool): the same running mean, whose last value is the clip's mean;
- data moved one frame along time (TSM's online shift): a buffer of the previous frame's shifted part
  (:mod:`.time_shift`).

Time may move: a permute puts it on another axis, and a view may fold it into the batch axis, (N·T, C, H, W), as
TSM and other 2-D CNNs over frames do; the walk follows it there and records each such view's shape for one frame.

Everything else that touches time is refused with the op, the module path and the fix (:class:`NotStreamableError`):
a centred temporal kernel (it pads the future), a temporal stride, data moved along time other than a one-frame
delay (a roll, a shift from the future), time mixed with another axis or with the batch it is folded into, and —
the common case — a clip-wide pool fed back into per-frame features (a squeeze-excitation over the whole clip),
since frame t would then depend on frames after t.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.fx

from ..capture import module_path
from ..errors import NotStreamableError
from ..spec import shape_of
from .time_shift import MOVEMENT, ONLINE_SHIFT_FIX, ShiftRefused, TimeShift, probe_shift

aten = torch.ops.aten
TIME = 2  # the time axis of an (N, C, T, H, W) clip
FRAMES, CLIP = "frames", "clip"
FOLDED = -1  # where time is, for a tensor whose axis 0 is the batch and time together (N·T, …), T inner

CAUSAL_FIX = ("build the model causal: pad time on the left only (F.pad(x, (0, 0, 0, 0, k - 1, 0)) and no temporal "
              "padding in the conv; causal=True in xport.efficient_ops blocks, or a '*_causal' zoo model)")
_CAUSAL_POOL_FIX = ("pool causally: x.mean((3, 4), keepdim=True).cumsum(2) / arange(1, T + 1) "
                    "(xport.efficient_ops.CausalAvgPool3d; causal=True in efficient_ops blocks)")
# Ops that move data along an axis, by the index of their axis argument.
_AXIS_ARG = {aten.cat.default: 1, aten.slice.Tensor: 1, aten.select.int: 1, aten.split_with_sizes.default: 2,
             aten.split.Tensor: 2, aten.index_select.default: 1, aten.flip.default: 1, aten.roll.default: 2,
             aten.slice_scatter.default: 2}
_POOLS = {aten.avg_pool3d.default, aten.max_pool3d_with_indices.default, aten.max_pool3d.default}


@dataclass(frozen=True)
class TemporalConv:
    """A causal temporal conv: ``conv`` reads ``pad`` (``past`` frames of the past, ``spatial`` pads of H and W)."""

    conv: torch.fx.Node
    pad: torch.fx.Node
    past: int

    @property
    def source(self) -> torch.fx.Node:
        return self.pad.args[0]

    @property
    def spatial(self) -> list[int]:
        return [int(p) for p in self.pad.args[1][:4]]


@dataclass(frozen=True)
class RunningMean:
    """A mean over time that streams as a running sum: ``node``'s value is sum(frames so far) / count.

    ``source`` is what is summed per frame: the cumsum's input (causal mean), or the mean's input (a mean over time,
    ``dims`` its other reduced axes).
    """

    node: torch.fx.Node
    source: torch.fx.Node
    causal: bool
    dims: tuple[int, ...] = ()
    axis: int = TIME  # the time axis of ``source``


@dataclass
class TemporalOps:
    """What the stream rewrite needs: the temporal convs and the running means, in graph order."""

    convs: list[TemporalConv] = field(default_factory=list)
    means: list[RunningMean] = field(default_factory=list)
    shifts: list[TimeShift] = field(default_factory=list)
    views: dict[torch.fx.Node, list[int]] = field(default_factory=dict)  # a per-frame view → its shape for one frame


def _refuse(node: torch.fx.Node, reason: str, hint: str = CAUSAL_FIX) -> NotStreamableError:
    return NotStreamableError(str(node.target).replace("aten.", "").split(".")[0], module_path(node), reason, hint)


def _nodes(args) -> Iterator[torch.fx.Node]:
    for a in args:
        if isinstance(a, torch.fx.Node):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _nodes(a)


def constant_value(gm: torch.fx.GraphModule, node: torch.fx.Node) -> torch.Tensor | None:
    """The value of a node computed from constants only (``arange(1, T + 1).view(…)``), else ``None``."""
    if node.op == "get_attr":
        return getattr(gm, str(node.target))
    if node.op != "call_function":
        return None
    args = []
    for a in node.args:
        if isinstance(a, torch.fx.Node):
            a = constant_value(gm, a)
            if a is None:
                return None
        args.append(a)
    return node.target(*args, **node.kwargs)


def _reduced_dims(node: torch.fx.Node) -> tuple[int, ...]:
    rank = len(shape_of(node.args[0]))
    dims = node.args[1] if len(node.args) > 1 else None
    return tuple(range(rank)) if dims is None else tuple(int(d) % rank for d in dims)


def _is_frame_count(value: torch.Tensor | None, frames: int) -> bool:
    """``value`` is 1, 2, …, T along the time axis (the divisor of a causal mean)."""
    if value is None or value.dim() <= TIME or value.numel() != frames or value.shape[TIME] != frames:
        return False
    return bool(torch.equal(value.flatten(), torch.arange(1, frames + 1, dtype=value.dtype)))


def _layout_after_view(before: list[int], after: list[int], time: int, frames: int, batch: int) -> int | None:
    """Where time is after viewing ``before`` (time at ``time``) as ``after``: an axis, FOLDED, or None when the view
    mixes time with other axes. Axes are matched by the products before and after them, not by sizes alone."""
    if time == FOLDED:
        if after[0] == before[0]:
            return FOLDED
        return 1 if len(after) > 1 and after[0] == batch and after[1] == frames else None
    outer, inner = math.prod(before[:time]), math.prod(before[time + 1:])
    for axis, size in enumerate(after):
        if math.prod(after[:axis]) == outer and size == frames and math.prod(after[axis + 1:]) == inner:
            return axis
    if outer == batch and after[0] == batch * frames and math.prod(after[1:]) == inner:
        return FOLDED
    return None


class _Walk:
    """One pass over the graph, tagging tensors and collecting the temporal ops (see the module docstring)."""

    def __init__(self, gm: torch.fx.GraphModule, frames: int):
        self.gm, self.frames = gm, frames
        self.tag: dict[torch.fx.Node, str] = {}
        self.time: dict[torch.fx.Node, int] = {}  # a FRAMES tensor → its time axis (or FOLDED)
        self.pooled_by: dict[torch.fx.Node, torch.fx.Node] = {}  # a CLIP tensor → the mean over time it came from
        self.found = TemporalOps()
        self.time_pads: set[torch.fx.Node] = set()  # pads of past frames; each must feed a temporal conv
        self.shifted: set[torch.fx.Node] = set()  # the nodes of the time shifts found, already handled

    def run(self) -> TemporalOps:
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1 or len(shape_of(placeholders[0])) != 5:
            raise NotStreamableError("forward", "", f"the model takes {len(placeholders)} input(s); streaming needs "
                                     "one clip of shape (N, C, T, H, W)", "wrap the model so it takes one clip")
        self.tag[placeholders[0]], self.time[placeholders[0]] = FRAMES, TIME
        self.batch = shape_of(placeholders[0])[0]
        for node in self.gm.graph.nodes:
            if node.op == "call_function" and node not in self.shifted:
                self._visit(node)
        for pad in self.time_pads - {conv.pad for conv in self.found.convs}:
            raise _refuse(pad, "it pads past frames that no temporal conv reads")
        return self.found

    def _visit(self, node: torch.fx.Node) -> None:
        tags = {self.tag[a] for a in _nodes(node.args) if a in self.tag}
        if not tags:
            return  # constants (the arange of a causal mean, shape arithmetic)
        if tags == {CLIP}:
            self._pooled(node, next(a for a in _nodes(node.args) if a in self.pooled_by))
            return
        if CLIP in tags:
            pool = self.pooled_by[next(a for a in _nodes(node.args) if self.tag.get(a) == CLIP)]
            raise _refuse(node, f"it combines per-frame features with the mean over the whole clip taken at "
                          f"'{module_path(pool)}', so frame t would depend on frames after t", _CAUSAL_POOL_FIX)
        self.tag[node] = FRAMES
        self.time[node] = self.time[next(a for a in _nodes(node.args) if self.tag.get(a) == FRAMES)]
        rule: Callable[[torch.fx.Node], None] | None = self._rules().get(node.target)
        if rule is not None:
            rule(node)
        elif node.target in _AXIS_ARG:
            self._check_axis(node)
        elif node.target in _POOLS and _temporal_window(node) > 1:
            raise _refuse(node, f"it pools {_temporal_window(node)} frames together",
                          "pool over space only (kernel (1, k, k)), or pool over time at the end (a mean)")

    def _rules(self) -> dict:
        return {aten.convolution.default: self._conv, aten.constant_pad_nd.default: self._pad,
                aten.mean.dim: self._mean, aten.cumsum.default: self._cumsum, aten.sum.dim_IntList: self._sum,
                aten.view.default: self._view, aten.reshape.default: self._view, aten._unsafe_view.default: self._view,
                aten.permute.default: self._permute, aten.unsqueeze.default: self._unsqueeze}

    def _pooled(self, node: torch.fx.Node, source: torch.fx.Node) -> None:
        self.tag[node] = CLIP
        self.pooled_by[node] = self.pooled_by[source]

    def _conv(self, node: torch.fx.Node) -> None:
        weight, time = shape_of(node.args[1]), self.time[node]
        if time == 1 or (time >= 2 and not (len(weight) == 5 and time == TIME) and weight[time] > 1):
            raise _refuse(node, f"it convolves across frames on axis {time} of its input (its time axis)",
                          "convolve over time with a causal conv3d on (N, C, T, H, W) clips")
        if len(weight) != 5 or time != TIME:
            return
        stride, padding, dilation = (int(node.args[i][0]) for i in (3, 4, 5))
        kernel = weight[TIME]
        if stride != 1:
            raise _refuse(node, f"its temporal stride {stride} drops frames",
                          "use temporal stride 1 (X3D and MoViNet keep every frame)")
        if kernel == 1:
            return
        if padding:
            raise _refuse(node, f"its {kernel}-frame kernel is centred (temporal padding {padding} reads "
                          f"{padding} future frames)")
        pad = node.args[0]
        past = (kernel - 1) * dilation
        if (not isinstance(pad, torch.fx.Node) or pad.target != aten.constant_pad_nd.default
                or len(pad.args[1]) != 6 or list(pad.args[1][4:]) != [past, 0] or len(pad.users) != 1
                or (len(pad.args) > 2 and float(pad.args[2]) != 0.0)):
            raise _refuse(node, f"its {kernel}-frame kernel is not fed by a zero pad of exactly {past} past frames "
                          "(its output would have fewer frames than its input)")
        self.found.convs.append(TemporalConv(node, pad, past))

    def _pad(self, node: torch.fx.Node) -> None:
        time, pads = self.time[node], [int(p) for p in node.args[1]]
        if time == FOLDED:
            return
        at = 2 * (len(shape_of(node)) - 1 - time)  # constant_pad_nd lists (before, after) pads from the last axis
        if len(pads) <= at or not (pads[at] or pads[at + 1]):
            return
        users = list(node.users)
        feeds_a_temporal_conv = (time == TIME and len(users) == 1 and users[0].target is aten.convolution.default
                                 and len(shape_of(users[0].args[1])) == 5 and shape_of(users[0].args[1])[TIME] > 1)
        if pads[at + 1] and feeds_a_temporal_conv:
            raise _refuse(node, f"it pads {pads[at + 1]} future frames")
        if feeds_a_temporal_conv:
            self.time_pads.add(node)
        else:
            self._shift(node)

    def _time_axes(self, node: torch.fx.Node, dims: tuple[int, ...]) -> bool:
        """Whether ``dims`` (axes of ``node``'s input) include time; refused where time is folded into axis 0."""
        time = self.time[node.args[0]]
        if time == FOLDED and 0 in dims:
            raise _refuse(node, "it mixes the batch axis, where time is folded, across frames",
                          "unfold time first (x.view(N, T, …)) and reduce over that axis")
        return time in dims

    def _mean(self, node: torch.fx.Node) -> None:
        dims = _reduced_dims(node)
        time = self.time[node.args[0]]
        if not self._time_axes(node, dims):
            keepdim = len(node.args) > 2 and node.args[2]
            self.time[node] = time if keepdim or time == FOLDED else time - sum(d < time for d in dims)
            return
        keep = tuple(d for d in dims if d != time)
        self.found.means.append(RunningMean(node, node.args[0], causal=False, dims=keep, axis=time))
        self.tag[node] = CLIP
        self.pooled_by[node] = node

    def _sum(self, node: torch.fx.Node) -> None:
        if self._time_axes(node, _reduced_dims(node)):
            raise _refuse(node, "it sums over time (a sum grows with the clip length; streams keep means)",
                          "pool with a mean over time")

    def _cumsum(self, node: torch.fx.Node) -> None:
        rank = len(shape_of(node.args[0]))
        if not self._time_axes(node, (int(node.args[1]) % rank,)):
            return
        users = list(node.users)
        div = users[0] if len(users) == 1 else None
        if (self.time[node] != TIME or div is None or div.target != aten.div.Tensor or div.args[0] is not node
                or not _is_frame_count(constant_value(self.gm, div.args[1]), self.frames)):
            raise _refuse(node, "a running sum over time must be divided by the frame count, "
                          "cumsum(x, 2) / arange(1, T + 1) (a causal mean)", _CAUSAL_POOL_FIX)
        self.found.means.append(RunningMean(div, node.args[0], causal=True))

    def _view(self, node: torch.fx.Node) -> None:
        before, after = list(shape_of(node.args[0])), list(shape_of(node))
        time = _layout_after_view(before, after, self.time[node.args[0]], self.frames, self.batch)
        if time is None:
            raise _refuse(node, f"it reshapes {tuple(before)} to {tuple(after)}, mixing time with other axes",
                          "keep time on an axis of its own (or folded into the batch, (N·T, …)) until it is pooled")
        self.time[node] = time
        shape = [int(d) for d in node.args[1]]
        if time == FOLDED:
            shape[0] = shape[0] // self.frames if shape[0] != -1 else -1
        elif shape[time] != -1:
            shape[time] = 1
        self.found.views[node] = shape

    def _permute(self, node: torch.fx.Node) -> None:
        perm, time = [int(p) % len(node.args[1]) for p in node.args[1]], self.time[node.args[0]]
        if time == FOLDED and perm[0] != 0:
            raise _refuse(node, f"it moves the batch axis, where time is folded (permute {perm})",
                          "keep the batch (and time) on axis 0")
        self.time[node] = FOLDED if time == FOLDED else perm.index(time)

    def _unsqueeze(self, node: torch.fx.Node) -> None:
        time = self.time[node.args[0]]
        if time != FOLDED and int(node.args[1]) % len(shape_of(node)) <= time:
            self.time[node] = time + 1

    def _check_axis(self, node: torch.fx.Node) -> None:
        index = _AXIS_ARG[node.target]
        first = node.args[0][0] if isinstance(node.args[0], (list, tuple)) else node.args[0]
        rank, time = len(shape_of(first)), self.time[node]
        axes = node.args[index] if len(node.args) > index else 0
        axes = [int(a) % rank for a in (axes if isinstance(axes, (list, tuple)) else [axes])]
        if time == FOLDED and 0 in axes:
            raise _refuse(node, "it moves data along the batch axis, where time is folded",
                          "unfold time first (x.view(N, T, …)) and " + ONLINE_SHIFT_FIX)
        if time in axes and node.target in MOVEMENT:
            self._shift(node)
        elif time in axes:
            raise _refuse(node, "it moves data along the time axis (frame t would read other frames)",
                          ONLINE_SHIFT_FIX)
        elif node.target is aten.select.int and axes[0] < time:
            self.time[node] = time - 1

    def _shift(self, node: torch.fx.Node) -> None:
        """``node`` moves data along time: the run of movement ops it is part of must be a one-frame delay."""
        try:
            shift = probe_shift(self.gm, node, self.time.__getitem__, lambda n: self.tag.get(n) == FRAMES,
                                constant_value)
        except ShiftRefused as refused:
            raise _refuse(node, f"it moves data along the time axis, and {refused}", ONLINE_SHIFT_FIX) from None
        self.found.shifts.append(shift)
        self.shifted.update(shift.nodes)
        self.tag[shift.exit], self.time[shift.exit] = FRAMES, shift.axis


def _temporal_window(node: torch.fx.Node) -> int:
    kernel = node.args[1]
    return int(kernel[0]) if isinstance(kernel, (list, tuple)) else int(kernel)


def find_temporal_ops(gm: torch.fx.GraphModule, frames: int) -> TemporalOps:
    """The temporal convs and running means of ``gm`` (a clip model captured on ``frames`` frames).

    Raises :class:`~xport.errors.NotStreamableError` for anything that looks at future frames.
    """
    return _Walk(gm, frames).run()

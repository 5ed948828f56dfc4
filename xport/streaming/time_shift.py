"""Data moved along time as a one-frame delay: TSM's online shift (some channels taken from the previous frame).

A run of data-movement ops (slices, concatenations, pads, slice assignment into zeros) that reads one per-frame
tensor and makes one of the same shape is probed rather than pattern-matched: it is evaluated on the clip's element
numbers, which says where each output element comes from. It streams when every output element is the same
element of the same frame or of the frame before (zero at the first frame), and the delayed ones form one block
of one axis (TSM's online shift, whichever way it is written: zeros and slice assignment, pad and cat). A read of a
later frame (TSM's offline, bidirectional shift; a cyclic roll) is refused with where it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.fx

from ..spec import shape_of

aten = torch.ops.aten

FIRST_ID = 2.0 ** 24  # the number of the probe's first element
MOVEMENT = {aten.slice.Tensor, aten.cat.default, aten.constant_pad_nd.default, aten.slice_scatter.default,
            aten.copy.default, aten.full_like.default, aten.zeros_like.default, aten.clone.default,
            aten.roll.default, aten.flip.default, aten.alias.default}
ONLINE_SHIFT_FIX = ("shift from past frames only (TSM's online shift: out[:, 1:, :fold] = x[:, :-1, :fold], zeros "
                    "at the first frame), by one frame, on one block of channels")


Constant = Callable[[torch.fx.GraphModule, torch.fx.Node], "torch.Tensor | None"]  # a node's value if constant


class ShiftRefused(Exception):
    """Why a movement region is not a one-frame delay (the walk turns it into a NotStreamableError)."""


@dataclass(frozen=True)
class TimeShift:
    """``exit`` is ``entry`` with the elements ``start:end`` of axis ``dim`` (an axis of the frame, i.e. of ``entry``
    without its time axis ``axis``) taken from the previous frame."""

    entry: torch.fx.Node
    exit: torch.fx.Node
    nodes: tuple[torch.fx.Node, ...]
    axis: int
    dim: int
    start: int
    end: int


def region_from(node: torch.fx.Node,
                is_frames: Callable[[torch.fx.Node], bool]) -> tuple[torch.fx.Node, list[torch.fx.Node]]:
    """The per-frame tensor a movement op reads (through other movement ops), and every movement op reached from it."""
    entry = node
    while entry.target in MOVEMENT:
        frames = [a for a in entry.all_input_nodes if is_frames(a)]
        if len(frames) != 1:
            raise ShiftRefused(f"it combines {len(frames)} per-frame tensors")
        entry = frames[0]
    region, todo = [], [entry]
    while todo:
        for user in todo.pop().users:
            if user.target in MOVEMENT and user not in region:
                region.append(user)
                todo.append(user)
    order = {n: i for i, n in enumerate(node.graph.nodes)}
    return entry, sorted(region, key=order.__getitem__)


def _exit(entry: torch.fx.Node, region: list[torch.fx.Node]) -> torch.fx.Node:
    inside = set(region)
    exits = [n for n in region if any(u not in inside for u in n.users)]
    if len(exits) != 1 or list(shape_of(exits[0])) != list(shape_of(entry)):
        raise ShiftRefused(f"{len(exits)} tensor(s) leave it" if len(exits) != 1 else
                           f"it makes {tuple(shape_of(exits[0]))} from {tuple(shape_of(entry))}")
    return exits[0]


def _probe(gm: torch.fx.GraphModule, entry: torch.fx.Node, region: list[torch.fx.Node], exit_: torch.fx.Node,
           constant: Constant) -> torch.Tensor:
    """The region evaluated on ``entry``'s element numbers plus FIRST_ID (float64: exact; far from any fill value a
    model would use), so each output element is an input element's number, or a fill (zeros)."""
    shape = list(shape_of(entry))
    values = {entry: (torch.arange(math.prod(shape), dtype=torch.float64) + FIRST_ID).view(shape)}

    def value(a):
        if not isinstance(a, torch.fx.Node):
            return a
        if a not in values:
            values[a] = constant(gm, a)
            if values[a] is None:
                raise ShiftRefused(f"'{a.name}' is neither the per-frame tensor nor a constant")
        return values[a]

    for node in region:
        args = torch.fx.node.map_aggregate(node.args, value)
        kwargs = {k: v for k, v in node.kwargs.items() if k not in ("dtype", "device", "layout", "pin_memory")}
        out = node.target(*args, **kwargs)
        values[node] = out.double() if out.is_floating_point() else out
    return values[exit_]


def _delays(ids: torch.Tensor, axis: int) -> torch.Tensor:
    """Per element of a frame, whether it comes from the frame before (else from the same frame); ShiftRefused if
    ``ids`` (the probe's output, time on ``axis``) is anything else."""
    shape = list(ids.shape)
    count, inner, frames = math.prod(shape), math.prod(shape[axis + 1:]), shape[axis]
    taken = ids != 0
    source = torch.where(taken, ids - FIRST_ID, 0)
    if torch.any(source != source.round()) or source.min() < 0 or source.max() >= count:
        raise ShiftRefused("it writes values that are not elements of its input (a pad or fill other than zeros)")
    index, source = torch.arange(count).view(shape), source.long()
    t_out, t_src = (index // inner) % frames, (source // inner) % frames
    if not torch.equal((index - t_out * inner)[taken], (source - t_src * inner)[taken]):
        raise ShiftRefused("it moves elements to other positions of a frame")
    delay = torch.where(taken, t_out - t_src, -1).movedim(axis, 0)  # (T, the frame's axes); -1: a zero
    if torch.any(taken.movedim(axis, 0) & (delay < 0)):
        raise ShiftRefused("frame t reads a later frame (a shift from the future, or a cyclic roll)")
    later = delay[1:]
    if torch.any(later > 1):
        raise ShiftRefused(f"it reads {int(later.max())} frames back (only one-frame delays stream)")
    if torch.any(later < 0) or not torch.all(later == later[:1]):
        raise ShiftRefused("an element's source changes from frame to frame (zeros after the first frame)")
    delayed = later[0] == 1
    if not torch.equal(delay[0] < 0, delayed):
        raise ShiftRefused("its first frame is not zero exactly where later frames read the frame before")
    return delayed


def _block(delayed: torch.Tensor) -> tuple[int, int, int]:
    """(dim, start, end): the delayed elements are ``start:end`` of axis ``dim`` and all of every other axis."""
    for dim in range(delayed.dim()):
        along = delayed.movedim(dim, 0).flatten(1)
        rows = along.any(dim=1).nonzero().flatten()
        if len(rows) == 0:
            continue
        start, end = int(rows[0]), int(rows[-1]) + 1
        block = torch.zeros_like(delayed)
        block.movedim(dim, 0)[start:end] = True
        if torch.equal(block, delayed):
            return dim, start, end
    raise ShiftRefused("the elements it delays are not one block of one axis")


def probe_shift(gm: torch.fx.GraphModule, node: torch.fx.Node, axis_of: Callable[[torch.fx.Node], int],
                is_frames: Callable[[torch.fx.Node], bool], constant: Constant) -> TimeShift:
    """The one-frame delay that ``node`` (a movement op along time) belongs to; :class:`ShiftRefused` says why not."""
    entry, region = region_from(node, is_frames)
    exit_ = _exit(entry, region)
    axis = axis_of(entry)
    delayed = _delays(_probe(gm, entry, region, exit_, constant), axis)
    if not delayed.any():
        raise ShiftRefused("it delays nothing")
    dim, start, end = _block(delayed)
    return TimeShift(entry, exit_, tuple(region), axis, dim, start, end)

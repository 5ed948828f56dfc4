"""Rewrite a causal clip graph into one step: (frame, state…) → (outputs…, new state…).

    pad(y, k−1 past frames) → conv      becomes   out = conv_{k−1}(y) + P_1;   new P_m = P_{m+1} + conv_{k−1−m}(y)
                                        (P_m: what the frames so far add to the output m frames ahead; conv_j: the
                                        conv with tap j of the kernel; new P_{k−1} = conv_0(y))
      (dilated, or weights not constants)     z = cat(past, y) → [pad H, W] → conv;   new past = z[:, :, 1:]
    cumsum(x, 2) / arange(1, T + 1)     becomes   s = sum + x;   s / (frames seen)            new sum = s
    mean(x, (2, …))                     becomes   s = sum + mean(x, (…));   s / (frames seen)  new sum = s
    a one-frame delay of x[…, a:b, …]   becomes   out = cat(x[…, :a, …], past, x[…, b:, …]);  new past = x[…, a:b, …]
    (TSM's online shift)
    a view of per-frame tensors         keeps its op, with the shape of one frame (T → 1, N·T → N)

The partial-sum form applies each tap once, to the new frame, and keeps k − 1 output frames: the same state size as
k − 1 input frames for a depthwise conv, but no copy of past frames into every conv's input and no slice of the
buffer after it (on ORT, cat, slice and the reshapes around them were 30 % of causal X3D-XS's step).

The frame is (N, C, H, W); this rewrite reads it as a one-frame clip, and :mod:`.unit_time` then drops the time
axis from every one-frame tensor, so the step runs 4-D ops. Every state tensor is at most 4-D, so one form serves
every runtime, LiteRT's GPU delegate included (it rejects 5-D tensors): a buffer of k past frames folds them into the
row axis, (N, C, k·H, W), a view that is free both channels-first and channels-last ((N, k·H, W, C) is (N, k, H, W, C)
in memory). The frame count is a state too, one per stream of the batch, so streams of one batch may have started at
different times.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.fx

from ..capture import module_path
from ..passes.graph import NodeBuilder, copy_provenance, get_attr_value
from ..spec import shape_of
from .causality import TIME, TemporalOps
from .time_shift import TimeShift

aten = torch.ops.aten


@dataclass(frozen=True)
class StateSpec:
    """One state tensor of a stream model: an input of every step, and the output that feeds the next step.

    ``kind`` is ``"partial sums"`` (what a temporal conv's past frames add to an output frame ahead), ``"past
    frames"`` (a temporal conv's input buffer, for dilated ones), ``"running sum"`` (a mean over time) or ``"frame
    count"``; every state starts at ``initial`` (zeros: no frames seen) and is reset to it for a new stream.
    """

    name: str
    shape: tuple[int, ...]
    kind: str
    module_path: str
    dtype: str = "float32"
    initial: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StateSpec:
        return cls(**{**d, "shape": tuple(d["shape"])})


def _slug(where: str) -> str:
    """A state's name part from its module path ("top" for the model's own forward: never a bare Python builtin
    such as "sum", which FX renames)."""
    return where.replace(".", "_") or "top"


class _Step:
    """Builds the step graph in place, one temporal op at a time."""

    def __init__(self, gm: torch.fx.GraphModule):
        self.gm, self.graph = gm, gm.graph
        self.states: list[StateSpec] = []
        self.new_states: list[torch.fx.Node] = []
        (self.clip,) = [n for n in self.graph.nodes if n.op == "placeholder"]
        self.batch = shape_of(self.clip)[0]
        self.last_input = self.clip

    def call(self, anchor: torch.fx.Node, target: Any, *args: Any) -> torch.fx.Node:
        with self.graph.inserting_before(anchor):
            node = self.graph.call_function(target, args)
        return copy_provenance(node, anchor)

    def state(self, name: str, shape: list[int], kind: str, where: str) -> torch.fx.Node:
        taken = {s.name for s in self.states}
        while name in taken:
            name += "_"
        with self.graph.inserting_after(self.last_input):
            node = self.graph.placeholder(name)
        self.last_input = node
        self.states.append(StateSpec(node.name, tuple(shape), kind, where))
        return node

    def frame(self) -> torch.fx.Node:
        """The (N, C, H, W) frame input, unsqueezed to the one-frame clip the rest of the graph reads."""
        with self.graph.inserting_after(self.clip):
            frame = self.graph.placeholder("frame")
        self.last_input = frame
        with self.graph.inserting_after(frame):
            clip = copy_provenance(self.graph.call_function(aten.unsqueeze.default, (frame, TIME)), self.clip)
        self.clip.replace_all_uses_with(clip)
        self.graph.erase_node(self.clip)
        self.clip = clip
        return frame

    def temporal_conv(self, conv: torch.fx.Node, pad: torch.fx.Node, past: int, spatial: list[int]) -> None:
        weight, dilation = conv.args[1], conv.args[5]
        if int(dilation[0]) == 1 and not any(spatial) and get_attr_value(self.gm, weight) is not None:
            self.partial_sums(conv, pad)
        else:
            self.past_frames(pad, past, spatial)

    def batch_norm_after(self, conv: torch.fx.Node) -> tuple[torch.fx.Node, torch.Tensor, torch.Tensor] | None:
        """The eval batch norm that alone reads ``conv``, as (its output node, per-channel scale, shift), else None:
        folded into the taps, it costs nothing per frame (after the partial sums' add no runtime folds it)."""
        users = list(conv.users)
        if len(users) != 1 or users[0].target is not aten._native_batch_norm_legit_no_training.default:
            return None
        norm = users[0]
        gamma, beta, mean, var = (get_attr_value(self.gm, a) for a in norm.args[1:5])
        outputs = list(norm.users)
        if any(t is None for t in (gamma, beta, mean, var)) or len(outputs) != 1 or outputs[0].args[1] != 0:
            return None
        scale = gamma / torch.sqrt(var + norm.args[6])
        return outputs[0], scale, beta - mean * scale

    def partial_sums(self, conv: torch.fx.Node, pad: torch.fx.Node) -> None:
        """``conv`` (kernel k over time, dilation 1) as k one-tap convs of the frame and k − 1 partial sums, with the
        batch norm that follows it, if any, folded into the taps."""
        frame, where = pad.args[0], module_path(conv)
        n, c_out, _, h, w = shape_of(conv)
        weight, bias = get_attr_value(self.gm, conv.args[1]), conv.args[2]
        stride, padding, dilation, transposed, output_padding, groups = conv.args[3:9]
        folded, conv_bias = self.batch_norm_after(conv), get_attr_value(self.gm, bias)
        result, constants = conv, NodeBuilder(self.gm, conv)  # new constants (the taps, the folded bias)
        if folded is not None and (bias is None or conv_bias is not None):  # a computed bias keeps its batch norm
            result, scale, shift = folded
            weight = weight * scale.view(-1, 1, 1, 1, 1)
            bias = constants.const(f"{_slug(where)}_bias", shift if bias is None else conv_bias * scale + shift)
        k = weight.shape[TIME]
        taps = []
        for j in range(k):  # tap j multiplies the frame k − 1 − j frames before the output's
            tap = constants.const(f"{_slug(where)}_tap{j}", weight[:, :, j:j + 1])
            taps.append(self.call(conv, aten.convolution.default, frame, tap, bias if j == k - 1 else None, stride,
                                  [0, *padding[1:]], dilation, transposed, output_padding, groups))
        sums = [self.state(f"partial_{_slug(where)}_{m}", [n, c_out, h, w], "partial sums", where)
                for m in range(1, k)]
        ahead = [self.call(conv, aten.view.default, p, [n, c_out, 1, h, w]) for p in sums]
        result.replace_all_uses_with(self.call(conv, aten.add.Tensor, taps[k - 1], ahead[0]))
        for m in range(1, k):  # P_m after this frame: P_{m+1} before it, plus this frame's tap for m frames ahead
            new = taps[k - 1 - m] if m == k - 1 else self.call(conv, aten.add.Tensor, ahead[m], taps[k - 1 - m])
            self.new_states.append(self.call(conv, aten.view.default, new, [n, c_out, h, w]))

    def past_frames(self, pad: torch.fx.Node, past: int, spatial: list[int]) -> None:
        """The conv over a buffer of its ``past`` input frames and the new one."""
        source = pad.args[0]
        n, c, _, h, w = shape_of(source)
        where = module_path(pad)
        state = self.state(f"past_{_slug(where)}", [n, c, past * h, w], "past frames", where)
        frames = self.call(pad, aten.cat.default, [self.call(pad, aten.view.default, state, [n, c, past, h, w]),
                                                   source], TIME)
        fed = self.call(pad, aten.constant_pad_nd.default, frames, [*spatial, 0, 0], 0.0) if any(spatial) else frames
        pad.replace_all_uses_with(fed)
        kept = self.call(pad, aten.slice.Tensor, frames, TIME, 1, past + 1)
        self.new_states.append(self.call(pad, aten.reshape.default, kept, [n, c, past * h, w]))

    def time_shift(self, shift: TimeShift) -> None:
        """The delayed block of ``shift.entry`` read from a buffer of the previous frame's, the rest from this one."""
        where, clip_shape = module_path(shift.exit), list(shape_of(shift.entry))
        frame_shape = clip_shape[:shift.axis] + clip_shape[shift.axis + 1:]
        kept = [*frame_shape[:shift.dim], shift.end - shift.start, *frame_shape[shift.dim + 1:]]
        past = self.state(f"shift_{_slug(where)}", kept, "past frames", where)
        x = self.call(shift.exit, aten.view.default, shift.entry, frame_shape)
        parts = [self.call(shift.exit, aten.slice.Tensor, x, shift.dim, 0, shift.start)] if shift.start else []
        parts.append(past)
        if shift.end < frame_shape[shift.dim]:
            parts.append(self.call(shift.exit, aten.slice.Tensor, x, shift.dim, shift.end, frame_shape[shift.dim]))
        out = self.call(shift.exit, aten.cat.default, parts, shift.dim)
        one_frame = clip_shape[:shift.axis] + [1] + clip_shape[shift.axis + 1:]
        shift.exit.replace_all_uses_with(self.call(shift.exit, aten.view.default, out, one_frame))
        self.new_states.append(self.call(shift.exit, aten.slice.Tensor, x, shift.dim, shift.start, shift.end))

    def frame_count(self) -> torch.fx.Node:
        """frames seen, this frame included, (N, 1, 1, 1): each running sum views it to its rank to divide by it."""
        count = self.state("frames_seen", [self.batch, 1, 1, 1], "frame count", "")
        seen = self.call(self.clip, aten.add.Tensor, count, 1.0)
        self.new_states.append(seen)
        return seen

    def running_mean(self, node: torch.fx.Node, source: torch.fx.Node, dims: tuple[int, ...], axis: int,
                     causal: bool, count: torch.fx.Node) -> None:
        per_frame = [1 if d in dims or d == axis else s for d, s in enumerate(shape_of(source))]
        folded = per_frame[:axis] + per_frame[axis + 1:]
        state = self.state(f"sum_{_slug(module_path(node))}", folded, "running sum", module_path(node))
        value = self.call(node, aten.mean.dim, source, list(dims), True) if dims else source
        total = self.call(node, aten.add.Tensor, self.call(node, aten.view.default, state, per_frame), value)
        count = self.call(node, aten.view.default, count, [self.batch] + [1] * (len(per_frame) - 1))
        mean = self.call(node, aten.div.Tensor, total, count)
        if not causal and list(shape_of(node)) != per_frame:  # a mean without keepdim
            mean = self.call(node, aten.reshape.default, mean, list(shape_of(node)))
        node.replace_all_uses_with(mean)
        self.new_states.append(self.call(node, aten.reshape.default, total, folded))

    def finish(self) -> None:
        out = next(n for n in self.graph.nodes if n.op == "output")
        results = out.args[0] if isinstance(out.args[0], (list, tuple)) else (out.args[0],)
        out.args = ((*results, *self.new_states),)
        self.graph._codegen = torch.fx.graph.CodeGen()  # plain positional inputs and a flat tuple out
        self.graph.eliminate_dead_code()
        self.graph.lint()
        self.gm.recompile()


def rewrite_to_step(gm: torch.fx.GraphModule, ops: TemporalOps) -> tuple[int, list[StateSpec]]:
    """Turn ``gm`` (a causal clip model, unlifted) into its step, in place; returns its output count and states."""
    out = next(n for n in gm.graph.nodes if n.op == "output")
    outputs = len(out.args[0]) if isinstance(out.args[0], (list, tuple)) else 1
    for view, shape in ops.views.items():
        view.args = (view.args[0], shape, *view.args[2:])
    step = _Step(gm)
    step.frame()
    for conv in ops.convs:
        step.temporal_conv(conv.conv, conv.pad, conv.past, conv.spatial)
    for shift in ops.shifts:
        step.time_shift(shift)
    if ops.means:
        count = step.frame_count()
        for mean in ops.means:
            step.running_mean(mean.node, mean.source, mean.dims, mean.axis, mean.causal, count)
    step.finish()
    return outputs, step.states

"""A stream step's state in XNNPACK's own layout: channels-last dim order, PyTorch's shape.

XNNPACK computes NHWC. With the state in PyTorch's NCHW, ExecuTorch's XNNPACK delegate transposes every state tensor
on its way in and every new state on its way out (causal X3D-XS: 147 transposes, 1.2 ms of a ~10 ms step, plus the
per-operator cost of the delegate's call). Traced with channels-last example state, each new state made
channels-last in the graph, and the frame made channels-last once at the start (so that a conv's output, which a new
state may be as it is, is channels-last already: XNNPACK takes only the clones that keep the dim order), the program
takes and returns those tensors in channels-last dim order and their transposes are gone: the step took 25–30 %
less (8.1–9.0 vs 11.8–12.1 ms in one process). The frame's conversion is the one node left to a portable kernel.

The state keeps PyTorch's shape, (N, C, H, W), as ExecuTorch's API sees it; only the memory order changes. The
manifest lists those inputs (``extra["channels_last_inputs"]``): xport's runners hand them over as channels-last
tensors, and an app feeds each step's output tensors back as they came out (the zeros of a new stream are zeros in
any order). ExecuTorch's runtime does not check a tensor's dim order against the method's (pytorch/executorch#21837):
a tensor in the other order is read as if it were in the method's, so a state built by hand must be channels-last.
A state with a size-1 axis stays NCHW: its two orders are the same bytes, and ExecuTorch derives the dim order of
such a tensor from its strides inconsistently (pytorch/executorch#22520).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import torch
from torch.export import ExportedProgram

from xport._warnings import quiet_export
from xport.artifact import Manifest
from xport.passes import unlift

from .delegation import DelegationReport
from .lowering import EdgeProgramManager, lower
from .pte_format import CHANNELS_LAST_INPUTS

log = logging.getLogger("xport")
_FRAME_CONVERSION = "dim_order_ops._clone_dim_order.default"  # the frame made channels-last: a portable kernel


def _channels_last(shape: tuple[int, ...]) -> bool:
    return len(shape) == 4 and min(shape[1:]) > 1


class _ChannelsLastOutputs(torch.nn.Module):
    """``step`` with the outputs at ``indices`` made channels-last (free where they already are)."""

    def __init__(self, step: torch.nn.Module, indices: frozenset[int]):
        super().__init__()
        self.step, self.indices = step, indices

    def forward(self, frame: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        frame = frame.contiguous(memory_format=torch.channels_last)  # so that each conv's new state is channels-last
        return tuple(r.contiguous(memory_format=torch.channels_last) if i in self.indices else r
                     for i, r in enumerate(self.step(frame, *state)))


def lower_stream(program: ExportedProgram, manifest: Manifest,
                 strict: bool) -> tuple[EdgeProgramManager, DelegationReport, Manifest]:
    """A stream step lowered with its state channels-last where that lowers cleanly: every node but the frame's
    conversion inside XNNPACK (a portable kernel between channels-last tensors can misread them, as the ones that
    reshape do); else, or when ``strict`` asks for every node in XNNPACK, as it is."""
    candidate, with_state = channels_last_state(program, manifest)
    if candidate is not program and not strict:
        edge, report = lower(candidate)
        if report.portable_by_op() == {_FRAME_CONVERSION: 1}:
            return edge, report, with_state
        log.info("executorch: the stream state stays NCHW (a channels-last state would leave %s outside XNNPACK)",
                 report.brief())
    return (*lower(program), manifest)


def channels_last_state(program: ExportedProgram, manifest: Manifest) -> tuple[ExportedProgram, Manifest]:
    """``program`` (a stream step) re-exported with its state in channels-last dim order, and its manifest saying
    which inputs; unchanged where no state qualifies or the batch is dynamic (its traced example would not keep the
    memory order)."""
    outputs = int(manifest.extra["stream"]["outputs"])
    states = [i for i, spec in enumerate(manifest.inputs) if i > 0 and _channels_last(spec.shape)]
    if not states or manifest.inputs[0].shape[0] == -1:
        return program, manifest
    example = tuple(x.contiguous(memory_format=torch.channels_last) if i in states else x
                    for i, x in enumerate(program.example_inputs[0]))
    step = _ChannelsLastOutputs(unlift(program), frozenset(outputs + i - 1 for i in states))
    with torch.no_grad(), quiet_export():
        program = torch.export.export(step, example)
    extra = {**manifest.extra, CHANNELS_LAST_INPUTS: [manifest.inputs[i].name for i in states]}
    return program, replace(manifest, extra=extra)

"""A stream step runs channels-last in the lite interpreter.

A step's convs are 2-D convs of one frame, and ATen's CPU kernels (oneDNN) run them several times faster on
channels-last (NHWC) tensors than on NCHW ones: measured here, 2 threads, a depthwise 3×3 conv of (54, 40, 40) took
51 µs NHWC vs 237 µs NCHW, of (216, 10, 10) 47 vs 68 µs; causal X3D-XS's step went from ~17 to ~12.5 ms (eager ATen).
A conv's output keeps its input's memory format, so two things make the whole step channels-last without a copy
per state: the frame is made channels-last once, at the start (3 channels: cheap), and the state tensors are in
NHWC file layout, as LiteRT's are (the app feeds each state back as it came out, so the axis order is the file's
choice): the NCHW view of an NHWC state is channels-last for free, and the NHWC view of a channels-last new state is
contiguous for free (``contiguous()`` copies only a state whose result was not channels-last).

The clip model is left NCTHW: its conv3d lowerings (:mod:`xport.passes.conv3d_lowerings`) rely on NCTHW's free
views, and its 3-D tensors were no faster channels-last (measured: 31 ms either way for X3D-XS's 4-frame clip).
"""

from __future__ import annotations

import torch

from xport.artifact import Manifest
from xport.layout import channels_first_perm, channels_last_perm


class ChannelsLastStep(torch.nn.Module):
    """``step`` (frame, *state) → (*outputs, *new state) taking and returning its state channels-last."""

    def __init__(self, step: torch.nn.Module, outputs: int):
        super().__init__()
        self.step, self.outputs = step, outputs

    def forward(self, frame: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if frame.dim() == 4:
            frame = frame.contiguous(memory_format=torch.channels_last)
        results = self.step(frame, *(s.permute(channels_first_perm(s.dim())) for s in state))
        return (*results[:self.outputs],
                *(r.permute(channels_last_perm(r.dim())).contiguous() for r in results[self.outputs:]))


def channels_last_step(step: torch.nn.Module, manifest: Manifest,
                       inputs: tuple[torch.Tensor, ...]) -> tuple[torch.nn.Module, Manifest, tuple[torch.Tensor, ...]]:
    """``step`` wrapped as :class:`ChannelsLastStep`, its manifest with channels-last state, and ``inputs`` (in the
    model's layout) as the wrapped step takes them."""
    manifest = manifest.with_channels_last_state()
    fed = tuple(spec.from_model_layout(x) for spec, x in zip(manifest.inputs, inputs))
    return ChannelsLastStep(step, int(manifest.extra["stream"]["outputs"])), manifest, fed

"""The stream model: a causal clip model as a per-frame step with explicit state, and :func:`stream` that makes it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import torch
import torch.fx

from ..capture import capture
from ..errors import CaptureError, XportError
from ..fingerprint import weight_fingerprint
from ..passes import unlift
from .causality import find_temporal_ops
from .rewrite import StateSpec, rewrite_to_step
from .unit_time import drop_unit_time

log = logging.getLogger("xport.streaming")
CHECK_FRAMES = 6  # enough for the longest buffer of the zoo's models (X3D's 5-frame stem kernel) to wrap around
CALIBRATION_SAMPLES = 16  # as many forwards as the clip model's calibration on 16 clips
_SELF_CHECK_TOLERANCE = 1e-4  # of the largest output: float reassociation of the running sums, nothing more


class StreamModel(torch.fx.GraphModule):
    """``forward(frame, *state) -> (*outputs, *new_state)``: one frame in, the clip model's outputs on every frame so
    far out. Made by :func:`stream`; export it like any model (``xport.export(s, s.example_inputs(), backend, …)``),
    and the artifact's manifest carries :meth:`contract` (``extra["stream"]``).
    """

    def __init__(self, root: torch.nn.Module, graph: torch.fx.Graph, frame_shape: Sequence[int], outputs: int,
                 states: Sequence[StateSpec], fingerprint: str, clip_frames: int | None = None):
        super().__init__(root, graph, "StreamModel")
        self.frame_shape = tuple(int(d) for d in frame_shape)
        self.outputs = outputs
        self.states = tuple(states)
        self.fingerprint = fingerprint
        self.clip_frames = clip_frames  # the clip model takes clips of this many frames only (None: any length)

    def initial_state(self) -> tuple[torch.Tensor, ...]:
        """The state of a new stream (no frames seen)."""
        return tuple(torch.full(s.shape, s.initial) for s in self.states)

    def example_inputs(self, seed: int = 0) -> tuple[torch.Tensor, ...]:
        """A seeded frame and the initial state: what :func:`xport.export` traces with."""
        frame = torch.randn(self.frame_shape, generator=torch.Generator().manual_seed(seed))
        return (frame, *self.initial_state())

    def contract(self) -> dict[str, Any]:
        """What an app needs to run the stream: the frame input, the outputs, and each state to allocate and reset.

        ``checksum`` identifies this state layout and these weights, so a state saved from another model is refused.
        """
        body = {"frame": {"name": "frame", "shape": list(self.frame_shape)}, "outputs": self.outputs,
                "states": [s.as_dict() for s in self.states]}
        if self.clip_frames is not None:
            body["clip_frames"] = self.clip_frames
        digest = hashlib.sha256(json.dumps({**body, "weights": self.fingerprint}, sort_keys=True).encode())
        return {**body, "checksum": digest.hexdigest()[:16]}

    def calibration_inputs(self, clips: Iterable[Sequence[torch.Tensor]],
                           max_samples: int = CALIBRATION_SAMPLES) -> list[tuple[torch.Tensor, ...]]:
        """int8 calibration samples for the step: (frame, *state) at the frames of each clip, the state carried over
        from the clip's first frame, so the ranges of the state inputs are those a stream really reaches.

        At most ``max_samples``, evenly spaced over all clips and frames: a calibration pass costs one forward per
        sample, and T frames per clip would make it T times slower than the clip model's."""
        samples = []
        with torch.no_grad():
            for (clip, *_) in clips:
                state = self.initial_state()
                for t in range(clip.shape[2]):
                    samples.append((clip[:, :, t], *state))
                    state = tuple(self(clip[:, :, t], *state)[self.outputs:])
        if len(samples) <= max_samples:
            return samples
        return [samples[round(i * (len(samples) - 1) / (max_samples - 1))] for i in range(max_samples)]

    def run_frames(self, clip: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """Feed ``clip`` (N, C, T, H, W) frame by frame from the initial state; the outputs after each frame."""
        state, steps = self.initial_state(), []
        with torch.no_grad():
            for t in range(clip.shape[2]):
                result = self(clip[:, :, t], *state)
                steps.append(tuple(result[:self.outputs]))
                state = tuple(result[self.outputs:])
        return steps


def _frame_shape(frame_shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(int(d) for d in frame_shape)
    if len(shape) == 3:
        return (1, *shape)
    if len(shape) != 4:
        raise XportError(f"frame_shape must be (C, H, W) or (N, C, H, W), got {shape}")
    return shape


def stream(model: torch.nn.Module, frame_shape: Sequence[int], *, clip_frames: int | None = None,
           check: bool = True) -> StreamModel:
    """The per-frame form of a causal clip model: ``(frame, *state) -> (*outputs, *new_state)``.

    ``model`` takes (N, C, T, H, W) clips; ``frame_shape`` is one frame, (C, H, W) or (N, C, H, W). Temporal convs
    keep partial sums of their next output frames (dilated ones, buffers of past frames), means over time become
    running means, a one-frame shift along time (TSM's online shift) keeps the previous frame's shifted channels (see
    :mod:`xport.streaming.causality` for what streams, :mod:`.rewrite` for how), and the step's one-frame tensors
    lose their time axis (:mod:`.unit_time`: conv2d instead of one-frame conv3d). A model that looks at future frames
    is refused with the op, the module path and the fix (:class:`~xport.errors.NotStreamableError`).

    ``clip_frames``: for a model that takes clips of one length only (TSM's ``num_segments``), that length; it is
    captured on such a clip, and checks compare the step after that many frames with the clip model on them. Without
    it the model is captured on a 6-frame clip and checked on the growing clip at every step. With ``check`` (the
    default), the step is run on a seeded clip and compared with the clip model before anything is exported.
    """
    n, c, h, w = _frame_shape(frame_shape)
    model = model.eval()
    frames = CHECK_FRAMES if clip_frames is None else clip_frames
    if frames < 2:
        raise XportError(f"clip_frames must be at least 2, got {frames}")
    clip = torch.randn(n, c, frames, h, w, generator=torch.Generator().manual_seed(0))
    log.info("capturing %s on a %d-frame clip to stream it", type(model).__name__, frames)
    try:
        gm = unlift(capture(model, (clip,)))
    except CaptureError as exc:
        if clip_frames is not None:
            raise
        raise XportError(f"{exc}\nIf the model takes clips of one length only (TSM's num_segments), stream it with "
                         f"that length: xport.stream(model, frame_shape, clip_frames=T), or `xport export --stream "
                         f"--clip-frames T`") from exc
    ops = find_temporal_ops(gm, frames)
    outputs, states = rewrite_to_step(gm, ops)
    streamed = StreamModel(gm, gm.graph, (n, c, h, w), outputs, states, weight_fingerprint(model), clip_frames)
    drop_unit_time(streamed, streamed.example_inputs())
    log.info("stream model: %d temporal conv buffer(s), %d time shift(s), %d running mean(s), %d state tensor(s)",
             len(ops.convs), len(ops.shifts), len(ops.means), len(states))
    if check:
        _check_steps(model, streamed, clip)
    return streamed


def stream_clip_model(model: torch.nn.Module, clip_shape: Sequence[int]) -> StreamModel:
    """:func:`stream` for a caller that knows the model's clip, (N, C, T, H, W) (``xport bench --stream``, stream
    bundles): a model that cannot take a clip of another length (TSM's fixed ``num_segments``) is streamed with
    ``clip_frames=T`` instead of failing."""
    n, c, frames, h, w = (int(d) for d in clip_shape)
    try:
        return stream(model, (n, c, h, w))
    except XportError as exc:
        if not isinstance(exc.__cause__, CaptureError):
            raise
        log.info("%s cannot be captured on a %d-frame clip; streaming it with clip_frames=%d", type(model).__name__,
                 CHECK_FRAMES, frames)
        return stream(model, (n, c, h, w), clip_frames=frames)


def compared_steps(frames: int, clip_frames: int | None) -> list[int]:
    """The steps (0-based) whose outputs have a clip-model reference: every one on a growing clip, or only the last
    for a model that takes ``clip_frames`` frames only."""
    if clip_frames is None:
        return list(range(frames))
    if frames != clip_frames:
        raise XportError(f"the clip model takes {clip_frames}-frame clips only; got a {frames}-frame clip")
    return [frames - 1]


def _check_steps(model: torch.nn.Module, streamed: StreamModel, clip: torch.Tensor) -> None:
    """Each step's outputs equal the clip model's on the frames so far (a rewrite error never reaches an export)."""
    steps = streamed.run_frames(clip)
    with torch.no_grad():
        for t in compared_steps(clip.shape[2], streamed.clip_frames):
            outputs = steps[t]
            expected = model(clip[:, :, :t + 1])
            expected = expected if isinstance(expected, (tuple, list)) else (expected,)
            for ref, got in zip(expected, outputs):
                error = float((ref - got).abs().max() / ref.abs().max().clamp_min(1e-12))
                if error > _SELF_CHECK_TOLERANCE:
                    raise XportError(
                        f"the stream model differs from the clip model after frame {t + 1} (max error {error:.2e} of "
                        f"the largest output): an op that mixes frames was not recognised; please report it with "
                        f"the model's code")

"""Proof of a stream artifact: N frames fed one by one equal the clip model on the growing clip, at every step."""

from __future__ import annotations

import logging
from typing import Any

import torch

from .. import backends
from ..errors import XportError
from ..parity import ParityReport, compare, judge, weights_verdict
from .model import CHECK_FRAMES, compared_steps
from .session import StreamSession, stream_contract

log = logging.getLogger("xport.streaming")


def stream_clip(artifact: Any, clip: torch.Tensor | None = None, frames: int = CHECK_FRAMES) -> torch.Tensor:
    """``clip``, or a seeded random one of ``frames`` frames (the contract's ``clip_frames`` for a fixed-length
    model) in the stream's frame shape: what a stream artifact is checked on."""
    if clip is not None:
        return clip
    contract = stream_contract(artifact)
    n, c, h, w = contract["frame"]["shape"]
    return torch.randn(n, c, contract.get("clip_frames", frames), h, w, generator=torch.Generator().manual_seed(1))


def stream_step_inputs(artifact: Any, clip: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
    """The (frame, *state) that a stream of ``clip`` feeds ``artifact`` at each step from the initial state, in the
    model's layout. A step is a function of these alone, so another machine (ARM) can be checked on them step by
    step against this one."""
    if stream_contract(artifact).get("native_state"):
        raise XportError(f"{artifact.path.name} keeps its state inside the runtime (native state), so its steps "
                         "cannot be replayed elsewhere: export it with native_state=False to check them")
    session, fed = StreamSession(artifact), []
    for t in range(clip.shape[2]):
        fed.append((clip[:, :, t], *session.state.tensors))
        session.step(clip[:, :, t])
    return fed


def verify_stream(model: torch.nn.Module, artifact: Any, clip: torch.Tensor | None = None,
                  frames: int = CHECK_FRAMES) -> ParityReport:
    """Compare the stream ``artifact`` in its runtime with the clip ``model`` after every frame of ``clip``.

    Step t's outputs are compared with ``model(clip[:, :, :t + 1])``; the last step is the full clip. A stream of a
    model that takes clips of one length only (``clip_frames`` in its contract: TSM) is compared after the last
    frame of such a clip. Without ``clip``, a seeded random one of ``frames`` frames (``clip_frames``) is used. All
    compared steps are judged together under the backend's tolerance for the artifact's precision (the int8 gate's
    tolerance for int8 streams).
    """
    contract = stream_contract(artifact)
    clip = stream_clip(artifact, clip, frames)
    compared = compared_steps(clip.shape[2], contract.get("clip_frames"))
    session = StreamSession(artifact)
    refs, outs = [], []
    model = model.eval()
    with torch.no_grad():
        for t in range(clip.shape[2]):
            got = session.step(clip[:, :, t])
            if t not in compared:
                continue
            expected = model(clip[:, :, :t + 1])
            expected = tuple(expected) if isinstance(expected, (tuple, list)) else (expected,)
            refs += expected
            outs += got
            step = compare(list(expected), list(got))
            log.info("stream step %d: max abs error %.3g (max rel %.3g)", t + 1, step.max_abs, step.max_rel)
    metrics = compare(refs, outs)
    tol = backends.tolerance_for(artifact.backend, artifact.precision)
    failures = judge(metrics, tol)
    weights, other = weights_verdict(artifact.manifest.weights_fingerprint, model)
    if failures and other:
        failures.insert(0, other)
    return ParityReport(artifact.backend, artifact.precision, artifact.runtime, clip.shape[2], metrics, tol, failures,
                        weights)

"""What one timed run of an artifact is: the runtime alone on the inputs, or one step of a stream with its state.

Every timer (``xport.bench`` in one process, its isolated children, ``examples/bench_stream.py``) builds its calls
here, so an artifact is timed the same way wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..artifact import Artifact
from ..tensor_spec import in_file_layout


def is_stream(artifact: Artifact) -> bool:
    """Whether ``artifact`` is a stream model's step (``xport.stream``): one frame and the state in, outputs and the
    new state out."""
    return "stream" in artifact.manifest.extra


def timed_call(artifact: Artifact, inputs: tuple[torch.Tensor, ...]) -> Callable[[], Any]:
    """One run of ``artifact`` per call, on ``inputs`` converted to the file's layout once (so the timing is the
    runtime's alone); a stream artifact takes one step per call instead (:func:`stream_step`)."""
    if is_stream(artifact):
        return stream_step(artifact)
    arrays = in_file_layout(inputs, artifact.manifest.inputs)
    runner = artifact.runner
    return lambda: runner.run(*arrays)


def stream_step(artifact: Artifact, seed: int = 0) -> Callable[[], None]:
    """One step per call on a seeded frame, with the state the previous call left, as an app runs a stream: in the
    runner's step loop where it has one (the state stays in the runtime's buffers, :class:`~xport.artifact.StepLoop`),
    else fed back through ``run`` as it came out; a runtime with native state (OpenVINO variables) carries it over
    itself and takes the frame alone."""
    from ..streaming import StreamSession

    session = StreamSession(artifact)  # the manifest's contract, and the step loop started on the initial state
    frame = torch.randn(artifact.manifest.extra["stream"]["frame"]["shape"],
                        generator=torch.Generator().manual_seed(seed))
    if session.loop is not None:
        fed = in_file_layout((frame,), artifact.manifest.inputs[:1])
        return lambda: session.loop.step(*fed)
    given = (frame,) if session.native else (frame, *session.initial_state().tensors)
    arrays = in_file_layout(given, artifact.manifest.inputs)
    runner, state = artifact.runner, list(arrays[1:])

    def step() -> None:
        state[:] = runner.run(arrays[0], *state)[session.outputs:]
    return step

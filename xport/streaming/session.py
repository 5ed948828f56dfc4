"""A stream session: frames in one by one, outputs out, the state carried over — in eager or in a runtime.

The state is a :class:`StreamState`: the tensors plus the checksum of the stream contract they belong to, so a state
from another stream model (other buffers, or other weights) is refused instead of silently mixing two models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..artifact import StepLoop
from ..errors import XportError
from ..tensor_spec import in_file_layout, in_model_layout
from .model import StreamModel
from .rewrite import StateSpec


@dataclass(frozen=True)
class StreamState:
    """The state between two frames of one stream, tagged with its contract's checksum."""

    tensors: tuple[torch.Tensor, ...]
    checksum: str


def stream_contract(artifact: Any) -> dict[str, Any]:
    """The manifest's stream contract of an exported stream model; a clear error for any other artifact."""
    contract = artifact.manifest.extra.get("stream")
    if not contract:
        raise XportError(f"{artifact.path} is not a stream artifact (export xport.stream(model, frame_shape), or "
                         "`xport export … --stream`)")
    return contract


class StreamSession:
    """Run a stream model (a :class:`~xport.streaming.StreamModel` or its exported artifact) frame by frame.

    ``step(frame)`` returns the outputs after that frame (the clip model's on every frame so far); ``reset()`` starts
    a new stream. ``state`` may be saved and given back with ``step(frame, state)``. Where the artifact's runner
    offers a step loop (``loop``: LiteRT, ExecuTorch), the state stays in the runtime between steps and ``state``
    reads it out when asked.
    """

    def __init__(self, model: Any):
        self.model = model
        contract = model.contract() if isinstance(model, StreamModel) else stream_contract(model)
        self.checksum = contract["checksum"]
        self.outputs = int(contract["outputs"])
        self.specs = tuple(StateSpec.from_dict(s) for s in contract["states"])
        # The runtime keeps the state itself (OpenVINO variables): only the frame goes in, only outputs come out.
        self.native = bool(contract.get("native_state"))
        # Or the runner's step loop holds it between steps, as an app does (None: the state goes through ``run``).
        offered = None if isinstance(model, StreamModel) or self.native else getattr(model.runner, "step_loop", None)
        self.loop: StepLoop | None = offered(self.outputs) if offered else None
        self.reset()

    def initial_state(self) -> StreamState:
        return StreamState(tuple(torch.full(s.shape, s.initial) for s in self.specs), self.checksum)

    @property
    def state(self) -> StreamState:
        """The state after the last step (read out of the step loop, if the loop holds it)."""
        if self._state is None:
            held = [torch.from_numpy(x) for x in self.loop.state()]
            self._state = StreamState(tuple(s.to_model_layout(x) for s, x in zip(self._file_specs(), held)),
                                      self.checksum)
        return self._state

    def _file_specs(self) -> tuple:
        """The artifact's specs of the state inputs (its last inputs), in the file's layout."""
        inputs = self.model.manifest.inputs
        return inputs[len(inputs) - len(self.specs):]

    def reset(self) -> None:
        """Start a new stream: every state back to its initial value."""
        self._start(self.initial_state())
        if self.native:
            self.model.runner.reset_state()

    def _start(self, state: StreamState) -> None:
        if self.loop is not None:  # checked first (InputSpecError names the state tensor), then handed over
            self.loop.start(in_file_layout(state.tensors, self._file_specs()))
        self._state = state

    def step(self, frame: torch.Tensor, state: StreamState | None = None) -> tuple[torch.Tensor, ...]:
        """Feed one (N, C, H, W) frame; returns the outputs and keeps the new state in ``self.state``."""
        if self.native and state is not None:
            raise XportError("this artifact keeps its state inside the runtime (native state): it cannot be given "
                             "one; reset() starts a new stream")
        if state is not None and state.checksum != self.checksum:
            raise XportError(f"this state belongs to another stream model (contract {state.checksum}, this model's "
                             f"{self.checksum}): start from session.initial_state() or reset()")
        if self.loop is not None:
            if state is not None and state is not self._state:  # not the one the loop holds: continue from it
                self._start(state)
            specs = self.model.manifest
            results = self.loop.step(*in_file_layout((frame,), specs.inputs[:1]))
            self._state = None  # in the loop now
            return tuple(in_model_layout([torch.from_numpy(o) for o in results], specs.outputs))
        state = self.state if state is None else state
        if isinstance(self.model, StreamModel):
            with torch.no_grad():
                result = tuple(self.model(frame, *state.tensors))
        else:
            specs = self.model.manifest.inputs
            given = (frame,) if self.native else (frame, *state.tensors)
            fed = [spec.from_model_layout(x) for spec, x in zip(specs, given)]
            result = self.model.run(*fed)
            result = result if isinstance(result, tuple) else (result,)
        if not self.native:
            self._state = StreamState(tuple(result[self.outputs:]), self.checksum)
        return tuple(result[:self.outputs])

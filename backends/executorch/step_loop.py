"""A stream's steps in ExecuTorch with the state kept in buffers of the loop's own, as an app keeps it.

``PteRunner.run`` takes the outputs as ExecuTorch's Python bindings hand them out by default: cloned into fresh
tensors, whose page faults cost more than the copy (causal X3D-XS at 160×160, 8.8 MB of state, one process,
interleaved: a step took 9.6 ms that way, 6.1 ms in this loop). This loop asks for the outputs uncloned (views of the
program's planned memory, valid until the next execute), copies each state into its buffer at once, and gives the
buffers back as the next step's inputs, which ExecuTorch copies into its planned inputs: the buffers never alias the
program's memory, so no copy can overwrite a state not yet read, however the program's memory was planned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from xport.tensor_spec import TensorSpec


class PteStepLoop:
    """:class:`~xport.artifact.StepLoop` over a loaded method whose last inputs and outputs are the state."""

    def __init__(self, method, to_tensor: Callable[[TensorSpec, np.ndarray], torch.Tensor],
                 inputs: Sequence[TensorSpec], results: int, states: int):
        # executorch.runtime.Method.execute always clones; the binding it wraps takes clone_outputs.
        self._execute = method._method
        self._to_tensor = to_tensor  # an array as the tensor the program takes for that input (its dim order)
        self._frame, self._state_specs = inputs[:len(inputs) - states], inputs[len(inputs) - states:]
        self._results = results
        self._state: list[torch.Tensor] = []

    def start(self, state: Sequence[np.ndarray]) -> None:
        self._state = [self._to_tensor(spec, x).clone() for spec, x in zip(self._state_specs, state)]

    def step(self, *frame: np.ndarray) -> list[np.ndarray]:
        fed = [self._to_tensor(spec, x) for spec, x in zip(self._frame, frame)]
        outputs = self._execute([*fed, *self._state], False)
        for buffer, new in zip(self._state, outputs[self._results:]):
            # NumPy's copy, not torch's: torch's runs on its OpenMP threads, which then spin on the cores XNNPACK's
            # threads need (the step took twice as long).
            np.copyto(buffer.numpy(), new.numpy())
        return [o.numpy().copy() for o in outputs[:self._results]]

    def state(self) -> list[np.ndarray]:
        return [b.numpy().copy(order="K") for b in self._state]

"""A stream's steps in LiteRT with the state left in the interpreter: each step copies the last step's state outputs
into the state inputs, tensor to tensor, as an app does with ``typed_output_tensor`` → ``typed_input_tensor``.

``TfliteRunner.run`` copies every state twice per step (``get_tensor`` into a new array, ``set_tensor`` back), and
fresh arrays cost page faults: on causal X3D-XS at 160×160 (8.8 MB of state, one process, interleaved) its steps took
5.5 ms, this loop's 4.5 ms. The copy reads an output while writing an input, so the loop is offered only where the
interpreter placed no input over an output (:func:`step_loop`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from ai_edge_litert.interpreter import Interpreter


def _span(interpreter: Interpreter, index: int) -> tuple[int, int]:
    view = interpreter.tensor(index)()  # a view of the interpreter's buffer: dropped before any invoke
    return view.ctypes.data, view.ctypes.data + view.nbytes


class TfliteStepLoop:
    """:class:`~xport.artifact.StepLoop` over an allocated interpreter whose last inputs and outputs are the state.

    The interpreter is the runner's, so anything else that runs it (``run``, another loop) would overwrite the state
    this loop left there: ``hand_over(user)`` is called before every use, and the loop holding the state sets it
    aside (copies it out) first, to put it back at its next step.
    """

    def __init__(self, interpreter: Interpreter, inputs: Sequence[int], outputs: Sequence[int], results: int,
                 hand_over: Callable[[TfliteStepLoop | None], None]):
        states = len(outputs) - results
        self._interpreter, self._hand_over = interpreter, hand_over
        self._frame, self._state_in = list(inputs[:len(inputs) - states]), list(inputs[len(inputs) - states:])
        self._results, self._state_out = list(outputs[:results]), list(outputs[results:])
        self._carried = False  # True once a step ran: the state is in the outputs, not yet copied to the inputs
        self._aside: list[np.ndarray] | None = None  # the state, while something else used the interpreter

    def start(self, state: Sequence[np.ndarray]) -> None:
        self._hand_over(self)
        for index, x in zip(self._state_in, state):
            self._interpreter.set_tensor(index, x)
        self._carried, self._aside = False, None

    def set_aside(self) -> None:
        self._aside = self.state()

    def step(self, *frame: np.ndarray) -> list[np.ndarray]:
        self._hand_over(self)
        if self._aside is not None:
            self.start(self._aside)
        tensor = self._interpreter.tensor
        if self._carried:
            for into, out in zip(self._state_in, self._state_out):
                np.copyto(tensor(into)(), tensor(out)())
        for index, x in zip(self._frame, frame):
            self._interpreter.set_tensor(index, x)
        self._interpreter.invoke()
        self._carried = True
        return [self._interpreter.get_tensor(index) for index in self._results]

    def state(self) -> list[np.ndarray]:
        if self._aside is not None:
            return [x.copy() for x in self._aside]
        held = self._state_out if self._carried else self._state_in
        return [self._interpreter.get_tensor(index) for index in held]


def step_loop(interpreter: Interpreter, inputs: Sequence[int], outputs: Sequence[int], results: int,
              hand_over: Callable[[TfliteStepLoop | None], None]) -> TfliteStepLoop | None:
    """The loop, unless an input's buffer overlaps an output's (its copy would overwrite a state not yet copied)."""
    spans_in = [_span(interpreter, i) for i in inputs]
    spans_out = [_span(interpreter, o) for o in outputs]
    if any(a < d and c < b for a, b in spans_in for c, d in spans_out):
        return None
    return TfliteStepLoop(interpreter, inputs, outputs, results, hand_over)

"""Run a ``.tflite`` in the LiteRT interpreter (``ai-edge-litert``), which applies XNNPACK by default."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from xport._warnings import native_stderr_silenced
from xport.artifact import DEFAULT_THREADS, MANIFEST_KEY, Manifest
from xport.backends import checksum
from xport.errors import ModelFormatError

from .flatbuffer import has_identifier, read_metadata
from .step_loop import TfliteStepLoop, step_loop

CHECKSUM_KEY = "tflite_sha256"  # in manifest.extra


def read_manifest(path: Path, data: bytes) -> Manifest:
    """The manifest stored in a ``.tflite``'s metadata; anything unreadable raises ModelFormatError."""
    if not has_identifier(data):
        raise ModelFormatError(path, "not a TFLite flatbuffer (no TFL3 identifier)",
                               "the file is truncated or corrupt; export it again")
    try:
        text = read_metadata(data, MANIFEST_KEY)
    except Exception as exc:  # flatbuffers raises struct/index errors on damaged tables
        raise ModelFormatError(path, f"its flatbuffer tables are damaged ({type(exc).__name__})",
                               "the file is truncated or corrupt; export it again") from exc
    if text is None:
        raise ModelFormatError(path, "no xport manifest in its metadata", "export it with xport")
    checksum.check(data, CHECKSUM_KEY, path, required=False)  # files written before xport recorded one have none
    return Manifest.from_json(text.decode())


class TfliteRunner:
    companions: tuple = ()

    def __init__(self, path: Path, threads: int = DEFAULT_THREADS):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFormatError(self.path, "no such file")
        data = self.path.read_bytes()
        self.manifest = read_manifest(self.path, data)
        try:
            # LiteRT verifies the flatbuffer before building the graph, so truncation is caught here. Its C++
            # logger prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on every load (even under
            # `xport -q`) with no Python switch; a failed load says why in the exception.
            with native_stderr_silenced():
                self._interpreter = Interpreter(model_content=data, num_threads=threads)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelFormatError(self.path, f"LiteRT cannot load it ({str(exc).splitlines()[0][:300]})",
                                   "the file is truncated or corrupt; export it again") from exc
        self._inputs = [d["index"] for d in self._interpreter.get_input_details()]
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]
        self._holder: TfliteStepLoop | None = None  # the step loop whose state is in the interpreter now
        self.runtime = f"ai-edge-litert {version('ai-edge-litert')} (LiteRT interpreter, {threads} threads)"

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        self._hand_over(None)
        for index, x in zip(self._inputs, inputs):
            self._interpreter.set_tensor(index, x)
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(index) for index in self._outputs]  # get_tensor returns a copy

    def step_loop(self, results: int) -> TfliteStepLoop | None:
        """A stream's steps with the state left in the interpreter (:mod:`.step_loop`)."""
        return step_loop(self._interpreter, self._inputs, self._outputs, results, self._hand_over)

    def _hand_over(self, user: TfliteStepLoop | None) -> None:
        """``user`` (a step loop, or None: ``run``) runs the interpreter next: the loop whose state is in it first
        sets that state aside."""
        if self._holder is not None and self._holder is not user:
            self._holder.set_aside()
        self._holder = user


def load(path: Path, threads: int = DEFAULT_THREADS) -> TfliteRunner:
    """Open ``path`` in LiteRT (raises ModelFormatError for missing, truncated or corrupt files)."""
    return TfliteRunner(path, threads)

"""Run a ``.pte`` in ExecuTorch's runtime (``executorch.runtime``: the C++ runtime, XNNPACK and portable kernels).

The file's header and checksum are checked before ExecuTorch parses it (:mod:`.pte_format` says why); the
manifest is read from the program itself (its ``xport_manifest`` constant method). XNNPACK's thread pool is
process-wide in ExecuTorch; it is sized to ``threads`` when a program is opened.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from xport._warnings import native_stderr_silenced
from xport.artifact import DEFAULT_THREADS, Manifest
from xport.errors import BackendUnavailableError, ModelFormatError
from xport.tensor_spec import TensorSpec

from . import BACKEND
from .pte_format import CHANNELS_LAST_INPUTS, DELEGATE, MANIFEST_METHOD, check_checksum, check_header
from .step_loop import PteStepLoop

_REEXPORT = "the file is truncated or corrupt; export it again"


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def _use_threads(threads: int) -> None:
    from executorch.extension.pybindings import portable_lib

    # "unsafe" because it must not run while another thread executes a program; xport runs programs on the
    # calling thread only, and resets only when the size differs. Both calls log CPU probing from C++.
    with native_stderr_silenced():
        if portable_lib._threadpool_get_thread_count() != threads:
            portable_lib._unsafe_reset_threadpool(threads)


def _channels_last(x: np.ndarray) -> torch.Tensor:
    """``x`` as a channels-last tensor of its shape: free for a state the program returned (it is one already)."""
    x = x if all(stride >= 0 for stride in x.strides) else np.ascontiguousarray(x)
    return torch.from_numpy(x).contiguous(memory_format=torch.channels_last)


class PteRunner:
    companions: tuple = ()

    def __init__(self, path: Path, threads: int = DEFAULT_THREADS):
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFormatError(self.path, "no such file")
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ModelFormatError(self.path, f"cannot read it ({exc.strerror})") from exc
        check_header(data, self.path)
        check_checksum(data, self.path)
        with BACKEND.quiet():
            from executorch.runtime import Runtime

            runtime = Runtime.get()
            if not runtime.backend_registry.is_available(DELEGATE):
                raise BackendUnavailableError(f"this executorch build has no {DELEGATE}; install the executorch "
                                              "wheel from PyPI (constraints.txt)")
            _use_threads(threads)  # before XNNPACK first creates the pool with one thread per core
            try:
                program = runtime.load_program(data)
            except RuntimeError as exc:
                raise ModelFormatError(self.path, f"ExecuTorch cannot load it ({_first_line(exc)})", _REEXPORT) from exc
            self.manifest = self._read_manifest(program)
            try:
                self._forward = program.load_method("forward")
            except (RuntimeError, KeyError) as exc:
                raise ModelFormatError(self.path, f"ExecuTorch cannot prepare its forward method "
                                                  f"({_first_line(exc)})", _REEXPORT) from exc
        self._program = program  # keeps the loaded program (and its buffer) alive while the method is used
        # Inputs the program takes in channels-last dim order (a stream's state, :mod:`.channels_last_state`).
        self._channels_last = frozenset(self.manifest.extra.get(CHANNELS_LAST_INPUTS, ()))
        self.threads = threads
        portable = self.manifest.extra.get("delegation", {}).get("portable_nodes", 0)
        kernels = "XNNPACK" + (f" + {portable} portable-kernel node(s)" if portable else "")
        self.runtime = f"executorch {version('executorch')} ({kernels}, {threads} threads)"

    def _read_manifest(self, program) -> Manifest:
        if MANIFEST_METHOD not in program.method_names:
            raise ModelFormatError(self.path, "no xport manifest inside", "export it with xport, or re-export")
        try:
            (text,) = program.load_method(MANIFEST_METHOD).execute([])
            return Manifest.from_json(text)
        except (RuntimeError, TypeError, ValueError, KeyError) as exc:
            raise ModelFormatError(self.path, f"its xport manifest is unreadable ({_first_line(exc)})",
                                   _REEXPORT) from exc

    def _tensor(self, spec: TensorSpec, x: np.ndarray) -> torch.Tensor:
        return _channels_last(x) if spec.name in self._channels_last else torch.from_numpy(np.ascontiguousarray(x))

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        tensors = [self._tensor(spec, x) for spec, x in zip(self.manifest.inputs, inputs)]
        try:
            outputs = self._forward.execute(tensors)
        except RuntimeError as exc:  # a kernel rejected its arguments: only a damaged program gets this far
            raise ModelFormatError(self.path, f"ExecuTorch failed to run it ({_first_line(exc)})", _REEXPORT) from exc
        return [o.numpy() for o in outputs]

    def step_loop(self, results: int) -> PteStepLoop:
        """A stream's steps with the state kept in buffers between them (:mod:`.step_loop`)."""
        return PteStepLoop(self._forward, self._tensor, self.manifest.inputs, results,
                           len(self.manifest.outputs) - results)


def load(path: Path, threads: int = DEFAULT_THREADS) -> PteRunner:
    """Open ``path`` in ExecuTorch (ModelFormatError for missing, truncated or corrupt files)."""
    return PteRunner(path, threads)

"""An exported artifact: files on disk plus the manifest that says how to feed them.

The manifest (backend, precision, input/output specs, provenance) travels *inside* the artifact file
where the format allows (lite-interpreter extra file, ONNX metadata), so ``xport.load`` needs nothing
but the file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from . import backends
from .tensor_spec import TensorSpec, in_model_layout, validate_inputs

MANIFEST_KEY = "xport.json"
# Threads every runtime gets unless told otherwise: the core count of the machines this project targets in CI
# and of a phone's big cluster, so numbers compare across runtimes (benchmarks pin every runtime to it).
DEFAULT_THREADS = 2


@dataclass(frozen=True)
class Manifest:
    """What an app (and ``Artifact.run``) must know to feed the model and read its outputs."""

    backend: str
    precision: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    source: str = ""
    xport_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The exported model's weights (xport.fingerprint); "" in manifests written before xport recorded it.
    weights_fingerprint: str = ""
    # Set only for files xport did not write (xport.foreign): where the input shapes came from.
    foreign: str = ""

    def to_json(self) -> str:
        return json.dumps({
            "backend": self.backend, "precision": self.precision,
            "inputs": [s.to_dict() for s in self.inputs], "outputs": [s.to_dict() for s in self.outputs],
            "source": self.source, "xport_version": self.xport_version, "extra": self.extra,
            "weights_fingerprint": self.weights_fingerprint,
        }, indent=2, sort_keys=True)

    def with_channels_last_state(self) -> Manifest:
        """A stream step's manifest with its state inputs and outputs channels-last (NHWC), for runtimes whose kernels
        compute channels-last: the app feeds each state back as it came out, so its axis order is the file's choice."""
        outputs = int(self.extra["stream"]["outputs"])
        return replace(self, inputs=(self.inputs[0], *(s.channels_last() for s in self.inputs[1:])),
                       outputs=(*self.outputs[:outputs], *(s.channels_last() for s in self.outputs[outputs:])))

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        d = json.loads(text)
        return cls(d["backend"], d["precision"], tuple(TensorSpec.from_dict(s) for s in d["inputs"]),
                   tuple(TensorSpec.from_dict(s) for s in d["outputs"]), d.get("source", ""),
                   d.get("xport_version", ""), d.get("extra", {}), d.get("weights_fingerprint", ""))


class Runner(Protocol):
    """A loaded artifact in its runtime (what backends' ``load(path)`` return).

    A runner may also offer ``step_loop(results: int) -> StepLoop | None`` for stream artifacts whose first
    ``results`` outputs are not state (None where the runtime cannot hold the state safely): a
    :class:`~xport.streaming.StreamSession` then runs its steps there instead of through ``run``.
    """

    manifest: Manifest
    runtime: str  # e.g. "onnxruntime 1.32.0 (CPUExecutionProvider)"
    companions: tuple[Path, ...]  # files loaded besides the artifact's main file (OpenVINO's .bin), often none

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]: ...


class StepLoop(Protocol):
    """A stream artifact's steps with the state left in the runtime between them, as an app runs them.

    ``run`` returns each state as a new array and takes it back as an input, two copies of every state per step
    into fresh memory; an app hands the state over in the runtime's own buffers. Steps alternate with ``start``
    (the state to continue from, in the file's layout) and ``state`` (the current one, read out) at any point.
    """

    def start(self, state: Sequence[np.ndarray]) -> None: ...

    def step(self, *frame: np.ndarray) -> list[np.ndarray]:
        """One step on the non-state inputs; returns the non-state outputs (arrays of their own)."""

    def state(self) -> list[np.ndarray]: ...


@dataclass(frozen=True)
class Artifact:
    """Files written by :func:`xport.export` (or found by :func:`xport.load`), runnable in their runtime."""

    backend: str
    precision: str
    path: Path
    files: tuple[Path, ...]
    manifest: Manifest
    # Files the runtime loads besides ``path`` (OpenVINO's .bin); counted in size_bytes, moved with the artifact.
    companions: tuple[Path, ...] = ()
    # The example inputs of the export (kept in memory only; verify() reuses them).
    example_inputs: tuple[torch.Tensor, ...] | None = field(default=None, repr=False, compare=False)
    _runner: list = field(default_factory=list, repr=False, compare=False)  # lazily loaded, cached

    @classmethod
    def opened(cls, path: Path, runner: Runner) -> Artifact:
        """An artifact found on disk and already loaded in its runtime."""
        m = runner.manifest
        companions = tuple(Path(p) for p in runner.companions)
        artifact = cls(m.backend, m.precision, Path(path), (Path(path), *companions), m, companions)
        artifact._runner.append(runner)
        return artifact

    @property
    def runner(self) -> Runner:
        if not self._runner:
            self._runner.append(backends.get(self.backend).load(self.path))
        return self._runner[0]

    @property
    def runtime(self) -> str:
        """Which runtime produces the numbers of :meth:`run`."""
        return self.runner.runtime

    @property
    def size_bytes(self) -> int:
        """Bytes an app ships for this model: the main file (or package folder) and its companions."""
        return sum(_size(f) for f in (self.path, *self.companions))

    def run(self, *inputs: torch.Tensor | np.ndarray) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Run the artifact in its runtime; inputs are checked against the manifest first."""
        arrays = validate_inputs(inputs, self.manifest.inputs)
        outputs = in_model_layout([torch.from_numpy(np.asarray(o)) for o in self.runner.run(*arrays)],
                                  self.manifest.outputs)  # no specs for some files xport did not write
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def relocated(self, directory: Path) -> Artifact:
        """The same artifact after its files were moved into ``directory``."""
        directory = Path(directory)
        return replace(self, path=directory / self.path.name, files=tuple(directory / f.name for f in self.files),
                       companions=tuple(directory / f.name for f in self.companions), _runner=[])

    def __str__(self) -> str:
        return f"{self.backend} {self.precision} artifact {self.path} ({self.size_bytes / 1e6:.2f} MB)"


def _size(path: Path) -> int:
    """Bytes of a file, or of every file in a package folder (Core ML's ``.mlpackage`` is a folder)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def describe_outputs(program, example_inputs: Sequence[torch.Tensor],
                     dynamic_batch: bool = False) -> tuple[TensorSpec, ...]:
    """Output specs of a captured program, named ``output`` / ``output_0``, ``output_1``, ...

    Read from the graph's shape metadata; only a program without it is run (an int8 program's eager run, with
    Python-level quantize ops, takes seconds).
    """
    outs = _output_values(program)
    if outs is None:
        with torch.no_grad():
            result = program.module()(*example_inputs)
        outs = result if isinstance(result, (tuple, list)) else (result,)
    names = ["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))]
    return tuple(TensorSpec.of(n, o, dynamic_batch) for n, o in zip(names, outs))


def _output_values(program) -> list | None:
    """The fake tensors of the program's user outputs, or None where a shape is unknown or symbolic past the batch."""
    from torch.export.graph_signature import OutputKind

    returned = program.graph.output_node().args[0]
    specs = program.graph_signature.output_specs
    vals = [getattr(node, "meta", {}).get("val") for node, spec in zip(returned, specs)
            if spec.kind == OutputKind.USER_OUTPUT]
    if not vals or any(not isinstance(v, torch.Tensor) or not all(isinstance(d, int) for d in v.shape[1:])
                       for v in vals):
        return None
    return vals

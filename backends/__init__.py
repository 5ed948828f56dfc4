"""Backend registry: one package per target runtime, each described by its ``BACKEND`` record (:mod:`.contract`).

Adding a target means adding its folder and one line to ``_PACKAGES``; a package outside xport registers with
:func:`register`, or is found through the ``xport.backends`` entry-point group (``name = "package.module"``).
Packages are imported lazily, and each ``BACKEND`` record is validated when first loaded. A backend package imports
without its toolchain (its record is plain data), so ``xport check`` works for every target and a missing toolchain
disables one backend with its reason instead of breaking ``import xport``.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from xport.caps import Capabilities
from xport.errors import BackendUnavailableError, ModelFormatError, XportError
from xport.tolerances import DEFAULT_ARM_TOLERANCES, DEFAULT_TOLERANCES, ArmTolerance, Tolerance

from .contract import BackendSpec

_PACKAGES = {
    "torchscript": "xport.backends.torchscript",
    "onnx": "xport.backends.onnx",
    "tflite": "xport.backends.tflite",
    "executorch": "xport.backends.executorch",
    "openvino": "xport.backends.openvino",
    "coreml": "xport.backends.coreml",
}
ENTRY_POINT_GROUP = "xport.backends"


@functools.cache
def _entry_point_packages() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _registered() -> dict[str, str]:
    return {**_entry_point_packages(), **_PACKAGES}


def register(name: str, package: str) -> None:
    """Register the backend package ``package`` (an importable module path defining ``BACKEND``) as ``name``."""
    if name in _PACKAGES and _PACKAGES[name] != package:
        raise XportError(f"backend '{name}' is already registered (as {_PACKAGES[name]})")
    _PACKAGES[name] = package
    _load.cache_clear()


def unregister(name: str) -> None:
    """Remove a backend added with :func:`register`."""
    _PACKAGES.pop(name, None)
    _load.cache_clear()


@dataclass(frozen=True)
class Backend:
    """Handle on one backend: its :class:`~.contract.BackendSpec` and its lazily imported emit/runtime modules.

    ``<pkg>/__init__.py`` holds data only and imports without the toolchain; ``<pkg>/emit.py`` and
    ``<pkg>/runtime.py`` import the toolchain and are loaded on first use.
    """

    spec: BackendSpec
    package: str  # module path of the backend package

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def caps(self) -> Capabilities:
        """Capabilities at the default options (what ``xport check`` and ``xport backends`` show)."""
        return self.spec.caps

    @property
    def options(self):
        return self.spec.options

    @property
    def suffixes(self) -> tuple[str, ...]:
        return self.spec.suffixes

    def caps_for(self, settings: dict[str, Any]) -> Capabilities:
        """Capabilities under resolved export ``settings`` (Core ML's depend on the deployment target)."""
        return self.spec.caps_at(settings)

    def check_request(self, settings: dict[str, Any], precision: str) -> None:
        """Refuse, before any work, a precision these ``settings`` cannot give; the error names the fix."""
        self.spec.check_request(settings, precision)

    def is_available(self) -> tuple[bool, str]:
        return self.spec.availability()

    def stand_in(self) -> str:
        """Why the runtime used here is not the one apps use ("" when it is)."""
        return self.spec.stand_in()

    def quiet(self):
        """A context filtering this backend's toolchain notices."""
        return self.spec.quiet()

    def module(self, name: str) -> ModuleType:
        """The backend's submodule ``name`` (``"emit"``, ``"runtime"``), imported on first use."""
        return importlib.import_module(f"{self.package}.{name}")

    def emit(self, program, options, out_dir: Path):
        """Write the artifact of a planned program into ``out_dir`` (``<pkg>/emit.py``)."""
        return self.module("emit").emit(program, options, out_dir)

    def load(self, path: Path, threads: int | None = None):
        """Open an artifact in its runtime (``<pkg>/runtime.py``), with ``threads`` CPU threads if given.

        Runtimes size their thread pools when a model is opened, so the count is a load-time choice; the
        lite interpreter follows ``torch.set_num_threads`` instead.
        """
        runtime = self.module("runtime")
        return runtime.load(Path(path)) if threads is None else runtime.load(Path(path), threads=threads)

    def profile(self, path: Path, arrays: list[Any], runs: int, threads: int, nodes: Any) -> list[Any]:
        """Per-node times (:class:`xport.profiling.NodeTime`) from the runtime's own profiler (``<pkg>/profile.py``),
        in execution order; ``arrays`` are the inputs in the file's layout, ``nodes`` the artifact's
        :class:`xport.node_map.NodeMap` or None."""
        return self.module("profile").profile(Path(path), arrays, runs, threads, nodes)

    def tolerance(self, precision: str) -> Tolerance:
        """The parity tolerance at ``precision``: the backend's own entry, else the shared one."""
        found = self.spec.tolerances.get(precision) or DEFAULT_TOLERANCES.get(precision)
        if found is None:
            raise KeyError(f"no parity tolerance for backend '{self.name}' at precision '{precision}'; add one to "
                           "its BACKEND.tolerances with the reason for its numbers")
        return found

    def arm_tolerance(self, precision: str) -> ArmTolerance:
        """How far this backend's aarch64 outputs may be from its x86 ones at ``precision``."""
        own = self.spec.arm.tolerances if self.spec.arm is not None else {}
        found = own.get(precision) or DEFAULT_ARM_TOLERANCES.get(precision)
        if found is None:
            raise KeyError(f"no ARM parity tolerance for backend '{self.name}' at precision '{precision}'; add one "
                           "to its BACKEND.arm.tolerances with the reason for its numbers")
        return found


@functools.cache
def _load(name: str) -> Backend:
    package = _registered()[name]
    module = importlib.import_module(package)
    spec = getattr(module, "BACKEND", None)
    if not isinstance(spec, BackendSpec):
        raise XportError(f"backend package {package} defines no BACKEND = BackendSpec(...)")
    if spec.name != name:
        raise XportError(f"backend package {package} is registered as '{name}' but its BACKEND is named '{spec.name}'")
    spec.validate(package)
    return Backend(spec, package)


def names() -> list[str]:
    """Every registered backend, available here or not."""
    return list(_registered())


def get(name: str) -> Backend:
    """The backend called ``name`` (its toolchain may still be missing: see :func:`status`)."""
    if name not in _registered():
        raise XportError(f"unknown backend '{name}'; known backends: {', '.join(_registered())}")
    return _load(name)


def all_backends() -> list[Backend]:
    """Every registered backend's handle."""
    return [get(n) for n in names()]


def require(name: str) -> Backend:
    """The backend, after checking that its toolchain is installed."""
    backend = get(name)
    ok, reason = backend.is_available()
    if not ok:
        raise BackendUnavailableError(f"backend '{name}' is not available here: {reason}")
    return backend


def status() -> dict[str, tuple[bool, str]]:
    """Backend name → (available, reason); the reason says what is missing and how to install it."""
    return {b.name: b.is_available() for b in all_backends()}


def available() -> list[str]:
    """Names of the backends whose toolchain works here."""
    return [name for name, (ok, _) in status().items() if ok]


def with_dynamic_batch() -> list[str]:
    """Backends whose artifacts can take any batch size."""
    return [b.name for b in all_backends() if b.caps.dynamic_batch]


def all_suffixes() -> list[str]:
    """Every artifact file type a registered backend loads (``.onnx``, ``.ptl``, ...)."""
    return [s for b in all_backends() for s in b.suffixes]


def for_path(path: Path | str) -> str:
    """The backend that writes files like ``path`` (by file type)."""
    path = Path(path)
    for backend in all_backends():
        if path.suffix in backend.suffixes:
            return backend.name
    raise ModelFormatError(path, f"unknown artifact type '{path.suffix}'", f"xport loads {', '.join(all_suffixes())}")


def tolerance_for(backend: str, precision: str) -> Tolerance:
    """The parity tolerance of ``backend`` at ``precision``."""
    return get(backend).tolerance(precision)


def arm_tolerance_for(backend: str, precision: str) -> ArmTolerance:
    """The aarch64-vs-x86 tolerance of ``backend`` at ``precision``."""
    return get(backend).arm_tolerance(precision)

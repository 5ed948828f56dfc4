"""Backend registry: one package per target runtime, imported lazily.

Adding a target means adding its folder and one line to ``_PACKAGES``. A package may define
``runtime_stand_in() -> str``: why its runtime here is not the one apps use ("" when it is), so
benchmarks leave it out; and ``capabilities(settings) -> Capabilities`` when what runs natively depends on
its options (Core ML: the deployment target). A backend package must import
without its toolchain (capabilities are plain data), so ``xport check`` works for every target and a
missing toolchain disables one backend with its reason instead of breaking ``import xport``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from xport.errors import BackendUnavailableError, ModelFormatError, XportError

_PACKAGES = {
    "torchscript": "xport.backends.torchscript",
    "onnx": "xport.backends.onnx",
    "tflite": "xport.backends.tflite",
    "executorch": "xport.backends.executorch",
    "openvino": "xport.backends.openvino",
    "coreml": "xport.backends.coreml",
}


@dataclass(frozen=True)
class Backend:
    """Handle on one backend package: its data (name, capabilities, options) and lazy emit/load.

    ``<pkg>/__init__.py`` holds data only and imports without the toolchain; ``<pkg>/emit.py`` and
    ``<pkg>/runtime.py`` import the toolchain and are loaded on first use.
    """

    package: ModuleType

    @property
    def name(self) -> str:
        return self.package.NAME

    @property
    def CAPS(self):  # noqa: N802 (the DESIGN.md name)
        return self.package.CAPS

    def caps_for(self, settings: dict[str, Any]):
        """Capabilities under resolved ``settings``: a package's ``capabilities(settings)`` if it has one
        (Core ML's depend on the deployment target), else its fixed ``CAPS``."""
        hook = getattr(self.package, "capabilities", None)
        return hook(settings) if hook is not None else self.package.CAPS

    def check_request(self, settings: dict[str, Any], precision: str) -> None:
        """Refuse, before any work, a precision these ``settings`` cannot give (a package's ``check_request``
        hook: Core ML's int8 needs iOS 17); the error names the fix."""
        hook = getattr(self.package, "check_request", None)
        if hook is not None:
            hook(settings, precision)

    @property
    def OPTIONS(self) -> dict[str, tuple[Any, str]]:  # noqa: N802
        return self.package.OPTIONS

    @property
    def SUFFIXES(self) -> tuple[str, ...]:  # noqa: N802
        return self.package.SUFFIXES

    def is_available(self) -> tuple[bool, str]:
        return self.package.is_available()

    def emit(self, program, options, out_dir: Path):
        """Write the artifact of a planned program into ``out_dir`` (``<pkg>/emit.py``)."""
        return importlib.import_module(f"{self.package.__name__}.emit").emit(program, options, out_dir)

    def load(self, path: Path, threads: int | None = None):
        """Open an artifact in its runtime (``<pkg>/runtime.py``), with ``threads`` CPU threads if given.

        Runtimes size their thread pools when a model is opened, so the count is a load-time choice; the
        lite interpreter follows ``torch.set_num_threads`` instead.
        """
        runtime = importlib.import_module(f"{self.package.__name__}.runtime")
        return runtime.load(Path(path)) if threads is None else runtime.load(Path(path), threads=threads)


def names() -> list[str]:
    """Every registered backend, available here or not."""
    return list(_PACKAGES)


def get(name: str) -> Backend:
    """The backend called ``name`` (its toolchain may still be missing: see :func:`status`)."""
    if name not in _PACKAGES:
        raise XportError(f"unknown backend '{name}'; known backends: {', '.join(_PACKAGES)}")
    return Backend(importlib.import_module(_PACKAGES[name]))


def require(name: str) -> Backend:
    """The backend package, after checking that its toolchain is installed."""
    backend = get(name)
    ok, reason = backend.is_available()
    if not ok:
        raise BackendUnavailableError(f"backend '{name}' is not available here: {reason}")
    return backend


def status() -> dict[str, tuple[bool, str]]:
    """Backend name → (available, reason); the reason says what is missing and how to install it."""
    return {name: get(name).is_available() for name in _PACKAGES}


def available() -> list[str]:
    """Names of the backends whose toolchain works here."""
    return [name for name, (ok, _) in status().items() if ok]


def for_path(path: Path | str) -> str:
    """The backend that writes files like ``path`` (by file type)."""
    path = Path(path)
    for name in _PACKAGES:
        if path.suffix in get(name).SUFFIXES:
            return name
    known = ", ".join(s for n in _PACKAGES for s in get(n).SUFFIXES)
    raise ModelFormatError(path, f"unknown artifact type '{path.suffix}'", f"xport loads {known}")

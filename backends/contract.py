"""The backend contract: everything core knows about a backend, as one typed, frozen record.

A backend is a package ``backends/<name>/`` whose ``__init__.py`` defines ``BACKEND = BackendSpec(...)`` and imports
without its toolchain (the record is plain data), plus two modules loaded on first use: ``emit.py`` with
``emit(program, options, out_dir) -> Artifact`` and ``runtime.py`` with ``load(path, threads=...) -> Runner``.
Core (export, check, verify, bench, packaging, the ARM stage, the CLI) reads only this record, through the
registry (:mod:`xport.backends`); no core module keeps a per-backend table or looks a hook up by name.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from xport._warnings import Quieting, quiet
from xport.caps import Capabilities
from xport.errors import XportError
from xport.tolerances import DEFAULT_INT8_GATE, DEFAULT_TOLERANCES, ArmTolerance, Int8Gate, Tolerance

if TYPE_CHECKING:
    import contextlib

Settings = Mapping[str, Any]


class Option(NamedTuple):
    """One export option: its default and what it does (``xport backends`` prints both)."""

    default: Any
    doc: str


class Unavailable(Exception):
    """Raised by a backend's ``probe`` when its toolchain is installed but cannot work here (the message says why)."""


@dataclass(frozen=True)
class AppRuntime:
    """How an app on one platform loads this backend's artifact (:mod:`xport.packaging`).

    ``snippet(model, classes)`` returns the app code (Kotlin on Android, Swift on iOS) that loads the bundled
    model and runs one clip; ``model`` is the bundle's :class:`~xport.packaging.model_json.BundledModel`.
    """

    dependency: str  # the runtime the app adds, e.g. "LiteRT (Gradle: com.google.ai.edge.litert:litert)"
    snippet: Callable[[Any, int], str]
    default_order: int | None = None  # packaged when the user names no backend, in this order (1 first)
    app_file_suffix: str = ""  # the file the app loads, when it is not the artifact's main file (ORT: ".ort")
    notes: Callable[[Path], dict] | None = None  # facts about the bundled file for model.json


@dataclass(frozen=True)
class ArmRunner:
    """How the ARM stage (:mod:`xport.arm`) runs this backend's artifacts in an aarch64 Python under qemu.

    ``script`` is a file of this backend's package that imports only numpy and the runtime; it defines
    ``run(path, samples, threads) -> (outputs, runtime description)``. ``wheels`` are distributions whose aarch64
    wheels pip installs at the pinned versions; ``unpacked`` ones are unpacked without pip (no CUDA dependencies),
    and ``import_deps`` are what those need at import time.
    """

    script: str
    wheels: tuple[str, ...] = ()
    unpacked: tuple[str, ...] = ()
    import_deps: tuple[str, ...] = ()
    tolerances: Mapping[str, ArmTolerance] = field(default_factory=dict)


def installed(distribution: str, note: str = "") -> Callable[[], str]:
    """A ``probe`` that names the installed version of ``distribution`` (``"executorch 1.5.1 (XNNPACK delegate)"``)."""

    def probe() -> str:
        from importlib.metadata import version

        return f"{distribution} {version(distribution)}" + (f" ({note})" if note else "")

    return probe


def _no_request_check(settings: Settings, precision: str) -> None:
    return None


def _not_a_stand_in() -> str:
    return ""


@dataclass(frozen=True)
class BackendSpec:
    """One backend, as core sees it. See the module docstring for what a backend package provides.

    - ``caps``: what runs natively at the default options; ``capabilities(settings)`` when it depends on them.
    - ``requires`` / ``extra``: modules the toolchain needs and the pip extra that installs them; ``probe()``
      returns what runs artifacts here (e.g. ``"onnxruntime 1.32.0"``) or raises :class:`Unavailable`.
    - ``check_request(settings, precision)``: refuse, before any work, what these settings cannot give.
    - ``tolerances``: per precision, where the shared ones (:data:`xport.tolerances.DEFAULT_TOLERANCES`) do not fit.
    - ``int8_gate``: the accuracy the int8 export must keep on the trained test model.
    - ``stand_in()``: why the runtime used here is not the one apps use ("" when it is); benchmarks skip it.
    - ``quieting``: the notices its toolchain prints that users can do nothing about (:func:`quiet`).
    - ``profiler``: the runtime's own profiler that ``<pkg>/profile.py`` reads for ``xport profile`` ("" when there
      is none here); ``no_profiler``: then, why, and what to use instead.
    - ``apps``: platform name → :class:`AppRuntime`; ``arm``: :class:`ArmRunner`, if it runs on aarch64 here.
    """

    name: str
    summary: str
    suffixes: tuple[str, ...]
    caps: Capabilities
    probe: Callable[[], str]
    options: Mapping[str, Option] = field(default_factory=dict)
    capabilities: Callable[[Settings], Capabilities] | None = None
    requires: tuple[str, ...] = ()
    extra: str = ""
    check_request: Callable[[Settings, str], None] = _no_request_check
    tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    int8_gate: Int8Gate = DEFAULT_INT8_GATE
    stand_in: Callable[[], str] = _not_a_stand_in
    quieting: Quieting = Quieting()
    apps: Mapping[str, AppRuntime] = field(default_factory=dict)
    arm: ArmRunner | None = None
    profiler: str = ""
    no_profiler: str = "xport reads no per-node profiler of this runtime"

    def validate(self, package: str) -> None:
        """Raise :class:`XportError` naming ``package`` and the field if this record is inconsistent."""
        problems = []
        if not self.name.isidentifier():
            problems.append(f"name '{self.name}' is not an identifier")
        if self.caps.backend != self.name:
            problems.append(f"caps.backend is '{self.caps.backend}', not '{self.name}'")
        if not self.suffixes or not all(s.startswith(".") for s in self.suffixes):
            problems.append(f"suffixes {self.suffixes} must be file suffixes such as '.onnx'")
        unknown = [p for p in self.caps.precisions if p not in self.tolerances and p not in DEFAULT_TOLERANCES]
        if unknown:
            problems.append(f"precisions {unknown} have no tolerance (add them to tolerances=)")
        for key, option in self.options.items():
            if not isinstance(option, tuple) or len(option) != 2 or not isinstance(option[1], str):
                problems.append(f"option '{key}' must be Option(default, doc)")
        if self.profiler and not (Path(_package_dir(package)) / "profile.py").is_file():
            problems.append(f"profiler '{self.profiler}' is named but the package has no profile.py")
        if self.arm is not None and not (Path(_package_dir(package)) / self.arm.script).is_file():
            problems.append(f"arm.script '{self.arm.script}' is not a file of the package")
        if problems:
            raise XportError(f"backend package {package} has an invalid BACKEND record: " + "; ".join(problems))

    def caps_at(self, settings: Settings) -> Capabilities:
        """Capabilities under resolved export ``settings``."""
        return self.capabilities(settings) if self.capabilities is not None else self.caps

    def availability(self) -> tuple[bool, str]:
        """(available, reason): what runs artifacts here, or what is missing and how to install it."""
        missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
        if missing:
            extra = f"'xport[{self.extra}]'" if self.extra else "its toolchain"
            return False, f"missing {', '.join(missing)}: pip install -c constraints.txt {extra}"
        try:
            return True, self.probe()
        except Unavailable as exc:
            return False, str(exc)

    def quiet(self) -> contextlib.AbstractContextManager:
        """A context in which this backend's toolchain notices (:attr:`quieting`) are filtered."""
        return quiet(self.quieting)


def _package_dir(package: str) -> str:
    spec = importlib.util.find_spec(package)
    return str(Path(spec.origin).parent) if spec is not None and spec.origin else ""

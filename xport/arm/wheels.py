"""The aarch64 wheels of the runtimes, at the versions xport is pinned to, unpacked into one site folder.

The host's pip fetches them for another platform (``--platform``/``--python-version``/``--abi``), so nothing runs
under emulation during setup. Versions come from ``constraints.txt`` (the file xport's install and CI use), or
from the installed host packages when xport is installed without its source tree.

ExecuTorch's Python runtime (its pybindings) links libtorch and exchanges torch tensors, so the aarch64 torch
wheel is part of its runtime; that wheel is a CUDA build, of which only the CPU libraries are unpacked (the
430 MB libtorch_cuda.so is left out, and :mod:`.stubs` stands in for the CUDA libraries).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from xport import backends
from xport.errors import BackendUnavailableError

from .progress import say
from .stubs import write_stubs
from .sysroot import cache_root, locked


def _runners() -> list:
    return [b.spec.arm for b in backends.all_backends() if b.spec.arm is not None]


def unpacked() -> tuple[str, ...]:
    """Distributions unpacked by hand (pip would also pull a CUDA build's nvidia-* packages, GBs)."""
    return tuple(dict.fromkeys(d for arm in _runners() for d in arm.unpacked))


def pinned() -> tuple[str, ...]:
    """Pinned distributions the emulated runtimes need: numpy (the runner's) and every backend's runtime."""
    return tuple(dict.fromkeys(("numpy", *(d for arm in _runners() for d in arm.wheels), *unpacked())))


def import_deps() -> tuple[str, ...]:
    """Pure-Python (or aarch64-wheel) packages the unpacked runtimes import; pip resolves their versions."""
    return tuple(dict.fromkeys(d for arm in _runners() for d in arm.import_deps))

_SKIP_IN_WHEEL = re.compile(r"^torch/(include/|lib/libtorch_cuda\.so|lib/libtorch_cuda_linalg\.so|"
                            r"lib/libtorch_nvshmem\.so|lib/libcaffe2_nvrtc\.so|lib/libc10_cuda\.so|share/)")
PLATFORMS = ("manylinux2014_aarch64", *(f"manylinux_2_{n}_aarch64" for n in range(17, 29)))
_DONE = ".xport-site-complete"


def constraints_file() -> Path | None:
    """xport's constraints.txt when running from a source checkout."""
    path = Path(__file__).resolve().parents[2] / "constraints.txt"
    return path if path.is_file() else None


def pinned_versions() -> dict[str, str]:
    """package -> version for :func:`pinned`, from constraints.txt or else from the host install."""
    pins: dict[str, str] = {}
    path = constraints_file()
    if path is not None:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)", line)
            if match:
                pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    for name in pinned():
        if name not in pins:
            try:
                pins[name] = version(name).split("+")[0]  # "2.13.0+cpu" -> "2.13.0"
            except PackageNotFoundError as exc:
                raise BackendUnavailableError(f"no version pin for {name}: add it to constraints.txt or install "
                                              f"xport with -c constraints.txt") from exc
    return {name: pins[name] for name in pinned()}


def site_dir(pins: dict[str, str]) -> Path:
    key = hashlib.sha256(repr(sorted(pins.items())).encode()).hexdigest()[:10]
    return cache_root() / f"site-py311-{key}"


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--only-binary=:all:", "--python-version", "3.11",
               "--implementation", "cp", "--abi", "cp311", *(a for p in PLATFORMS for a in ("--platform", p)),
               "--disable-pip-version-check", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "; ".join(done.stderr.strip().splitlines()[-4:])
        raise BackendUnavailableError(f"pip could not fetch the aarch64 wheels ({tail}); command: {' '.join(command)}")


_DISTRIBUTED_INITS = ("_c10d_init", "_rpc_init", "_dist_autograd_init", "_faulty_agent_init")


def _hide_distributed(site: Path) -> None:
    """Make the unpacked torch report torch.distributed as unavailable.

    Its c10d bindings construct NCCL (CUDA) option objects when initialised, which the stubs cannot provide;
    torch decides availability by ``hasattr(torch._C, "_c10d_init")`` (and friends), so those entry points are
    dropped right after torch binds ``_C``. ExecuTorch's runtime never uses torch.distributed.
    """
    init = site / "torch" / "__init__.py"
    text = init.read_text()
    anchor = "from torch import _C as _C\n"
    if text.count(anchor) != 1:
        raise BackendUnavailableError(f"{init}: unexpected torch version layout (no single '{anchor.strip()}')")
    patch = (f"for _xport_name in {_DISTRIBUTED_INITS!r}:  # added by xport.arm: no CUDA/NCCL under emulation\n"
             "    _C.__dict__.pop(_xport_name, None)\n")
    init.write_text(text.replace(anchor, anchor + patch))


def ensure_site(sysroot: Path) -> tuple[Path, dict[str, str]]:
    """The cached site folder holding the aarch64 runtimes (built first if missing), and the pinned versions.

    ``sysroot`` tells which shared libraries the guest already has (the rest of what torch names gets a stub).
    """
    pins = pinned_versions()
    site = site_dir(pins)
    if (site / _DONE).is_file():
        return site, pins
    with locked("site"):
        if (site / _DONE).is_file():
            return site, pins
        building = site.with_name(site.name + ".partial")
        shutil.rmtree(building, ignore_errors=True)
        wheels = cache_root() / "wheels"
        say("fetching aarch64 wheels: " + ", ".join(f"{n} {v}" for n, v in pins.items()))
        by_hand = unpacked()
        via_pip = [f"{n}=={v}" for n, v in pins.items() if n not in by_hand]
        _pip("install", "--target", str(building), "--no-compile", *via_pip, *import_deps())
        _pip("download", "--no-deps", "--dest", str(wheels), *(f"{n}=={pins[n]}" for n in by_hand))
        for name in by_hand:
            (wheel,) = [w for w in wheels.glob(f"{name}-{pins[name]}-*.whl") if "aarch64" in w.name]
            say(f"unpacking {wheel.name}")
            with zipfile.ZipFile(wheel) as archive:
                for member in archive.infolist():
                    if not _SKIP_IN_WHEEL.match(member.filename):
                        archive.extract(member, building)
                        if member.external_attr >> 16 & 0o111:  # keep shared objects executable
                            (building / member.filename).chmod(0o755)
            wheel.unlink()  # 430 MB for torch; the unpacked copy is what runs

        write_stubs(building, sysroot)
        _hide_distributed(building)
        (building / _DONE).write_text(" ".join(f"{n}=={v}" for n, v in pins.items()) + "\n")
        shutil.rmtree(site, ignore_errors=True)
        building.rename(site)
        say(f"aarch64 runtimes ready: {site}")
    return site, pins

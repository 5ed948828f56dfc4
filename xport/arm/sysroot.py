"""The aarch64 Debian sysroot (Python 3.11 and its libraries) that qemu-aarch64-static runs programs from.

Built once per cache folder with ``debootstrap --foreign --variant=minbase`` (which only downloads and is
safe without a chroot or binfmt), then every downloaded ``.deb`` is unpacked with ``dpkg-deb -x``: no
package scripts run, which a Python interpreter and shared libraries do not need. About 25 s and 250 MB.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xport.errors import BackendUnavailableError

from .cores import Core, cpuinfo_text
from .progress import say

SUITE = "bookworm"  # Debian 12: its python3.11 matches the cp311 wheels
PACKAGES = ("python3.11", "libstdc++6", "libgomp1", "libatomic1", "zlib1g")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_DONE = ".xport-sysroot-complete"
_PER_CORE = ("proc", "sys")  # what differs between core settings: /proc/cpuinfo and the MIDR registers in sysfs


def cache_root() -> Path:
    """Where the ARM stage keeps its sysroot and wheels: ``$XPORT_ARM_CACHE`` or ``~/.cache/xport/arm``."""
    return Path(os.environ.get("XPORT_ARM_CACHE") or Path.home() / ".cache" / "xport" / "arm")


@contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive lock inside the cache so two processes never build the same thing at once."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def debian_mirror() -> str:
    """The machine's own Debian mirror (from its apt sources), so the sysroot comes from where apt already works."""
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            texts.append(path.read_text())
        except OSError:
            continue
    for text in texts:
        for uri in re.findall(r"^\s*URIs:\s*(\S+)", text, re.M) + re.findall(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)",
                                                                                text, re.M):
            if re.search(r"/debian/?$", uri) and "security" not in uri:
                return uri.rstrip("/")
    return DEFAULT_MIRROR


def sysroot_dir() -> Path:
    """The sysroot's folder, named by what it holds (a changed package list builds a new one)."""
    key = hashlib.sha256(" ".join((SUITE, *PACKAGES)).encode()).hexdigest()[:8]
    return cache_root() / f"sysroot-{SUITE}-{key}"


def python_in(sysroot: Path) -> Path:
    return sysroot / "usr" / "bin" / "python3.11"


def ensure_sysroot(tools: dict[str, str]) -> Path:
    """The cached sysroot, built first if missing or incomplete (``tools`` from :func:`host.ensure_tools`)."""
    root = sysroot_dir()
    if (root / _DONE).is_file():
        return root
    with locked("sysroot"):
        if (root / _DONE).is_file():  # another process built it while we waited
            return root
        building = root.with_name(root.name + ".partial")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        mirror = debian_mirror()
        say(f"building the aarch64 {SUITE} sysroot from {mirror} (debootstrap --foreign, ~30 s)")
        args = [tools["debootstrap"], "--arch=arm64", "--foreign", "--variant=minbase",
                f"--include={','.join(PACKAGES)}", SUITE, str(building), mirror]
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "; ".join((done.stdout + done.stderr).strip().splitlines()[-4:])
            shutil.rmtree(building, ignore_errors=True)
            raise BackendUnavailableError(f"debootstrap could not fetch the aarch64 sysroot ({tail}); "
                                          f"command: {' '.join(args)}")
        debs = sorted((building / "var" / "cache" / "apt" / "archives").glob("*.deb"))
        say(f"unpacking {len(debs)} aarch64 packages with dpkg-deb -x")
        for deb in debs:
            subprocess.run([tools["dpkg-deb"], "-x", str(deb), str(building)], check=True, capture_output=True)
            deb.unlink()  # the archives are half the size and no longer needed
        if not python_in(building).is_file():
            raise BackendUnavailableError(f"the aarch64 sysroot has no python3.11 after unpacking ({building})")
        (building / _DONE).write_text(f"{SUITE} {' '.join(PACKAGES)} from {mirror}\n")
        shutil.rmtree(root, ignore_errors=True)
        building.rename(root)
        say(f"sysroot ready: {root}")
    return root


def core_root(sysroot: Path, core: Core) -> Path:
    """A per-core view of ``sysroot`` (qemu's ``-L``) whose /proc/cpuinfo names ``core``.

    qemu 7.2 passes the host's x86 /proc/cpuinfo through to the guest, and ONNX Runtime can crash parsing it;
    with ``-L`` qemu opens ``ROOT/proc/cpuinfo`` instead. Each core gets its own folder of symlinks to the
    sysroot's top-level entries plus its own ``proc/``, so core settings can run side by side.
    """
    view = sysroot.parent / f"cores-{sysroot.name}" / core.name
    text = cpuinfo_text(core)
    cpuinfo = view / "proc" / "cpuinfo"
    if cpuinfo.is_file() and cpuinfo.read_text() == text:
        return view
    for own in _PER_CORE:  # this core's own folders, never links into the shared sysroot
        if (view / own).is_symlink():
            (view / own).unlink()
        (view / own).mkdir(parents=True, exist_ok=True)
    for entry in sysroot.iterdir():
        link = view / entry.name
        if entry.name in (*_PER_CORE, _DONE) or link.is_symlink() or link.exists():
            continue
        link.symlink_to(entry)
    # cpuinfo libraries (XNNPACK's, oneDNN's) read the MIDR register from sysfs first; qemu passes the host's
    # sysfs through except where the -L root has the file, so each core's MIDR is written there too.
    midr = 0x41 << 24 | core.variant << 20 | 0xF << 16 | core.part << 4 | core.revision
    for cpu in range(len(re.findall(r"^processor", text, re.M))):
        ident = view / "sys" / "devices" / "system" / "cpu" / f"cpu{cpu}" / "regs" / "identification"
        ident.mkdir(parents=True, exist_ok=True)
        (ident / "midr_el1").write_text(f"0x{midr:016x}\n")
    tmp = cpuinfo.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(cpuinfo)
    return view

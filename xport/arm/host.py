"""Host tools the ARM stage needs, installed with apt-get when missing.

qemu-user-static runs aarch64 binaries on x86; debootstrap fetches the aarch64 Debian packages of the sysroot;
binutils-aarch64-linux-gnu links the stub CUDA libraries that let the aarch64 torch wheel (which ExecuTorch's
Python runtime links against) load without its GBs of CUDA libraries.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from xport.errors import BackendUnavailableError

from .progress import say

# tool on PATH (or in /usr/sbin, where debootstrap lives) -> Debian package that provides it
TOOLS: dict[str, str] = {
    "qemu-aarch64-static": "qemu-user-static",
    "debootstrap": "debootstrap",
    "aarch64-linux-gnu-ld": "binutils-aarch64-linux-gnu",
    "aarch64-linux-gnu-as": "binutils-aarch64-linux-gnu",
    "dpkg-deb": "dpkg",
    "readelf": "binutils",
}


def which(tool: str) -> str | None:
    """Path of ``tool``, also looking in the sbin folders a non-login PATH may lack."""
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin")


def missing_packages() -> list[str]:
    """Debian packages still to install for the ARM stage (empty when every tool is there)."""
    return sorted({pkg for tool, pkg in TOOLS.items() if which(tool) is None})


def ensure_tools() -> dict[str, str]:
    """Install missing tools with apt-get (as root) and return tool -> path.

    Raises BackendUnavailableError naming the packages and the command to run when that is not possible.
    """
    packages = missing_packages()
    if packages:
        command = f"apt-get update && apt-get install -y {' '.join(packages)}"
        if os.geteuid() != 0:
            raise BackendUnavailableError(
                f"the ARM parity stage needs the Debian packages {', '.join(packages)}; not running as root, so "
                f"xport cannot install them: run `sudo sh -c '{command}'`")
        if which("apt-get") is None:
            raise BackendUnavailableError(
                f"the ARM parity stage needs {', '.join(packages)} (qemu-aarch64-static, debootstrap, aarch64 "
                "binutils) and this system has no apt-get; install their equivalents with its package manager")
        say(f"installing {' '.join(packages)} with apt-get")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
            done = subprocess.run(args, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                raise BackendUnavailableError(
                    f"`{' '.join(args)}` failed ({'; '.join(tail)}); the ARM parity stage needs the packages "
                    f"{', '.join(packages)}: run `{command}`")
        still = missing_packages()
        if still:
            raise BackendUnavailableError(f"apt-get installed {', '.join(packages)} but {', '.join(still)} still "
                                          f"provide no tool; run `{command}`")
    return {tool: which(tool) or tool for tool in TOOLS}

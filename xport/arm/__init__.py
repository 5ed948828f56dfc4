"""ARM parity: run exported artifacts on real aarch64 runtime builds under qemu-aarch64-static, and compare.

    report = xport.arm.verify_arm(model, artifact)          # default: one little (A53) and one big (A76) core
    report = xport.arm.run_arm_parity([ArmCase(...), ...])   # many artifacts, one emulator process per core
    print(report.summary_table())

Setup (cached under ``$XPORT_ARM_CACHE`` or ``~/.cache/xport/arm``, about a minute cold): apt-get installs
qemu-user-static, debootstrap and aarch64 binutils when missing; debootstrap fetches a Debian 12 aarch64 sysroot
with Python 3.11; pip fetches the aarch64 wheels of the runtime versions pinned in constraints.txt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from .compare import ArmCase, ArmRow, arm_backends, default_inputs_for, run_arm_parity
from .cores import CORES, DEFAULT_CORES, Core, resolve_cores
from .report import ArmReport

__all__ = ["arm_backends", "ArmCase", "ArmRow", "ArmReport", "CORES", "DEFAULT_CORES", "Core", "resolve_cores",
           "run_arm_parity", "verify_arm"]


def verify_arm(model: torch.nn.Module | None, artifact, inputs: Iterable[Sequence[torch.Tensor]] | None = None,
               cores: str | Sequence[str] | None = None) -> ArmReport:
    """Run ``artifact`` on the emulated aarch64 cores and compare with its x86 outputs and with ``model``.

    ``inputs`` default to those :func:`xport.verify` uses. Does not raise on a parity failure: see
    ``report.passed`` (``xport.verify(..., arm=True)`` raises).
    """
    cases = [ArmCase(artifact.path.name, artifact, list(inputs) if inputs is not None else
                     default_inputs_for(artifact), model)]
    return run_arm_parity(cases, cores)

"""The emulated ARM core configurations: which qemu CPU model, and which core the fake /proc/cpuinfo names.

XNNPACK (inside LiteRT, ExecuTorch and ONNX Runtime's MLAS neighbours) picks its kernels from two things:
the ISA features the kernel reports (qemu's ``-cpu`` model sets them through HWCAP) and the microarchitecture
named by ``CPU part`` in ``/proc/cpuinfo`` (little in-order cores get differently tiled kernels). qemu 7.2 has no
``cortex-a55`` model, so "a55" runs with the A76's ISA (both are ARMv8.2-A with fp16 arithmetic and dot
product) and names the A55 in cpuinfo, which is exactly what XNNPACK sees on an A55.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from xport.errors import XportError


@dataclass(frozen=True)
class Core:
    """One emulated core setting."""

    name: str  # short id used in reports and on the command line
    qemu_cpu: str  # qemu-aarch64 ``-cpu`` model (sets the ISA features)
    part: int  # ARM "CPU part" number written into the fake /proc/cpuinfo (selects per-core kernels)
    kind: str  # "little" or "big"
    features: str  # the ``Features`` line of /proc/cpuinfo for this ISA
    variant: int = 0x1
    revision: int = 0

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind})"


_V80 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid"
_V82 = _V80 + " atomics fphp asimdhp asimdrdm lrcpc dcpop asimddp"

CORES: dict[str, Core] = {
    "a53": Core("a53", "cortex-a53", 0xD03, "little", _V80, variant=0x0, revision=4),
    "a55": Core("a55", "cortex-a76", 0xD05, "little", _V82, variant=0x1, revision=0),
    "a76": Core("a76", "cortex-a76", 0xD0B, "big", _V82, variant=0x4, revision=1),
}

# One little core (the in-order A53, whose ISA lacks fp16 arithmetic and dot product, so it exercises other
# kernels than the A76) and one big core.
DEFAULT_CORES: tuple[str, ...] = ("a53", "a76")


def resolve_cores(names: str | tuple[str, ...] | list[str] | None) -> tuple[Core, ...]:
    """Core settings by name (``"a53,a76"`` or a sequence); ``None`` means :data:`DEFAULT_CORES`."""
    if names is None:
        names = DEFAULT_CORES
    if isinstance(names, str):
        names = tuple(n.strip() for n in names.split(",") if n.strip())
    unknown = [n for n in names if n not in CORES]
    if unknown or not names:
        raise XportError(f"unknown ARM core setting(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(CORES)}")
    return tuple(CORES[n] for n in dict.fromkeys(names))


def cpuinfo_text(core: Core, processors: int | None = None) -> str:
    """An aarch64-format /proc/cpuinfo naming ``core`` for every processor.

    The processor count matches the host's (qemu runs guest threads on host threads, and runtimes size their
    pools from this file or from sysfs, which qemu passes through from the host).
    """
    count = processors or os.cpu_count() or 1
    block = (f"BogoMIPS\t: 50.00\nFeatures\t: {core.features}\nCPU implementer\t: 0x41\nCPU architecture: 8\n"
             f"CPU variant\t: {core.variant:#x}\nCPU part\t: {core.part:#05x}\nCPU revision\t: {core.revision}\n")
    return "".join(f"processor\t: {i}\n{block}\n" for i in range(count))

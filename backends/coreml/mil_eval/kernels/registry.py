"""The kernel table: MIL op type → the function that computes it (filled as the kernel modules are imported)."""

from __future__ import annotations

from collections.abc import Callable

from .args import Args

Kernel = Callable[[Args], object]
KERNELS: dict[str, Kernel] = {}


def kernel(*op_types: str) -> Callable[[Kernel], Kernel]:
    """Register a function as the kernel of ``op_types``."""

    def register(fn: Kernel) -> Kernel:
        for op_type in op_types:
            if op_type in KERNELS:
                raise ValueError(f"MIL op '{op_type}' already has a kernel")
            KERNELS[op_type] = fn
        return fn

    return register

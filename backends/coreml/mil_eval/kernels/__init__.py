"""Kernels of the MIL evaluator: one function per MIL op type, registered by name.

Kernels compute with ``torch`` on the CPU (the evaluator interprets the program; torch is its math library) on
float32 tensors; the interpreter rounds every fp16 output to fp16 afterwards. Each kernel implements the op as
the MIL op reference defines it (coremltools' ``mil/ops/defs``), including defaults of optional inputs.
"""

from __future__ import annotations

from typing import Callable

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


from . import compute, constexpr, elementwise, layout, quantization  # noqa: E402,F401  (registration on import)

__all__ = ["KERNELS", "Args", "kernel"]

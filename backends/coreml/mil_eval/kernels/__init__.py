"""Kernels of the MIL evaluator: one function per MIL op type, registered by name.

Kernels compute with ``torch`` on the CPU (the evaluator interprets the program; torch is its math library) on
float32 tensors; the interpreter rounds every fp16 output to fp16 afterwards. Each kernel implements the op as
the MIL op reference defines it (coremltools' ``mil/ops/defs``), including defaults of optional inputs.
"""

from __future__ import annotations

from . import compute, constexpr, elementwise, layout, quantization  # noqa: F401  (each registers its kernels)
from .args import Args
from .registry import KERNELS, Kernel, kernel

__all__ = ["KERNELS", "Args", "Kernel", "kernel"]

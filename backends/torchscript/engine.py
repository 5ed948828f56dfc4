"""The quantized engine int8 ``.ptl`` files are built and run with: qnnpack, the one PyTorch Mobile uses.

Packed conv/linear weights are re-packed for the engine selected when a module is loaded, and ``quantized::add``
/ ``mul`` pick their kernels by the engine selected when they run, so both load and run set it. The setting is
process-wide; it is restored afterwards so other code in the process sees its own choice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from xport.errors import BackendUnavailableError

ENGINE = "qnnpack"


@contextlib.contextmanager
def quantized_engine(name: str = ENGINE) -> Iterator[None]:
    """Run the block with ``torch.backends.quantized.engine = name`` (raises if this torch lacks it)."""
    if name not in torch.backends.quantized.supported_engines:
        raise BackendUnavailableError(f"int8 .ptl files need the {name} quantized engine, which this torch build "
                                      f"({torch.__version__}) lacks (it has: "
                                      f"{', '.join(torch.backends.quantized.supported_engines)})")
    previous = torch.backends.quantized.engine
    torch.backends.quantized.engine = name
    try:
        yield
    finally:
        torch.backends.quantized.engine = previous

"""ExecuTorch (``.pte``) with the XNNPACK delegate: PyTorch's on-device runtime, successor of the lite interpreter.

Emission uses ExecuTorch's own lowering (``to_edge_transform_and_lower`` with the XNNPACK partitioner) on the
planned ExportedProgram, after xport's passes have made every node delegable. Runtime: ExecuTorch's Python
runtime (``executorch.runtime``).
"""

from __future__ import annotations

import importlib.util

from .caps import CAPS

NAME = "executorch"
SUFFIXES = (".pte",)
OPTIONS = {
    "strict": (False, "fail the export if any node stays on ExecuTorch's portable (non-XNNPACK) kernels"),
    "decompose": ((), "spec ops to decompose even though they are native"),
}


def is_available() -> tuple[bool, str]:
    if importlib.util.find_spec("executorch") is None:
        return False, "missing executorch: pip install -c constraints.txt 'xport[executorch]'"
    from importlib.metadata import version

    return True, f"executorch {version('executorch')} (XNNPACK delegate)"


__all__ = ["NAME", "CAPS", "SUFFIXES", "OPTIONS", "is_available"]

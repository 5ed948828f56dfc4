"""TorchScript Lite (``.ptl``) for the PyTorch Mobile lite interpreter.

Emission: trace the planned graph, freeze it, save for the lite interpreter, and write the operator list
a selective mobile build needs. Runtime: torch's own lite interpreter.
"""

from __future__ import annotations

from .caps import CAPS

NAME = "torchscript"
SUFFIXES = (".ptl",)
OPTIONS = {
    "decompose": (("conv3d",), "spec ops to decompose even though they are native; conv3d is a slow "
                               "reference kernel in the mobile interpreter"),
}


def is_available() -> tuple[bool, str]:
    import torch

    if not hasattr(torch._C, "_load_for_lite_interpreter"):
        return False, f"this torch build ({torch.__version__}) has no lite interpreter"
    return True, f"torch {torch.__version__} lite interpreter"


__all__ = ["NAME", "CAPS", "SUFFIXES", "OPTIONS", "is_available"]

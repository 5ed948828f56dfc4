"""OpenVINO IR (``.xml`` + ``.bin``) for x86 edge boxes and laptops (CPU; GPU/NPU where present).

Emission uses OpenVINO's own converter on the planned ExportedProgram (``ov.convert_model`` reads
torch.export programs directly, so no ONNX round trip and no second capture), then fixes the input shapes
to the static example shapes, which OpenVINO compiles into faster kernels than dynamic ones.
Runtime: ``openvino.Core`` with the latency hint, the shared thread count and an explicit inference
precision (fp32 really is fp32 on CPUs with bf16 units).
"""

from __future__ import annotations

import importlib.util

from .caps import CAPS

NAME = "openvino"
SUFFIXES = (".xml",)
OPTIONS = {
    "device": ("CPU", "OpenVINO device the artifact runs on: CPU, GPU, NPU or AUTO (checked at load time)"),
    "decompose": ((), "spec ops to decompose even though they are native (none are needed here)"),
}


def is_available() -> tuple[bool, str]:
    if importlib.util.find_spec("openvino") is None:
        return False, "missing openvino: pip install -c constraints.txt 'xport[openvino]'"
    import openvino

    return True, f"openvino {openvino.__version__.split('-')[0]}"


__all__ = ["NAME", "CAPS", "SUFFIXES", "OPTIONS", "is_available"]

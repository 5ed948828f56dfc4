"""TFLite / LiteRT (``.tflite``): the flatbuffer Android apps load, written by xport itself.

No converter exists that xport can rely on here: the official path (litert-torch) pulls TensorFlow-sized
dependencies and has no answer for 3-D video ops. So xport writes the flatbuffer from the planned graph with
the schema's object API shipped in ``ai-edge-litert``, builtin ops only, channels-last inside. Runtime: the
LiteRT interpreter (``ai_edge_litert.interpreter``), which applies XNNPACK by default.
"""

from __future__ import annotations

import importlib.util

from .caps import CAPS

NAME = "tflite"
SUFFIXES = (".tflite",)
OPTIONS = {
    "input_layout": ("NCTHW", "axis order of the inputs the app feeds: as the PyTorch model (NCTHW/NCHW), or "
                              "channels-last (NTHWC/NHWC), which saves the one TRANSPOSE at the graph's input"),
    "decompose": ((), "spec ops to decompose even though they are native"),
}


def is_available() -> tuple[bool, str]:
    missing = [m for m in ("ai_edge_litert", "flatbuffers") if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"missing {', '.join(missing)}: pip install -c constraints.txt 'xport[tflite]'"
    from importlib.metadata import version

    return True, f"ai-edge-litert {version('ai-edge-litert')} (LiteRT interpreter, XNNPACK)"


__all__ = ["NAME", "CAPS", "SUFFIXES", "OPTIONS", "is_available"]

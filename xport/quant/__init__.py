"""int8 quantization shared by every backend: calibrate once, quantize each backend's plan with PT2E.

    calibration = xport.quant.calibrate(model, clips)            # ranges for every int8 backend, one data pass
    calibration.save("calib.json")
    xport.export(model, clip, "onnx", "out/", "int8", calibration="calib.json", max_drop=0.02)
    for e in xport.quant.block_report(model, clip, "onnx", calibration): print(e)

The names below are loaded on first use: importing torchao (PT2E) takes seconds, and a backend reading a QDQ
program (:mod:`.qdq`) or an fp32 export needs none of it.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "calibrate": "flow", "plan_key": "flow", "quantize_within_budget": "flow",
    "Calibration": "calibration",
    "quantize": "convert", "QuantInfo": "convert",
    "block_report": "report",
    "block_errors": "blocks", "BlockError": "blocks",
    "prepare_qat": "qat", "convert_qat": "qat",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'xport.quant' has no attribute '{name}'")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)

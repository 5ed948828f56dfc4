"""int8 quantization shared by every backend: calibrate once, quantize each backend's plan with PT2E.

    calibration = xport.quant.calibrate(model, clips)            # ranges for every int8 backend, one data pass
    calibration.save("calib.json")
    xport.export(model, clip, "onnx", "out/", "int8", calibration="calib.json", max_drop=0.02)
    for e in xport.quant.block_report(model, clip, "onnx", calibration): print(e)
"""

from .blocks import BlockError, block_errors
from .calibration import Calibration
from .convert import QuantInfo, quantize
from .flow import calibrate, plan_key, quantize_within_budget
from .qat import convert_qat, prepare_qat
from .report import block_report

__all__ = ["calibrate", "Calibration", "quantize", "quantize_within_budget", "QuantInfo", "block_report",
           "block_errors", "BlockError", "prepare_qat", "convert_qat", "plan_key"]

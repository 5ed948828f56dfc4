"""fp16 ONNX: weights and arithmetic in float16, inputs and outputs kept float32.

The conversion is ONNX Runtime's own (``onnxruntime.transformers.float16``, what ``optimum`` uses for
``--dtype fp16``): every float initializer and tensor becomes float16, with one Cast at each graph input and
output. Inputs and outputs stay float32 because that is what the app already feeds and reads (the manifest and
the Kotlin snippet are the fp32 ones), and because on CPU it costs nothing: measured with ORT 1.32 on this x86 CPU,
fp16 I/O ran no faster (see ``TOLERANCE`` in ``__init__`` for the numbers). ORT's CPU provider has fp16 kernels
only on ARM64 with fp16 arithmetic; elsewhere it inserts Casts around each op and computes in fp32, so fp16 halves
the file, and speeds up only phones whose cores have fp16 units.
"""

from __future__ import annotations

import onnx


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with float16 weights and arithmetic, float32 inputs and outputs."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    return convert_float_to_float16(model, keep_io_types=True)

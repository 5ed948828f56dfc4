"""fp16 ONNX: weights and arithmetic in float16, inputs and outputs kept float32.

The conversion is ONNX Runtime's own (``onnxruntime.transformers.float16``, what ``optimum`` uses for
``--dtype fp16``): every float initializer and tensor becomes float16, with one Cast at each graph input and
output. Inputs and outputs stay float32 because that is what the app already feeds and reads (the manifest and
the Kotlin snippet are the fp32 ones), and because fp16 I/O is no faster and less exact: measured on X3D-XS with
ORT 1.32 on an x86 CPU, 2 threads (2026-12-03), fp32 I/O 83 ms and max rel 3.4e-4, fp16 I/O 85 ms and 6.1e-4
(the input is rounded too), the fp32 file 56 ms. ORT's CPU provider has fp16 kernels only on ARM64 with fp16
arithmetic; elsewhere it inserts Casts around each op and computes in fp32, so fp16 halves the file and speeds up
only phones whose cores have fp16 units (slower than fp32 on x86: export fp32 for desktops).
"""

from __future__ import annotations

import onnx


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with float16 weights and arithmetic, float32 inputs and outputs."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    return convert_float_to_float16(model, keep_io_types=True)

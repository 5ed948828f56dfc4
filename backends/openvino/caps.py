"""What OpenVINO's CPU plugin runs natively: every spec op, including 3-D convolution (oneDNN kernels).

fp32, bf16 and fp16 (fp16 runs as fp16 only on CPUs with fp16 arithmetic; elsewhere OpenVINO runs it in
bf16 or fp32, and the artifact reports which). int8 comes from xport's shared quantization flow (xport.quant).
"""

from xport.caps import Capabilities, Int8Scheme, int8_kernel_ops, native
from xport.spec import SPEC

PRECISIONS = ("fp32", "bf16", "fp16", "int8")
# int8: QDQ becomes FakeQuantize, which the CPU plugin runs with int8 kernels; other ops stay float.
_INT8_OPS = int8_kernel_ops(also=("matmul",))  # MatMul with FakeQuantize on both operands runs int8

CAPS = Capabilities(
    backend="openvino",
    precisions=PRECISIONS,
    dynamic_batch=True,
    int8=Int8Scheme(bias="float", weights="qdq", placement="inputs"),
    # Every spec op but the two that only describe assignment (slice_scatter, copy), which xport's passes turn into
    # cat and expand for every backend alike.
    ops={op.name: native(*(PRECISIONS if op.name in _INT8_OPS else PRECISIONS[:3])) for op in SPEC
         if op.name not in ("slice_scatter", "copy", "attention")},
)

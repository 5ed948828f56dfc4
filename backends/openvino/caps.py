"""What OpenVINO's CPU plugin runs natively: every spec op, including 3-D convolution (oneDNN kernels).

fp32, bf16 and fp16 (fp16 runs as fp16 only on CPUs with fp16 arithmetic; elsewhere OpenVINO runs it in
bf16 or fp32, and the artifact reports which). int8 arrives with xport's shared quantization flow.
"""

from xport.caps import Capabilities, native
from xport.spec import SPEC

PRECISIONS = ("fp32", "bf16", "fp16")

CAPS = Capabilities(
    backend="openvino",
    precisions=PRECISIONS,
    dynamic_batch=True,
    ops={op.name: native(*PRECISIONS) for op in SPEC},
)

"""What ONNX Runtime's CPU execution provider runs natively (fp32; int8 arrives with quantization).

3-D convolution is native in ORT's MLAS (x86 and ARM64); mobile EPs (XNNPACK) take only 2-D, so
``decompose=("conv3d",)`` is offered for ARM targets that use them.
"""

from xport.caps import Capabilities, native

_FP32 = ("fp32",)

CAPS = Capabilities(
    backend="onnx",
    precisions=_FP32,
    dynamic_batch=True,
    ops={
        **{name: native(*_FP32) for name in (
            "conv", "batch_norm", "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish",
            "hardsigmoid", "tanh", "add", "sub", "mul", "div", "mean", "sum", "avg_pool", "max_pool",
            "softmax", "cat", "slice", "select", "reshape", "permute", "pad", "full", "cast", "identity",
        )},
        # Only global adaptive pooling has an ONNX form (GlobalAveragePool); xport turns it into a mean anyway.
        "adaptive_avg_pool": native(*_FP32, is_global=(True,)),
    },
)

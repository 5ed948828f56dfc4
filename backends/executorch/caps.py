"""What ExecuTorch's XNNPACK delegate takes (fp32; int8 arrives with quantization).

XNNPACK has no 3-D convolution or 3-D pooling, and the portable kernels reject 5-D conv and avg_pool3d, so
those are left out: the planner rewrites them to 2-D forms before lowering.
"""

from xport.caps import Capabilities, native

_FP32 = ("fp32",)

CAPS = Capabilities(
    backend="executorch",
    precisions=_FP32,
    ops={
        **{name: native(*_FP32) for name in (
            "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish", "hardsigmoid", "tanh",
            "add", "sub", "mul", "div", "mean", "sum", "softmax", "cat", "slice", "select", "reshape",
            "permute", "pad", "full", "identity",
        )},
        "conv": native(*_FP32, rank=(1, 2)),
        "avg_pool": native(*_FP32, rank=(2,)),
        "max_pool": native(*_FP32, rank=(2,)),
    },
)

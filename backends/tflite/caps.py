"""What xport's TFLite writer lowers to builtin LiteRT ops (fp32).

TFLite convolutions and pools are 2-D (CONV_3D exists but only with groups=1 and is slow), so 1-D and 3-D
forms are left out here and the planner rewrites them to 2-D. Batch norm after a conv is folded; a standalone
one becomes a per-channel multiply-add.
"""

from xport.caps import Capabilities, native

_FP32 = ("fp32",)

CAPS = Capabilities(
    backend="tflite",
    precisions=_FP32,
    ops={
        **{name: native(*_FP32) for name in (
            "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish", "hardsigmoid", "tanh",
            "add", "sub", "mul", "div", "mean", "sum", "softmax", "cat", "slice", "select", "reshape",
            "permute", "pad", "full", "identity",
        )},
        "conv": native(*_FP32, rank=(2,)),
        "avg_pool": native(*_FP32, rank=(2,)),
        "max_pool": native(*_FP32, rank=(2,)),
    },
)

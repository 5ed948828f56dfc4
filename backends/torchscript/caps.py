"""What the PyTorch lite interpreter runs natively (fp32; int8 arrives with the quantization issue).

conv3d is native but is a slow reference kernel on phones (no XNNPACK/NNPACK 3-D path), which is why
the backend lowers conv3d to conv2d by default (the ``decompose`` option in ``__init__``). On x86 the
lite interpreter's native conv3d is faster; ``decompose=()`` keeps it.
"""

from xport.caps import Capabilities, native

_FP32 = ("fp32",)

CAPS = Capabilities(
    backend="torchscript",
    precisions=_FP32,
    ops={name: native(*_FP32) for name in (
        "conv", "batch_norm", "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish",
        "hardsigmoid", "tanh", "add", "sub", "mul", "div", "mean", "sum", "avg_pool", "max_pool",
        "adaptive_avg_pool", "softmax", "cat", "slice", "select", "reshape", "permute", "pad", "full", "cast",
        "identity",
    )},
)

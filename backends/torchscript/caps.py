"""What the PyTorch lite interpreter runs natively (fp32; int8 arrives with the quantization issue).

conv3d is native but is a slow reference kernel on phones (no XNNPACK/NNPACK 3-D path), which is why
the backend prefers the conv2d-tap decomposition by default (see ``DEFAULT_DECOMPOSE``).
"""

from xport.caps import Capabilities, native

_FP32 = ("fp32",)

CAPS = Capabilities(
    backend="torchscript",
    precisions=_FP32,
    ops={name: native(*_FP32) for name in (
        "conv", "batch_norm", "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish",
        "hardsigmoid", "tanh", "add", "sub", "mul", "div", "mean", "sum", "avg_pool", "max_pool",
        "adaptive_avg_pool", "softmax", "cat", "slice", "select", "reshape", "permute", "pad", "full", "identity",
    )},
)

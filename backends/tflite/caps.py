"""What xport's TFLite writer lowers to builtin LiteRT ops (fp32, and fp16 weights).

TFLite convolutions and pools are 2-D (CONV_3D exists but only with groups=1 and is slow), so 1-D and 3-D
forms are left out here and the planner rewrites them to 2-D. Batch norm after a conv is folded; a standalone
one becomes a per-channel multiply-add. Tensors are stored channels-last, so the planner picks conv3d lowerings
that are free views in NTHWC (taps, not the banded grouped conv).
"""

from xport.caps import Capabilities, native

# fp16 is TFLite's float16 format: conv and linear weights stored in half precision (see convert.weight).
_PRECISIONS = ("fp32", "fp16")

CAPS = Capabilities(
    backend="tflite",
    precisions=_PRECISIONS,
    channels_last=True,
    ops={
        **{name: native(*_PRECISIONS) for name in (
            "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish", "hardsigmoid", "tanh",
            "add", "sub", "mul", "div", "mean", "sum", "softmax", "cat", "slice", "select", "reshape",
            "permute", "pad", "full", "identity",
        )},
        "cast": native(*_PRECISIONS, target=("float32",)),
        "conv": native(*_PRECISIONS, rank=(2,), transposed=(False,)),
        # ceil_mode windows run past the input: no SAME/VALID form.
        "avg_pool": native(*_PRECISIONS, rank=(2,), ceil_mode=(False,)),
        "max_pool": native(*_PRECISIONS, rank=(2,), ceil_mode=(False,)),
    },
)

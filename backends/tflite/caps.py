"""What xport's TFLite writer lowers to builtin LiteRT ops (fp32, fp16 weights, and int8).

TFLite convolutions and pools are 2-D (CONV_3D exists but only with groups=1 and is slow), so 1-D and 3-D
forms are left out here and the planner rewrites them to 2-D. Batch norm after a conv is folded; a standalone
one becomes a per-channel multiply-add. Tensors are stored channels-last, so the planner picks conv3d lowerings
that are free views in NTHWC (taps, not the banded grouped conv).

int8 is TFLite's own form (the writer turns xport.quant's QDQ program into int8 tensors, see .quantized): int8
activations per tensor, int8 filters per output channel with zero point 0, int32 biases the writer quantizes
itself (so the program keeps them float), int8 weights stored as constants.
"""

from xport.caps import Capabilities, Int8Scheme, int8_kernel_ops, native

# fp16 is TFLite's float16 format: conv and linear weights stored in half precision (see convert.weight).
_PRECISIONS = ("fp32", "fp16")
_INT8 = (*_PRECISIONS, "int8")  # ops with an int8 kernel in TFLite's builtin set (and XNNPACK's)

CAPS = Capabilities(
    backend="tflite",
    precisions=_INT8,
    channels_last=True,
    int8=Int8Scheme(bias="float"),
    ops={
        **{name: native(*_PRECISIONS) for name in (
            "sigmoid", "hardsigmoid", "tanh", "sub", "div", "mean",
            "sum", "softmax", "full",
            # Builtin ops of the transformer and TSM code (GELU, BROADCAST_TO, TILE, GATHER, SELECT_V2, ...); layer
            # norm, attention, roll and split are decomposed by xport. TFLite has no erf.
            "gelu", "expand", "repeat", "index_select", "exp", "sqrt", "rsqrt", "neg", "abs", "pow", "maximum",
            "minimum", "compare", "where", "amax",
        )},
        # The writer's int8 forms: conv and linear (per-channel weights), add/mul with their fused relu, and data
        # movement, cat included (.quantized); pools have no int8 form there.
        **{name: native(*_INT8) for name in int8_kernel_ops(without=("conv", "max_pool"), also=("cat",))},
        # int8 LOGISTIC + MUL and HARD_SWISH (.quantized.unary_int8): the swish of X3D and MobileNetV3-style blocks.
        "silu": native(*_INT8),
        "hardswish": native(*_INT8),
        "cast": native(*_PRECISIONS, target=("float32",)),
        # BATCH_MATMUL over any leading dims, operands of the output's rank (matmul_to_bmm reshapes the others).
        "matmul": native(*_PRECISIONS, same_rank=(True,)),
        "conv": native(*_INT8, rank=(2,), transposed=(False,)),
        # ceil_mode windows run past the input: no SAME/VALID form.
        "avg_pool": native(*_PRECISIONS, rank=(2,), ceil_mode=(False,)),
        "max_pool": native(*_PRECISIONS, rank=(2,), ceil_mode=(False,)),
    },
)

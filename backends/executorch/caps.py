"""What ExecuTorch runs natively (fp32; int8 arrives with quantization), and which forms XNNPACK delegates.

"Native" here means ExecuTorch runs the op as it is: in the XNNPACK delegate where XNNPACK's partitioner takes
it, else on ExecuTorch's portable kernels (correct, but single-threaded, and every boundary with XNNPACK costs a
layout conversion). Every export writes ``<name>.delegation.json`` saying which nodes went where, and
``strict=True`` fails on any portable node. Measured with executorch 1.5.1 on every case of
``parity_tests/op_models.py`` (all pass parity):

- XNNPACK has no 3-D convolution or pooling, and the portable kernels reject 5-D conv and avg_pool3d, so those
  are left out: the planner rewrites them to 2-D forms (conv3d → conv2d, pool3d → pool2d), which XNNPACK takes.
  conv1d is delegated as it is (XNNPACK views it as conv2d itself); grouped and depthwise conv2d are delegated.
- Delegated whole: linear, matmul/bmm, relu, clamp/relu6, sigmoid, silu, hardswish, hardsigmoid, tanh, add, sub,
  mul, div, cat (2 to 5 inputs), permute, pad (constant, non-negative), softmax over the last dim, max_pool2d
  (stride ≤ kernel; ceil_mode with static shapes), view-style reshapes; batch norm is folded or becomes a
  multiply-add.
- Rewritten by the planner into delegable forms: every ``mean`` becomes a mean over dims (2, 3) of a 4-D view
  (the only mean XNNPACK takes), and ``full`` (which ExecuTorch does not constant-fold) becomes a constant.
- Portable-kernel forms (the ``fallbacks`` of each entry, checked per node from its attributes, which ``xport
  check`` reports as "fallback"): ``sum``, ``select`` always; ``slice`` with a step other than 1; ``squeeze``, and
  ``unsqueeze`` of a non-trailing dim; ``avg_pool`` with padding counted in the average or ``ceil_mode``;
  ``max_pool`` with a stride larger than its kernel; ``cast`` of integer inputs.
"""

from xport.caps import Capabilities, Int8Scheme, fallback, int8_kernel_ops, native

_FP32 = ("fp32",)
_INT8 = ("fp32", "int8")  # XNNPACK's quantized kernels (QDQ from xport.quant)
_PLAIN = ("sigmoid", "silu", "hardswish", "hardsigmoid", "tanh", "sub", "div", "softmax", "cat",
          "exp", "sqrt", "rsqrt", "neg", "abs", "maximum", "minimum")
# Run by ExecuTorch's portable kernels: XNNPACK has no form of them (layer norm, attention, roll and split are
# decomposed by xport into ops it has).
_PORTABLE = ("erf", "compare", "where", "amax", "expand", "repeat", "index_select")
_XNN_RANKS = tuple(range(7))
_INTEGERS = ("uint8", "int8", "int16", "int32", "int64")

CAPS = Capabilities(
    backend="executorch",
    precisions=_INT8,
    int8=Int8Scheme(bias="float"),
    ops={
        **{name: native(*_FP32) for name in _PLAIN},
        **{name: native(*_INT8) for name in int8_kernel_ops(without=("conv", "slice", "reshape", "select",
                                                                     "max_pool"))},
        # XNNPACK's mean is a 4-D spatial mean; the planner views every other mean that way (mean_to_spatial_mean).
        "mean": native(*_FP32, rank=(4,), dims=((2, 3),), keepdim=(True,)),
        "sum": native(*_FP32, fallbacks=[fallback("portable kernel: XNNPACK has no sum")]),
        # ExecuTorch's own decomposition of a 4-D matmul expands on a portable kernel; matmul_to_bmm's 3-D form
        # does not.
        "matmul": native(*_FP32, rank=(2, 3), same_rank=(True,)),
        "pow": native(*_FP32, fallbacks=[fallback("portable kernel: XNNPACK raises to integer powers only",
                                                  integer_exponent=(False,))]),
        # XNNPACK computes every GELU as the erf form; the tanh form is decomposed (gelu_to_arithmetic).
        "gelu": native(*_FP32, approximate=("none",)),
        **{name: native(*_FP32, fallbacks=[fallback(f"portable kernel: XNNPACK has no {name}")]) for name in _PORTABLE},
        "select": native(*_FP32, fallbacks=[fallback("portable kernel: XNNPACK has no select")]),
        "cast": native(*_FP32, fallbacks=[fallback("portable kernel: XNNPACK does not convert integer inputs",
                                                   source=_INTEGERS)]),
        "slice": native(*_INT8, fallbacks=[fallback("portable kernel: XNNPACK slices with step 1 only",
                                                    strided=(True,))]),
        "reshape": native(*_INT8, fallbacks=[
            fallback("portable kernel: XNNPACK has no squeeze", kind=("squeeze",)),
            fallback("portable kernel: XNNPACK unsqueezes the trailing dim only", kind=("unsqueeze",),
                     trailing=(False,))]),
        "conv": native(*_INT8, rank=(1, 2)),
        # XNNPACK tensors have at most six dims; a larger permute is merged down (permute_merge_axes).
        "permute": native(*_INT8, rank=_XNN_RANKS),
        "avg_pool": native(*_FP32, rank=(2,), fallbacks=[
            fallback("portable kernel: XNNPACK has no ceil_mode average pool", ceil_mode=(True,)),
            fallback("portable kernel: XNNPACK does not count padding in the average", counts_padding=(True,))]),
        "max_pool": native(*_FP32, rank=(2,), fallbacks=[
            fallback("portable kernel: XNNPACK pools with stride <= kernel only", stride_exceeds_kernel=(True,))]),
    },
)

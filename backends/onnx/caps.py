"""What ONNX Runtime's CPU execution provider runs natively: fp32, fp16 (see .fp16), and int8 as QDQ (xport.quant).

3-D convolution is native in ORT's MLAS (x86 and ARM64); mobile EPs (XNNPACK) take only 2-D, so
``decompose=("conv3d",)`` is offered for ARM targets that use them.
"""

from xport.caps import Capabilities, int8_kernel_ops, native

_FLOAT = ("fp32", "fp16")  # every op: the fp16 file casts around the ops ORT has no fp16 kernel for
_INT8 = (*_FLOAT, "int8")  # QDQ that ORT fuses into QLinearConv / QGemm / QLinearAdd / QLinearMul

CAPS = Capabilities(
    backend="onnx",
    precisions=_INT8,
    dynamic_batch=True,
    ops={
        **{name: native(*_FLOAT) for name in (
            "batch_norm", "sigmoid", "hardswish", "hardsigmoid", "tanh", "sub", "div", "mean",
            "sum", "avg_pool", "softmax", "cat", "full", "cast",
            # torch.onnx writes these as ONNX ops (LayerNormalization, Erf-form Gelu, the attention as MatMul and
            # Softmax, Expand, Tile, Split, Gather, ...).
            "layer_norm", "gelu", "attention", "expand", "repeat", "roll", "split", "index_select", "exp", "sqrt",
            "rsqrt", "erf", "neg", "abs", "pow", "maximum", "minimum", "compare", "where", "amax",
        )},
        **{name: native(*_INT8) for name in int8_kernel_ops(also=("matmul",))},  # QLinearMatMul
        # int8 as QLinearSigmoid and QLinearMul: the emitter quantizes the sigmoid's output (.int8).
        "silu": native(*_INT8),
        # Only global adaptive pooling has an ONNX form (GlobalAveragePool); xport turns it into a mean anyway.
        "adaptive_avg_pool": native(*_FLOAT, is_global=(True,)),
    },
)

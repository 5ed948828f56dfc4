"""What the PyTorch lite interpreter runs natively: fp32, and int8 on PyTorch's quantized (qnnpack) kernels.

conv3d is native but is a slow reference kernel on phones (no XNNPACK/NNPACK 3-D path), which is why
the backend lowers conv3d to conv2d by default (the ``decompose`` option in ``__init__``). On x86 the
lite interpreter's native conv3d is faster; ``decompose=()`` keeps it.

int8 (``quantized.py`` lowers xport.quant's QDQ graph): conv1d/conv2d and linear [+ relu/relu6] become
``quantized::conv2d[_relu]`` / ``linear[_relu]`` with prepacked per-channel int8 weights and float biases (the
kernels quantize them), add/mul [+ relu] become ``quantized::add`` / ``mul``, and layout ops, constant padding
and 2-D max pooling run on the quantized tensors as they are. qnnpack has no serialisable conv3d (no
``conv3d_unpack``), so int8 needs the default conv3d → conv2d decomposition; ``decompose=()`` raises at int8.
"""

from xport.caps import Capabilities, Int8Scheme, int8_kernel_ops, native

_FP32 = ("fp32",)
_INT8 = ("fp32", "int8")

CAPS = Capabilities(
    backend="torchscript",
    precisions=_INT8,
    int8=Int8Scheme(bias="float"),
    ops={
        **{name: native(*_FP32) for name in (
            "batch_norm", "matmul", "sigmoid", "silu", "hardswish", "hardsigmoid", "tanh", "sub", "div", "mean",
            "sum", "avg_pool", "adaptive_avg_pool", "softmax", "cat", "full", "cast",
            # The lite interpreter runs these ATen ops as they are.
            "layer_norm", "gelu", "attention", "expand", "repeat", "roll", "split", "index_select", "exp", "sqrt",
            "rsqrt", "erf", "neg", "abs", "pow", "maximum", "minimum", "compare", "where", "amax",
        )},
        **{name: native(*_INT8) for name in int8_kernel_ops()},
    },
)

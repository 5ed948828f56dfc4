"""What Core ML runs natively, per deployment target (coremltools' torch frontend converts every op listed).

Measured with coremltools 9.0 on every case of ``parity_tests/op_models.py``: each converts to ML Program ops
(``conv``, ``linear``, ``batch_norm``, ``clip``, ``sigmoid_hard``, ``reduce_mean``, ``slice_by_index``, ...)
and passes parity in the MIL evaluator. Left out: ``adaptive_avg_pool`` (coremltools has no converter for
``adaptive_avg_pool3d``; the planner rewrites global pools to ``mean``) and ``full`` as an op (coremltools
folds it into a constant, so it is listed: nothing is left to run).

3-D convolution depends on the target (:func:`capabilities`): the ML Program ``conv`` takes 3-D kernels on every
target, but before iOS 17 Core ML runs them on the CPU only, so at older targets conv3d is not native and the
planner turns it into conv2d taps; from iOS 17 / macOS 14 it stays one 3-D conv.

int8 (quantized activations, :mod:`.int8`) needs the iOS 17 ``quantize``/``dequantize`` ops: "int8" is in the
backend's precisions at every target (so an older target gets an error naming the fix, not "unsupported"), but
only from iOS 17 do ops list it, and only those whose QDQ form coremltools converts and the evaluator checks:
conv/linear (+relu/relu6), add/mul, and the layout ops that share their input's quantization.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xport.caps import Capabilities, Int8Scheme, int8_kernel_ops, native
from xport.errors import XportError, pass_as

from .precisions import PRECISIONS

# Deployment target name (coremltools' ``ct.target`` names) → Core ML generation, as an iOS major version.
TARGETS: dict[str, int] = {
    "iOS15": 15, "iOS16": 16, "iOS17": 17, "iOS18": 18,
    "macOS12": 15, "macOS13": 16, "macOS14": 17, "macOS15": 18,
}
NATIVE_CONV3D_FROM = 17  # iOS 17 / macOS 14
INT8_FROM = 17  # MIL quantize/dequantize (activation quantization) arrive with iOS 17 / macOS 14

_ALL = tuple(PRECISIONS)
_FLOAT = tuple(p for p in _ALL if p != "int8")
# Ops with an int8 form in the QDQ program (xport.quant.quantizer): weighted ops, fused activations, add/mul, and
# layout ops sharing their input's quantization.
_INT8_OPS = int8_kernel_ops()
_PLAIN = ("batch_norm", "linear", "matmul", "relu", "clamp", "sigmoid", "silu", "hardswish", "hardsigmoid", "tanh",
          "add", "sub", "mul", "div", "mean", "sum", "avg_pool", "max_pool", "softmax", "cat", "slice", "select",
          "reshape", "permute", "pad", "full", "identity",
          # MIL's layer_norm, tile, split, gather and element-wise ops; roll
          # and attention are decomposed by xport (no roll op; one attention form for every target).
          "layer_norm", "expand", "repeat", "split", "index_select", "exp", "sqrt", "rsqrt", "erf", "neg",
          "abs", "pow", "maximum", "minimum", "compare", "where", "amax")


def require_target(target: str) -> None:
    """Refuse int8 below iOS 17 / macOS 14, where Core ML has no activation quantization."""
    if TARGETS[target] < INT8_FROM:
        raise XportError(f"precision 'int8' (int8 activations) needs Core ML's quantize/dequantize ops, which arrive "
                         f"with iOS17/macOS14; minimum_deployment_target is {target}. Fix: export with "
                         + pass_as("minimum_deployment_target='iOS17' (or macOS14, or later)",
                                   "--option minimum_deployment_target=iOS17")
                         + ", or use precision 'int8w' (int8 weights only) for older targets")


def caps_for(generation: int) -> Capabilities:
    """Capabilities at a Core ML generation (``TARGETS`` value)."""
    conv_ranks = (1, 2, 3) if generation >= NATIVE_CONV3D_FROM else (1, 2)

    def at(name: str) -> tuple[str, ...]:
        return _ALL if name in _INT8_OPS and generation >= INT8_FROM else _FLOAT

    return Capabilities(
        backend="coreml",
        precisions=_ALL,
        ops={
            **{name: native(*at(name)) for name in _PLAIN},
            # Core ML multi-arrays hold no uint8: integer inputs must be int32 (fused models take float frames).
            "cast": native(*_FLOAT, source=("float32", "float16", "int32")),
            # coremltools' torch.export path writes every GELU as mode EXACT, dropping approximate="tanh"; the
            # tanh form is decomposed (gelu_to_arithmetic).
            "gelu": native(*at("gelu"), approximate=("none",)),
            "conv": native(*at("conv"), rank=conv_ranks, transposed=(False,),
                           note="3-D kernels native from iOS17/macOS14 (minimum_deployment_target)"),
        },
        # coremltools turns a constant int8 tensor behind dequantize into a constexpr weight, but has no int32
        # form for a bias: biases stay float (Core ML's conv adds them in the compute precision).
        int8=Int8Scheme(bias="float"),
    )


def capabilities(settings: Mapping[str, Any]) -> Capabilities:
    """Capabilities at the deployment target of the resolved export ``settings``."""
    target = settings["minimum_deployment_target"]
    if target not in TARGETS:
        raise XportError(f"minimum_deployment_target='{target}' is not one of {', '.join(TARGETS)}")
    return caps_for(TARGETS[target])


# At the default target (what `xport check` and `xport backends` show).
CAPS = caps_for(TARGETS["iOS16"])

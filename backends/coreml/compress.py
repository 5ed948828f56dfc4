"""Weight compression of an ML Program with ``coremltools.optimize.coreml`` (works without Core ML itself).

int8 is linear symmetric per output channel; palettization is k-means per tensor. Weights with fewer than
``weight_threshold`` elements stay as they are (biases, norms, tiny kernels: compressing them saves nothing and
costs accuracy). Targets before iOS 18 get the iOS 16 ``constexpr_affine_dequantize`` / ``constexpr_lut_to_dense``
ops; iOS 18 gets ``constexpr_blockwise_shift_scale`` and its own ``constexpr_lut_to_dense``.
"""

from __future__ import annotations

from xport.errors import XportError

from . import BACKEND
from .caps import TARGETS
from .precisions import Precision

with BACKEND.quiet():
    import coremltools.optimize.coreml as cto

_FIRST_TARGET = 16  # the constexpr ops arrive with iOS 16 / macOS 13


def compress(mlmodel, precision: Precision, target: str, weight_threshold: int):
    """``mlmodel`` with its weights compressed as ``precision`` says (unchanged for plain precisions)."""
    if not precision.compressed:
        return mlmodel
    if TARGETS[target] < _FIRST_TARGET:
        raise XportError(f"compressed weights need minimum_deployment_target iOS16/macOS13 or later, not {target}")
    with BACKEND.quiet():
        if precision.compression == "int8":
            op_config = cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8", granularity="per_channel",
                                                    weight_threshold=weight_threshold)
            return cto.linear_quantize_weights(mlmodel, cto.OptimizationConfig(global_config=op_config))
        op_config = cto.OpPalettizerConfig(mode="kmeans", nbits=precision.nbits, granularity="per_tensor",
                                           weight_threshold=weight_threshold)
        return cto.palettize_weights(mlmodel, cto.OptimizationConfig(global_config=op_config))

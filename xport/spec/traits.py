"""What a spec op *is*, as named traits: the one place the quantizer, the fusion decisions and the capability
tables learn which ops are element-wise, move data only, share their input's quantization, or fuse an activation.
"""

from __future__ import annotations

ELEMENTWISE = "elementwise"  # one output value per input value (with broadcasting): relu, add, cast, ...
ACTIVATION = "activation"  # an element-wise nonlinearity: relu, sigmoid, hardswish, ...
FUSABLE_ACTIVATION = "fusable_activation"  # an activation kernels fold into the op before (relu, relu6 clamps)
TAKES_ACTIVATION = "takes_activation"  # a producer whose kernel applies a fused activation: conv, linear, add, mul
TWO_OPERANDS = "two_operands"  # combines two activations: at int8, both operands and the result (add, mul, matmul)
WEIGHTED = "weighted"  # input × constant weight (+ bias): per-channel int8 weights, int32 bias
LAYOUT = "layout"  # moves or copies values without changing them: reshape, permute, slice, cat, pad, ...
SHARES_QUANTIZATION = "shares_input_quantization"  # int8 out with its input's scale and zero point (no requantize)
JOINS_QUANTIZATION = "joins_quantization"  # every input and the output share one scale and zero point (cat)
REDUCTION = "reduction"  # reduces over axes or windows: mean, sum, pools
MAKES_CONSTANT = "makes_constant"  # produces a constant tensor (full)
CONVERTS_TYPE = "converts_type"  # changes the element type only (cast)
# Numerically sensitive at int8 (a normalisation or a smooth nonlinearity over a wide range): stays float at int8,
# and so do the ops a backend's decomposition of it is made of (layer norm's x·x, GELU's x³).
FLOAT_AT_INT8 = "float_at_int8"

ALL = (ELEMENTWISE, ACTIVATION, FUSABLE_ACTIVATION, TAKES_ACTIVATION, TWO_OPERANDS, WEIGHTED, LAYOUT,
       SHARES_QUANTIZATION, JOINS_QUANTIZATION, REDUCTION, MAKES_CONSTANT, CONVERTS_TYPE, FLOAT_AT_INT8)

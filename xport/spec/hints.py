"""Fix-it hints for ATen ops that are outside the spec (shown by check and in UnsupportedOpError)."""

from __future__ import annotations

_HINTS = {
    "aten.grid_sampler_2d.default": "grid_sample has no efficient mobile kernel; warp with a precomputed "
    "gather outside the model, or drop the spatial transformer",
    "aten.grid_sampler_3d.default": "3-D grid_sample has no mobile kernel; move it out of the model",
    "aten.upsample_trilinear3d.default": "trilinear upsampling is not in the spec; upsample per frame "
    "(2-D, nearest or bilinear) or avoid it",
    "aten.lstm.input": "recurrent layers are not in the spec; use temporal convolutions "
    "(efficient_ops temporal conv blocks) instead",
    "aten.native_layer_norm.default": "layer norm is not in the spec yet; use batch norm (foldable into conv)",
    "aten.gelu.default": "gelu is not in the spec; use efficient_ops activation 'hswish' or 'swish'",
}

GENERIC_HINT = ("rewrite this part with spec ops (`xport spec` lists them) or replace the module with an "
                "efficient_ops block")


def hint_for(target: str) -> str:
    """The fix to suggest for an ATen op outside the spec."""
    return _HINTS.get(target, GENERIC_HINT)

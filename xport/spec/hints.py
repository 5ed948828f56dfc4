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
}

GENERIC_HINT = ("rewrite this part with spec ops (`xport spec` lists them) or replace the module with an "
                "efficient_ops block")


DATA_DEPENDENT_HINT = ("keep shapes static: multiply by a mask (x * (x > 0)) instead of nonzero, masked_select or "
                       "boolean indexing, and reduce over the full tensor")


def hint_for(target: str) -> str:
    """The fix to suggest for an ATen op outside the spec."""
    return _HINTS.get(target, GENERIC_HINT)

"""xport precisions of the Core ML backend: the arithmetic of the program and how its weights are stored.

``fp16`` is coremltools' default; here it is only ever chosen by the ``precision`` argument (``fp32`` is
xport's default) and is recorded in the manifest. Compressed precisions store weights in fewer bits via
``coremltools.optimize.coreml``; Core ML expands them at load time (``constexpr_*`` ops) and computes in fp16
unless ``compute_precision="fp32"``. ``int8`` quantizes activations too (:mod:`.int8`): its weights arrive as int8
constants from xport's quantization, so it is not a compression step here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Precision:
    """One precision: default arithmetic, and the weight compression (``None``: plain fp weights)."""

    compute: str  # "fp32" | "fp16"
    compression: str | None = None  # "int8" | "palettize"
    nbits: int = 0
    doc: str = ""
    # int8 activations: the program comes quantized (QDQ from xport.quant) and becomes quantize/dequantize ops.
    quantized_activations: bool = False

    @property
    def compressed(self) -> bool:
        return self.compression is not None


PRECISIONS: dict[str, Precision] = {
    "fp32": Precision("fp32", doc="fp32 weights and arithmetic"),
    "fp16": Precision("fp16", doc="fp16 weights and arithmetic (Core ML's usual form on GPU and Neural Engine)"),
    "int8w": Precision("fp16", "int8", 8, "int8 weights, linear symmetric per output channel"),
    "int8": Precision("fp16", doc="int8 activations (per tensor) and int8 weights (per output channel), from "
                                  "xport's calibrated quantization; float islands in fp16", quantized_activations=True),
    "pal8": Precision("fp16", "palettize", 8, "weights as 8-bit indices into a 256-entry k-means table per tensor"),
    "pal6": Precision("fp16", "palettize", 6, "weights as 6-bit indices into a 64-entry k-means table per tensor"),
    "pal4": Precision("fp16", "palettize", 4, "weights as 4-bit indices into a 16-entry k-means table per tensor"),
}

"""What a runtime's profiler says about one node, and what ``xport profile`` says about one block."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class NodeTime:
    """One node as the runtime ran it: median milliseconds per inference over the profiled runs.

    ``kernel`` is the implementation as the runtime names it (OpenVINO ``brgconv_avx512_1x1_I8``, ONNX Runtime
    ``FusedConv``, XNNPACK ``Convolution (NHWC, QS8) IGEMM``); ``precision`` what actually ran (``fp32``, ``int8``,
    ``bf16``; ``""`` where the runtime does not say); ``delegated`` True for a delegate's kernel (XNNPACK),
    False for a fallback kernel (ExecuTorch's portable ops), None where the runtime has no such split.
    ``module`` is the ``nn.Module`` path the node came from; None when it cannot be told (unattributed).
    """

    node: str
    op: str
    kernel: str
    precision: str
    ms: float
    delegated: bool | None = None
    module: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BlockTime:
    """The nodes of one block (a module path cut at a depth), summed."""

    block: str
    ms: float
    share: float  # of the profiled total
    nodes: int
    kernels: tuple[str, ...]  # the runtime's kernels, most time first
    precisions: tuple[str, ...]
    delegated: str  # "all", "none", "partly", or "" where the runtime has no delegation

    def to_dict(self) -> dict:
        return asdict(self)


UNATTRIBUTED = "(unattributed)"


def block_of(module: str | None, depth: int) -> str:
    """``module`` cut to its first ``depth`` dotted parts; the top-level forward is ``"<top>"``."""
    if module is None:
        return UNATTRIBUTED
    return ".".join(module.split(".")[:depth]) if module else "<top>"


# Runtime ops that only convert between float and int8: ONNX Runtime's QuantizeLinear/DequantizeLinear, OpenVINO's
# FakeQuantize, XNNPACK's "Convert (NC, F32, QS8)", the lite interpreter's quantize_per_tensor/dequantize.
_CONVERSIONS = ("quantize", "fakequantize", "convert")


def is_conversion(op: str) -> bool:
    """Whether a runtime op (as its profiler names it) converts between float and int8."""
    name = op.split("::")[-1].split(" (")[0].strip().lower()
    return name.startswith(_CONVERSIONS) or name.endswith(("quantizelinear", "dequantize"))

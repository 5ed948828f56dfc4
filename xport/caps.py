"""Backend capabilities over the op spec, as data.

A backend declares, per spec op, the precisions it runs natively and the attribute values it accepts
(``when={"rank": (1, 2)}`` means "only conv1d/conv2d"). Everything before export — the pass pipeline,
``xport check``, the final lowering check — reads this one table, so what ``check`` promises is what
``export`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

PRECISIONS = ("fp32", "fp16", "bf16", "int8")


@dataclass(frozen=True)
class Support:
    """Native support of one spec op: at which precisions, under which attribute values."""

    precisions: frozenset[str] = frozenset({"fp32"})
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    note: str = ""

    def rejects(self, attrs: Any, precision: str) -> str | None:
        """Why this support does not cover ``attrs`` at ``precision``, or ``None`` if it does."""
        if precision not in self.precisions:
            return f"not available at {precision} (only {', '.join(sorted(self.precisions))})"
        for key, allowed in self.when.items():
            value = getattr(attrs, key, None)
            if value not in allowed:
                return f"{key}={value!r} is not native (native: {key} in {allowed})"
        return None


def native(*precisions: str, note: str = "", **when: tuple[Any, ...]) -> Support:
    """Shorthand for a :class:`Support`: ``native("fp32", "int8", rank=(1, 2))``."""
    return Support(frozenset(precisions or ("fp32",)), dict(when), note)


@dataclass(frozen=True)
class Capabilities:
    """What a backend runs natively: spec op name → :class:`Support`."""

    backend: str
    precisions: tuple[str, ...]
    ops: Mapping[str, Support]
    # Whether artifacts can take any batch size (export(..., dynamic_batch=True)).
    dynamic_batch: bool = False
    # Whether the backend stores activations channels-last (NHWC/NTHWC). Lowerings that are free views in
    # PyTorch's layout but copies in channels-last (and the reverse) are chosen by it.
    channels_last: bool = False
    # The QDQ form the backend's int8 lowering recognises (xport.quant): biases as int32 (scale = input scale ×
    # weight scale; ORT needs it to fuse QLinearConv) or left float (XNNPACK, OpenVINO quantize them themselves),
    # and weights stored as int8 constants (folded) or as float behind quantize/dequantize (OpenVINO's frontend).
    int8_bias: str = "int32"
    int8_folded_weights: bool = True

    def rejects(self, op: str, attrs: Any, precision: str) -> str | None:
        """Why the backend cannot run ``op`` with ``attrs`` natively, or ``None`` if it can."""
        support = self.ops.get(op)
        if support is None:
            return f"'{op}' has no native lowering on {self.backend}"
        return support.rejects(attrs, precision)

    def runs(self, op: str, attrs: Any, precision: str) -> bool:
        return self.rejects(op, attrs, precision) is None

"""Backend capabilities over the op spec, as data.

A backend declares, per spec op, the precisions it runs natively and the attribute values it accepts
(``when={"rank": (1, 2)}`` means "only conv1d/conv2d"). Everything before export — the pass pipeline,
``xport check``, the final lowering check — reads this one table, so what ``check`` promises is what
``export`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .spec import SPEC
from .spec.traits import FUSABLE_ACTIVATION, SHARES_QUANTIZATION, TAKES_ACTIVATION

PRECISIONS = ("fp32", "fp16", "bf16", "int8")
NATIVE, FALLBACK, UNSUPPORTED = "native", "fallback", "unsupported"


@dataclass(frozen=True)
class Fallback:
    """Where a runtime runs an op, but on a slow generic kernel (ExecuTorch's portable ops, outside XNNPACK).

    It applies when every attribute in ``when`` has one of the listed values (an empty ``when``: always);
    ``reason`` says why, as ``xport check`` shows it.
    """

    reason: str
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def applies(self, attrs: Any) -> bool:
        return all(getattr(attrs, key, None) in allowed for key, allowed in self.when.items())


def fallback(reason: str, **when: tuple[Any, ...]) -> Fallback:
    """Shorthand: ``fallback("portable kernel: XNNPACK takes step 1 only", step=...)``."""
    return Fallback(reason, dict(when))


@dataclass(frozen=True)
class Support:
    """Native support of one spec op: at which precisions, under which attribute values."""

    precisions: frozenset[str] = frozenset({"fp32"})
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    note: str = ""
    fallbacks: tuple[Fallback, ...] = ()

    def rejects(self, attrs: Any, precision: str) -> str | None:
        """Why this support does not cover ``attrs`` at ``precision``, or ``None`` if it does."""
        if precision not in self.precisions:
            return f"not available at {precision} (only {', '.join(sorted(self.precisions))})"
        for key, allowed in self.when.items():
            value = getattr(attrs, key, None)
            if value not in allowed:
                return f"{key}={value!r} is not native (native: {key} in {allowed})"
        return None


    def fallback_reason(self, attrs: Any) -> str | None:
        """Why this node runs on a fallback kernel, or ``None`` if it runs on the fast one."""
        return next((f.reason for f in self.fallbacks if f.applies(attrs)), None)


def native(*precisions: str, note: str = "", fallbacks: Iterable[Fallback] = (), **when: tuple[Any, ...]) -> Support:
    """Shorthand for a :class:`Support`: ``native("fp32", "int8", rank=(1, 2))``."""
    return Support(frozenset(precisions or ("fp32",)), dict(when), note, tuple(fallbacks))


def int8_kernel_ops(without: Iterable[str] = (), also: Iterable[str] = ()) -> tuple[str, ...]:
    """The spec ops int8 kernel sets cover: the producers that take a fused activation (conv, linear, add, mul),
    those activations, and the ops that share their input's quantization; minus ``without``, plus ``also``."""
    ops = SPEC.with_trait(TAKES_ACTIVATION, FUSABLE_ACTIVATION, SHARES_QUANTIZATION)
    return tuple(op for op in ops if op not in set(without)) + tuple(also)


@dataclass(frozen=True)
class Int8Scheme:
    """The QDQ form a backend's int8 lowering takes (:mod:`xport.quant`).

    ``activations``: per-tensor ``"affine"`` (min/max range and a zero point) or ``"symmetric"`` (zero point 0).
    ``bias``: ``"int32"`` (scale = input scale × weight scale; ORT needs it to fuse QLinearConv) or ``"float"``
    (XNNPACK and OpenVINO quantize biases themselves). ``weights``: ``"folded"`` int8 constants, or ``"qdq"``: float
    weights behind quantize/dequantize (what OpenVINO's frontend turns into FakeQuantize). ``placement``:
    ``"outputs"`` quantizes each int8 op's output (after its fused activation), so int8 tensors flow between int8
    kernels as XNNPACK, ORT and LiteRT run them; ``"inputs"`` quantizes only the activation inputs of
    conv/linear/matmul/add and leaves every output float, as NNCF places quantizers for OpenVINO's CPU plugin
    (which requantizes on its own where it pays): fewer rounding points, so less error.
    """

    activations: str = "affine"
    bias: str = "int32"
    weights: str = "folded"
    placement: str = "outputs"

    def __post_init__(self) -> None:
        for name, value, allowed in (("activations", self.activations, ("affine", "symmetric")),
                                     ("bias", self.bias, ("int32", "float")),
                                     ("weights", self.weights, ("folded", "qdq")),
                                     ("placement", self.placement, ("outputs", "inputs"))):
            if value not in allowed:
                raise ValueError(f"Int8Scheme.{name}={value!r}; choose one of {allowed}")


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
    # The QDQ form the backend's int8 lowering takes.
    int8: Int8Scheme = Int8Scheme()

    def rejects(self, op: str, attrs: Any, precision: str) -> str | None:
        """Why the backend cannot run ``op`` with ``attrs`` natively, or ``None`` if it can."""
        support = self.ops.get(op)
        if support is None:
            return f"'{op}' has no native lowering on {self.backend}"
        return support.rejects(attrs, precision)

    def verdict(self, op: str, attrs: Any, precision: str) -> tuple[str, str]:
        """(``"native"`` | ``"fallback"`` | ``"unsupported"``, why): how the runtime runs ``op`` with ``attrs``."""
        reason = self.rejects(op, attrs, precision)
        if reason is not None:
            return UNSUPPORTED, reason
        support = self.ops[op]
        slow = support.fallback_reason(attrs)
        return (FALLBACK, slow) if slow else (NATIVE, support.note)

    def runs(self, op: str, attrs: Any, precision: str) -> bool:
        return self.rejects(op, attrs, precision) is None

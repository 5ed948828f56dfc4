"""Numeric parity of an artifact against the eager model, measured on the same inputs.

Metrics: max abs error, max rel error (relative to the output scale, ``max|ref|``), SQNR in dB, cosine
similarity and top-1 / top-5 agreement (for outputs with a class axis). Which numbers pass is decided by
:mod:`xport.tolerances`, never here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch

from . import backends
from .errors import ParityError
from .fingerprint import short, weight_fingerprint
from .tolerances import Tolerance

# Two classes whose eager logits differ by less than this fraction of the output scale are a tie:
# an artifact picking either one agrees.
_TIE = 1e-5


@dataclass(frozen=True)
class Metrics:
    max_abs: float
    max_rel: float
    sqnr_db: float
    cosine: float
    top1_agreement: float | None
    top5_agreement: float | None


def _flat_pairs(ref: torch.Tensor, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return ref.detach().double().reshape(-1), out.detach().double().reshape(-1)


def sqnr_db(ref: torch.Tensor, out: torch.Tensor) -> float:
    """Signal-to-quantization-noise ratio of ``out`` against ``ref`` in dB (inf when they are equal)."""
    noise = float(((out.double() - ref.double()) ** 2).sum())
    return math.inf if noise == 0 else 10 * math.log10(max(float((ref.double() ** 2).sum()), 1e-300) / noise)


def compare(refs: Sequence[torch.Tensor], outs: Sequence[torch.Tensor]) -> Metrics:
    """Metrics over a set of (reference, artifact) output pairs of equal shapes."""
    for r, o in zip(refs, outs):
        if r.shape != o.shape:
            raise ParityError(f"output shape differs: eager {list(r.shape)}, artifact {list(o.shape)}")
    ref = torch.cat([_flat_pairs(r, o)[0] for r, o in zip(refs, outs)])
    out = torch.cat([_flat_pairs(r, o)[1] for r, o in zip(refs, outs)])
    err = (out - ref).abs()
    scale = ref.abs().max().item() or 1.0
    sqnr = sqnr_db(ref, out)
    denom = ref.norm() * out.norm()
    cosine = float((ref @ out) / denom) if denom > 0 else float(ref.norm() == out.norm())
    top1, top5 = _agreement(refs, outs, scale)
    return Metrics(float(err.max()), float(err.max()) / scale, sqnr, cosine, top1, top5)


def _agreement(refs: Sequence[torch.Tensor], outs: Sequence[torch.Tensor], scale: float):
    """Top-1 agreement (ties within _TIE of the scale count as agreement) and top-5 set overlap.

    Every row along the last axis of every output with more than one class counts as one sample.
    """
    top1_hits, top5_overlap, rows, rows5 = 0.0, 0.0, 0, 0
    for r, o in zip(refs, outs):
        if r.dim() == 0 or r.shape[-1] < 2:
            continue
        ref, out = r.detach().double().reshape(-1, r.shape[-1]), o.detach().double().reshape(-1, o.shape[-1])
        picked = ref.gather(1, out.argmax(1, keepdim=True)).squeeze(1)
        top1_hits += float((picked >= ref.max(1).values - _TIE * scale).sum())
        rows += ref.shape[0]
        if ref.shape[1] >= 5:
            for a, b in zip(ref.topk(5, 1).indices, out.topk(5, 1).indices):
                top5_overlap += len(set(a.tolist()) & set(b.tolist())) / 5
            rows5 += ref.shape[0]
    return (top1_hits / rows if rows else None), (top5_overlap / rows5 if rows5 else None)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


@dataclass
class ParityReport:
    """Parity of one artifact: metrics, the tolerance applied, and which checks failed."""

    backend: str
    precision: str
    runtime: str
    samples: int
    metrics: Metrics
    tolerance: Tolerance
    failures: list[str] = field(default_factory=list)
    # How the model's weights compare with those the artifact was exported from (see weights_verdict).
    weights: str = ""
    # Where a file xport did not write got its input shapes ("" for xport's own files).
    foreign: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures

    # Shortcuts the public API promises.
    max_abs = property(lambda self: self.metrics.max_abs)
    max_rel = property(lambda self: self.metrics.max_rel)
    sqnr_db = property(lambda self: self.metrics.sqnr_db)
    cosine = property(lambda self: self.metrics.cosine)
    top1_agreement = property(lambda self: self.metrics.top1_agreement)
    top5_agreement = property(lambda self: self.metrics.top5_agreement)

    def __str__(self) -> str:
        m, t = self.metrics, self.tolerance
        lines = [
            f"parity {'PASSED' if self.passed else 'FAILED'}: {self.backend} {self.precision} "
            f"on {self.runtime}, {self.samples} input(s)",
            f"  max abs {m.max_abs:.3g}   max rel {m.max_rel:.3g} (tol {t.max_rel:g})",
            f"  SQNR {m.sqnr_db:.1f} dB (min {t.min_sqnr_db:g})   cosine {m.cosine:.7f} (min {t.min_cosine:g})",
            f"  top-1 agreement {_percent(m.top1_agreement)} (min {_percent(t.min_top1)})"
            f"   top-5 overlap {_percent(m.top5_agreement)}",
        ]
        if self.weights:
            lines.append(f"  weights: {self.weights}")
        if self.foreign:
            lines.append(f"  not written by xport: {self.foreign}")
        lines += [f"  FAIL: {f}" for f in self.failures]
        return "\n".join(lines)


def judge(metrics: Metrics, tol: Tolerance) -> list[str]:
    """The checks ``metrics`` fail under ``tol`` (empty when parity holds)."""
    failures = []
    if not metrics.max_rel <= tol.max_rel:
        failures.append(f"max rel error {metrics.max_rel:.3g} > {tol.max_rel:g}")
    if not metrics.sqnr_db >= tol.min_sqnr_db:
        failures.append(f"SQNR {metrics.sqnr_db:.1f} dB < {tol.min_sqnr_db:g} dB")
    if not metrics.cosine >= tol.min_cosine:
        failures.append(f"cosine {metrics.cosine:.7f} < {tol.min_cosine:g}")
    if metrics.top1_agreement is not None and not metrics.top1_agreement >= tol.min_top1:
        failures.append(f"top-1 agreement {metrics.top1_agreement:.3f} < {tol.min_top1:g}")
    return failures


def weights_verdict(recorded: str, model: torch.nn.Module) -> tuple[str, str | None]:
    """(how ``model``'s weights compare with the ``recorded`` fingerprint, the failure to report if parity fails).

    A parity failure against other weights says nothing about the conversion, so it is named as what it is.
    """
    if not recorded:
        return "", None  # a file xport did not write, or a manifest from before fingerprints
    now = weight_fingerprint(model)
    if now == recorded:
        return f"the model's are the ones exported (fingerprint {short(now)})", None
    return (f"DIFFERENT from the ones exported (model {short(now)}, artifact {short(recorded)})",
            f"the artifact was exported from different weights than this model (fingerprint {short(recorded)}, "
            f"the model's {short(now)}): verify it against the model and checkpoint it was exported from; this "
            "is not a conversion error")


def _as_tuple(result) -> tuple[torch.Tensor, ...]:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def measure(model: torch.nn.Module, artifact, inputs: Iterable[Sequence[torch.Tensor]]) -> ParityReport:
    """Run eager and artifact on every input tuple and compare all outputs together."""
    model = model.eval()
    refs, outs, samples = [], [], 0
    with torch.no_grad():
        for args in inputs:
            args = tuple(args)
            ref = _as_tuple(model(*args))
            # Channels-last artifact inputs get the same clip in their own axis order.
            fed = (spec.from_model_layout(x) for spec, x in zip(artifact.manifest.inputs, args))
            out = _as_tuple(artifact.run(*fed))
            if len(ref) != len(out):
                raise ParityError(f"eager returns {len(ref)} output(s), the artifact {len(out)}")
            refs += ref
            outs += out
            samples += 1
    if not samples:
        raise ValueError("verify needs at least one input tuple")
    try:
        metrics = compare(refs, outs)
    except ParityError as exc:  # outputs of another shape: perhaps another model altogether
        other_weights = weights_verdict(artifact.manifest.weights_fingerprint, model)[1]
        raise ParityError(f"{exc.report}; {other_weights}" if other_weights else exc.report) from None
    tol = backends.tolerance_for(artifact.backend, artifact.precision)
    failures = judge(metrics, tol)
    weights, other_weights = weights_verdict(artifact.manifest.weights_fingerprint, model)
    if failures and other_weights:
        failures.insert(0, other_weights)
    return ParityReport(artifact.backend, artifact.precision, artifact.runtime, samples, metrics, tol, failures,
                        weights, artifact.manifest.foreign)

"""``xport.validate``: a (fine-tuned) model's accuracy on real decoded clips, in eager PyTorch and in every
exported artifact running in its own runtime, with the top-1 agreement of each artifact with eager per clip.

Random tensors hide real divergence: an export can match eager on noise and still flip predictions on real
frames (int8 most of all), so this runs the clips a user's app would see, decoded through
:mod:`xport.preprocess`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from . import backends as backend_registry
from .api import export
from .data import ClipDataset
from .errors import XportError
from .preprocess import PreprocessSpec
from .training.checkpoints import load_finetuned

log = logging.getLogger("xport")


@dataclass
class ValidationRow:
    """One backend × precision: accuracy on the clips and agreement with eager's top-1, or why it was skipped."""

    backend: str
    precision: str
    status: str  # "ok" | "skipped" | "failed"
    accuracy: float | None = None
    agreement: float | None = None
    predictions: list[int] = field(default_factory=list)
    detail: str = ""  # the reason for skipped/failed rows, the artifact path for ok ones
    seconds: float = 0.0


@dataclass
class ValidationReport:
    """Rows of :func:`validate`; ``eager`` is the reference row, ``rows`` the exported artifacts."""

    model: str
    split: str
    classes: list[str]
    files: list[str]
    labels: list[int]
    eager: ValidationRow
    rows: list[ValidationRow]

    def table(self) -> str:
        """Accuracy per backend × precision next to eager, and top-1 agreement with eager over the clips."""
        def pct(v: float | None) -> str:
            return "-" if v is None else f"{100 * v:.1f}%"

        lines = [f"{len(self.files)} {self.split} clips, {len(self.classes)} classes, model {self.model}",
                 f"{'backend':<12} {'precision':<9} {'accuracy':>8}  {'top-1 = eager':>13}  {'time':>7}  status",
                 f"{'-' * 12} {'-' * 9} {'-' * 8}  {'-' * 13}  {'-' * 7}  {'-' * 6}"]
        for row in (self.eager, *self.rows):
            status = "ok" if row.status == "ok" else f"{row.status}: {row.detail}"
            if row is self.eager:
                agree = "reference"
            elif row.agreement is None:
                agree = "-"
            else:
                same = sum(a == b for a, b in zip(row.predictions, self.eager.predictions))
                agree = f"{pct(row.agreement)} ({same}/{len(self.files)})"
            lines.append(f"{row.backend:<12} {row.precision:<9} {pct(row.accuracy):>8}  {agree:>13}  "
                         f"{row.seconds:>6.1f}s  {status}")
        return "\n".join(lines)

    def per_clip(self) -> str:
        """Each clip's label and every runtime's top-1 (``*`` marks a disagreement with eager)."""
        ok = [r for r in self.rows if r.status == "ok"]
        head = f"{'clip':<28} {'label':<16} {'eager':<16} " + " ".join(f"{r.backend}/{r.precision}" for r in ok)
        lines = [head]
        for i, path in enumerate(self.files):
            eager = self.eager.predictions[i]
            marks = " ".join(self.classes[r.predictions[i]] + ("*" if r.predictions[i] != eager else "") for r in ok)
            lines.append(f"{Path(path).name:<28} {self.classes[self.labels[i]]:<16} {self.classes[eager]:<16} {marks}")
        return "\n".join(lines)

    def passed(self, min_agreement: float = 0.0) -> bool:
        """No failed row, and every artifact that ran agrees with eager on at least ``min_agreement`` of clips."""
        return all(r.status != "failed" and (r.status != "ok" or r.agreement >= min_agreement) for r in self.rows)


def _calibration(train, count: int) -> list[tuple[torch.Tensor]]:
    """``count`` training clips spread over the split (so every class is represented), as input tuples."""
    step = max(1, len(train) // count)
    return [(train[i][0][None],) for i in range(0, len(train), step)][:count]


def spread_over_classes(labels: list[int], limit: int | None) -> list[int]:
    """Indices of at most ``limit`` clips, taken round-robin over the classes (each class's clips in file order),
    so ``--limit`` keeps every class rather than the first classes' clips: deterministic, no random draw."""
    if limit is None or limit >= len(labels):
        return list(range(len(labels)))
    by_class: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    queues = [by_class[label] for label in sorted(by_class)]
    chosen: list[int] = []
    for rank in range(max(map(len, queues))):
        chosen += [members[rank] for members in queues if rank < len(members)]
    return sorted(chosen[:limit])


@contextlib.contextmanager
def _scratch_folder() -> Iterator[Path]:
    """A temporary folder that also holds the converters' own temporary files, removed on any exit.

    Converters and runtimes (Core ML's compiled models, ExecuTorch and OpenVINO intermediates) write to the
    system temporary folder and clean up when their objects die, which an interrupt (Ctrl-C) skips: pointing
    ``tempfile`` and ``TMPDIR`` into this folder makes one ``rmtree`` remove everything.
    """
    folder = Path(tempfile.mkdtemp(prefix="xport-validate-"))
    tools = folder / "tmp"
    tools.mkdir()
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = str(tools), str(tools)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(folder, ignore_errors=True)


def validate(model: str | Path | torch.nn.Module, data: str | Path, backends: str | Iterable[str] = "all",
             precisions: Iterable[str] = ("fp32",), *, split: str = "val", out_dir: str | Path | None = None,
             calibration_clips: int = 16, limit: int | None = None, progress: bool = True,
             options: Mapping[str, Mapping[str, Any]] | None = None, calibration: Any = None) -> ValidationReport:
    """Run ``split`` of ``data`` through eager ``model`` and each backend × precision's exported artifact.

    ``model`` is a checkpoint written by :func:`xport.finetune` (or a module with a ``default_cfg`` card).
    ``backends="all"`` means every registered backend: those not installed here get a ``skipped`` row saying
    why, as does every precision a backend cannot export (int8 gets ``calibration`` if given, else
    ``calibration_clips`` training clips spread over the split). ``options`` maps a backend to its export options
    (e.g. ``{"coreml": {"minimum_deployment_target": "iOS17"}}``). ``limit`` takes that many clips round-robin
    over the classes. Artifacts go to ``out_dir/<backend>-<precision>/`` (a temporary folder by default, removed
    with the converters' temporary files even on Ctrl-C). Progress goes to the ``xport`` logger.
    """
    name = str(model) if not isinstance(model, torch.nn.Module) else type(model).__name__
    net = load_finetuned(model) if not isinstance(model, torch.nn.Module) else model.eval()
    card = getattr(net, "default_cfg", None)
    if card is None:
        raise XportError(f"{name} has no default_cfg card, so its preprocessing is unknown; use a zoo model")
    spec = PreprocessSpec.from_card(card)
    clips = ClipDataset(data, split, spec, progress=progress)
    if len(clips.classes) != card.num_classes:
        raise XportError(f"{data} has {len(clips.classes)} classes but the model predicts {card.num_classes}")
    indices = spread_over_classes(clips.labels, limit)
    inputs = [clips[i][0][None] for i in indices]
    labels = [clips.labels[i] for i in indices]
    names = backend_registry.names() if backends == "all" else list(backends)
    precisions = list(precisions)
    log.info("validating on %d %s clips (%d classes): eager, then %d backend(s) × %s", len(indices), split,
             len(clips.classes), len(names), ", ".join(precisions))

    def score(run, backend: str, precision: str, detail: str = "") -> ValidationRow:
        start = time.perf_counter()
        preds = [int(torch.as_tensor(run(x)).argmax(-1).item()) for x in
                 tqdm(inputs, desc=f"{backend} {precision}", unit="clip", disable=not progress, leave=False)]
        acc = sum(p == y for p, y in zip(preds, labels)) / len(labels)
        return ValidationRow(backend, precision, "ok", acc, None, preds, detail, time.perf_counter() - start)

    with torch.no_grad():
        eager = score(net, "eager", "fp32", "PyTorch")
    log.info("eager: accuracy %.1f%%", 100 * eager.accuracy)
    status = backend_registry.status()
    rows: list[ValidationRow] = []
    with _scratch_folder() as scratch:
        root = Path(out_dir) if out_dir is not None else scratch / "artifacts"
        for backend in names:
            available, why = status.get(backend, (False, f"unknown backend (known: {', '.join(status)})"))
            for precision in precisions:
                if not available:
                    rows.append(ValidationRow(backend, precision, "skipped", detail=why))
                    continue
                if precision == "int8" and calibration is None:
                    calibration = _calibration(ClipDataset(data, "train", spec), calibration_clips)
                extra = {"calibration": calibration} if precision == "int8" else {}
                log.info("%s %s: exporting", backend, precision)
                try:
                    artifact = export(net, inputs[0], backend, root / f"{backend}-{precision}", precision,
                                      overwrite=True, **extra, **(options or {}).get(backend, {}))
                except XportError as exc:  # not available here or not exportable at this precision: say why
                    rows.append(ValidationRow(backend, precision, "skipped", detail=str(exc).splitlines()[0]))
                    log.info("%s %s: skipped: %s", backend, precision, rows[-1].detail)
                    continue
                log.info("%s %s: running %d clips in %s", backend, precision, len(inputs), artifact.runtime)
                try:
                    row = score(artifact.run, backend, precision, str(artifact.path))
                except Exception as exc:  # a runtime crash is a finding to report, not a reason to stop the others
                    rows.append(ValidationRow(backend, precision, "failed", detail=f"{type(exc).__name__}: {exc}"))
                    continue
                row.agreement = sum(a == b for a, b in zip(row.predictions, eager.predictions)) / len(inputs)
                rows.append(row)
                log.info("%s %s: accuracy %.1f%%, agreement %.1f%%", backend, precision, 100 * row.accuracy,
                         100 * row.agreement)
    return ValidationReport(name, split, clips.classes, [str(clips.files[i][0]) for i in indices], labels, eager,
                            rows)

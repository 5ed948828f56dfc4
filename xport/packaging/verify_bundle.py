"""``xport verify-bundle``: load a bundle as an app would (only model.json and the files it names), run a real
video through the preprocessing it describes, print the top 5, and check every model against eager."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from xport import backends as backend_registry
from xport.api import load
from xport.efficient_ops import create_model, list_models
from xport.errors import ModelFormatError, XportError
from xport.parity import ParityReport, compare, judge
from xport.preprocess import normalize_and_pack, prepare_frames, read_video
from xport.streaming import StreamSession

from .model_json import MODEL_JSON, BundledModel, ModelJson
from .platforms import PLATFORMS
from .weights import weights_sha256

log = logging.getLogger("xport")


@dataclass(frozen=True)
class BundleCheck:
    """One bundled model run on one clip: its top 5 next to eager's, and parity."""

    model: BundledModel
    top5: list[tuple[str, float]]
    eager_top5: list[tuple[str, float]]
    parity: ParityReport

    @property
    def passed(self) -> bool:
        return self.parity.passed

    def __str__(self) -> str:
        rows = [f"{self.model.file} ({self.model.backend} {self.model.precision}, {self.parity.runtime}): "
                f"{'PASSED' if self.passed else 'FAILED'}, max rel {self.parity.max_rel:.2g}, "
                f"SQNR {self.parity.sqnr_db:.0f} dB"]
        for (label, score), (e_label, e_score) in zip(self.top5, self.eager_top5):
            rows.append(f"  {score:9.4f}  {label:<40} eager: {e_score:9.4f}  {e_label}")
        rows += [f"  FAIL: {f}" for f in self.parity.failures]
        return "\n".join(rows)


def find_model_dir(bundle: Path | str) -> Path:
    """The folder holding model.json: the one given, or its assets/ or Resources/."""
    bundle = Path(bundle)
    for candidate in (bundle, *(bundle / p.folder for p in PLATFORMS.values())):
        if (candidate / MODEL_JSON).is_file():
            return candidate
    raise ModelFormatError(bundle, f"holds no {MODEL_JSON} (nor does its assets/ or Resources/ folder)",
                           "pass the folder `xport package` wrote")


def _reference(mj: ModelJson, model: torch.nn.Module | None) -> torch.nn.Module:
    """The eager model to compare with: the given one, or the zoo model model.json names, with matching weights."""

    if model is None:
        name, checkpoint = mj.model.get("name"), mj.model.get("checkpoint")
        if name not in list_models():
            raise XportError(f"the bundle's model '{name}' is not a zoo model; pass the eager model "
                             "(--model package.module:factory) to compare with")
        if checkpoint and not Path(checkpoint).is_file():
            raise XportError(f"the bundle was made from checkpoint {checkpoint}, which is not here; pass --model "
                             "and --pretrained")
        model = create_model(name, pretrained=checkpoint)
    if weights_sha256(model) != mj.model.get("weights_sha256"):
        raise XportError(f"the eager model's weights differ from the packaged model's (weights_sha256 in "
                         f"{MODEL_JSON}); pass the model and checkpoint the bundle was made from")
    return model.eval()


def _check_against_artifact(m: BundledModel, artifact) -> None:
    """model.json's description of the inputs must be what the artifact itself says it takes."""
    if (m.stream or {}).get("checksum") != artifact.manifest.extra.get("stream", {}).get("checksum"):
        raise XportError(f"{MODEL_JSON}'s stream contract of {m.file} is not the file's own; model.json was edited "
                         "or belongs to another model")
    for said, real in zip(m.inputs, artifact.manifest.inputs):
        real_layout = real.layout or ("NCHW" if m.stream else "THWC" if len(real.shape) == 4 else "NCTHW")
        if (said.shape, said.dtype, said.layout) != (real.shape, real.dtype, real_layout):
            raise XportError(f"{MODEL_JSON} says input '{said.name}' of {m.file} is {said.dtype} {list(said.shape)} "
                             f"{said.layout}, but the file itself takes {real.dtype} {list(real.shape)} {real_layout}; "
                             "model.json was edited or belongs to another model")


def _top5(scores: torch.Tensor, labels: Sequence[str]) -> list[tuple[str, float]]:
    values, indices = scores.reshape(-1).double().topk(min(5, scores.numel()))
    return [(labels[i] if i < len(labels) else f"class_{i}", float(v)) for v, i in zip(values, indices.tolist())]


def check_frames(folder: Path, mj: ModelJson, reference: torch.nn.Module, cropped: np.ndarray,
                 backends: Sequence[str] | None = None) -> list[BundleCheck]:
    """Feed cropped uint8 frames (T, H, W, 3) to every model of the bundle as model.json describes its input, and
    compare each with ``reference`` on the same frames preprocessed the reference way."""
    labels = (folder / mj.outputs["labels"]).read_text(encoding="utf-8").splitlines()
    with torch.no_grad():
        expected = reference(torch.from_numpy(normalize_and_pack(cropped, mj.preprocessing)))
    checks = []
    for m in mj.models:
        if backends is not None and m.backend not in backends:
            continue
        log.info("checking %s in %s", m.file, m.app_runtime or m.backend)
        artifact = load(folder / m.file)
        _check_against_artifact(m, artifact)
        spec = m.inputs[0]
        if m.stream:  # frame by frame, as the app does: the last step's outputs are the clip's
            clip = torch.from_numpy(normalize_and_pack(cropped, mj.preprocessing))
            session = StreamSession(artifact)
            got = [session.step(clip[:, :, t]) for t in range(clip.shape[2])][-1][0]
        else:
            clip = normalize_and_pack(cropped, mj.input_preprocessing(spec)).astype(np.dtype(spec.dtype))
            got = artifact.run(clip)
        metrics = compare([expected], [got])
        tol = backend_registry.tolerance_for(m.backend, m.precision)
        report = ParityReport(m.backend, m.precision, artifact.runtime, 1, metrics, tol, judge(metrics, tol))
        checks.append(BundleCheck(m, _top5(got, labels), _top5(expected, labels), report))
    if not checks:
        raise XportError(f"the bundle has no model for backends {list(backends or [])}; it has "
                         f"{', '.join(m.backend for m in mj.models)}")
    return checks


def verify_bundle(bundle: Path | str, video: Path | str, model: torch.nn.Module | None = None,
                  backends: Sequence[str] | None = None, start_seconds: float = 0.0) -> list[BundleCheck]:
    """Run ``video`` through every model of the bundle (or those of ``backends``) and compare with eager.

    Reads only model.json and the files it names (checking their SHA-256), preprocesses with
    :mod:`xport.preprocess` as model.json says, and runs each file in its runtime. ``model`` is the eager
    reference; by default the zoo model model.json names (its weights must match the packaged ones).
    """
    folder = find_model_dir(bundle)
    mj = ModelJson.read(folder)
    reference = _reference(mj, model)
    frames, fps = read_video(video, max_seconds=start_seconds + mj.preprocessing.clip_seconds)
    cropped = prepare_frames(frames, fps, mj.preprocessing, start_seconds)
    # The caller prints the checks (the CLI does): logging them too would show each one twice.
    return check_frames(folder, mj, reference, cropped, backends)

"""``xport.package``: export for an app platform and write the bundle an app copies as is.

    bundle/
      README.md                    how to load the model and feed one clip (Kotlin or Swift)
      assets/ (Android) | Resources/ (iOS)
        video_classification.*     one artifact per backend (+ its selective-build operator list)
        classes.txt                one label per line
        model.json                 inputs, layouts, preprocessing, outputs, backends, SHA-256 of every file
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from xport import __version__, streaming
from xport import backends as backend_registry
from xport.api import export, verify
from xport.artifact import Artifact
from xport.atomic import staged_output
from xport.efficient_ops import create_model
from xport.efficient_ops.finetuned import finetuned_meta
from xport.errors import XportError, pass_as
from xport.parity import ParityReport
from xport.preprocess import PreprocessSpec, frames_from_clip, fuse_preprocessing
from xport.spec.attrs import CastAttrs
from xport.streaming.model import stream_clip_model
from xport.tensor_spec import TensorSpec

from .labels import resolve_labels
from .model_json import LABELS_FILE, BundledModel, ModelJson, file_hashes
from .platforms import Platform, backends_for, platform
from .readme import readme
from .verify_bundle import check_frames
from .weights import weights_sha256

log = logging.getLogger("xport")

STEM = "video_classification"  # the PyTorch TorchVideo demo app loads video_classification.ptl


@dataclass(frozen=True)
class Bundle:
    """A written bundle: its folder, the folder the app copies, the parsed model.json, and parity per backend."""

    path: Path
    model_dir: Path
    model_json: ModelJson
    parity: dict[str, ParityReport]


def _output_kind(model: torch.nn.Module, example: torch.Tensor) -> str:
    with torch.no_grad():
        out = model(example)
    rows = out.reshape(-1, out.shape[-1]).double()
    is_distribution = bool((rows >= 0).all()) and torch.allclose(rows.sum(-1), torch.ones(len(rows), dtype=rows.dtype),
                                                                    atol=1e-4)
    return "probabilities" if is_distribution else "logits"


def _with_layout(spec: TensorSpec, fused: bool, streamed: bool) -> TensorSpec:
    if len(spec.shape) not in (4, 5):
        raise XportError(f"input '{spec.name}' has shape {list(spec.shape)}; bundles are for video models taking "
                         "one clip (N, C, T, H, W)")
    if streamed:  # a frame (N, C, H, W) and state tensors, each fed back as the step returned it
        return replace(spec, layout=spec.layout or "NCHW")
    return replace(spec, layout="THWC" if fused else spec.layout or "NCTHW")


def _operators_file(artifact: Artifact) -> Path | None:
    lists = [f for f in artifact.files if f != artifact.path and f not in artifact.companions
             and any(tag in f.name for tag in ("operators", "required_operators"))]
    return lists[0] if lists else None


def _model_for(backend: str, model: torch.nn.Module, prep: PreprocessSpec, fused: bool, streamed: bool):
    """The module to export for ``backend`` and its example inputs."""
    if streamed:
        step = stream_clip_model(model, prep.input_shape())
        return step, step.example_inputs()
    if not fused:
        return model, (torch.zeros(prep.input_shape()),)  # shape only: verify draws its own inputs
    # A runtime without uint8 inputs (Core ML's multi-arrays) gets the same 0–255 values as float32.
    takes_uint8 = backend_registry.get(backend).caps.runs("cast", CastAttrs(5, "uint8", "float32"), "fp32")
    dtype = torch.uint8 if takes_uint8 else torch.float32
    module, example = fuse_preprocessing(model, prep, dtype)
    return module, (example,)


def _export_options(backend: str, options: dict[str, dict[str, Any]] | None, fused: bool) -> dict[str, Any]:
    """``backend``'s export options. A fused model takes raw frames (T, H, W, 3), channels last already, so a
    channels-last ``input_layout`` is what it gets anyway: passing it on would permute the frames' axes again."""
    own = dict((options or {}).get(backend, {}))
    if fused and "input_layout" in own:
        log.info("%s: input_layout=%s is implied by fused preprocessing (the input is frames (T, H, W, 3))",
                 backend, own.pop("input_layout"))
    return own


def _module_calibration(calibration: Any, prep: PreprocessSpec, module: torch.nn.Module,
                        example: tuple[torch.Tensor, ...]) -> Any:
    """Calibration for the exported module: the model's own clips (1, 3, T, H, W), for a fused module the frames
    they came from, for a stream every frame of them with its state. Saved ranges (a calibration .json) belong to the
    module they were measured on."""
    from xport.quant import Calibration

    clips = calibration.inputs if isinstance(calibration, Calibration) else calibration
    if isinstance(module, streaming.StreamModel) and clips and not isinstance(clips, (str, Path)):
        return module.calibration_inputs(c if isinstance(c, (tuple, list)) else (c,) for c in clips)
    if calibration is None or not prep.fused:
        return calibration
    if isinstance(clips, (str, Path)) or not clips:
        raise XportError("int8 with fused preprocessing needs calibration clips, not saved ranges (a calibration "
                         ".json holds the unfused model's); pass " + pass_as("clips", "--calibration DIR (of videos)"))
    samples = [c[0] if isinstance(c, (tuple, list)) else c for c in clips]
    return [(frames_from_clip(clip, prep, example[0].dtype),) for clip in samples]


def _self_check(model_dir: Path, model: torch.nn.Module, prep: PreprocessSpec) -> None:
    """Load the written bundle as ``verify-bundle`` does and run a seeded clip through every model: a bundle that
    fails its own check (layouts, checksums, parity) is never moved into place."""
    h, w = prep.crop
    generator = torch.Generator().manual_seed(2)
    frames = torch.randint(0, 256, (prep.frames, h, w, 3), generator=generator, dtype=torch.uint8).numpy()
    try:
        checks = check_frames(model_dir, ModelJson.read(model_dir), model, frames)
    except XportError as exc:
        raise XportError(f"the bundle fails its own check, so nothing was written: {exc}") from exc
    failed = [c for c in checks if not c.passed]
    if failed:
        raise XportError("the bundle fails its own check, so nothing was written:\n" + "\n".join(map(str, failed)))


def package(model: torch.nn.Module, platform_name: str, out_dir: Path | str,
            backend: str | Sequence[str] | None = None, precision: str = "fp32", *,
            labels: Sequence[str] | Path | str | None = None, preprocessing: PreprocessSpec | None = None,
            fuse_preprocessing: bool = False, checkpoint: str | None = None, overwrite: bool = False,
            options: dict[str, dict[str, Any]] | None = None, calibration: Any = None,
            max_drop: float | None = None, stream: bool = False) -> Bundle:
    """Export ``model`` for an Android or iOS app and write the bundle into ``out_dir``.

    Backends default to the platform's (Android: tflite + torchscript; iOS: coreml). Every artifact is verified
    against eager before it is bundled, and the written bundle is loaded back and checked as ``verify_bundle``
    does before it is moved into place (atomically). ``preprocessing`` defaults to the zoo card's; with
    ``fuse_preprocessing`` the models take cropped uint8 RGB frames (T, H, W, 3) (Core ML: float32 0–255), and
    a channels-last ``input_layout`` option is implied. ``options`` maps a backend to its export options.
    ``precision="int8"`` needs ``calibration``: clips of the model's input (1, 3, T, H, W) or a
    :class:`xport.quant.Calibration` (see :func:`xport.export`); ``max_drop`` is export's accuracy budget.
    ``stream=True`` bundles the per-frame form of a causal model (:func:`xport.stream`): model.json lists each
    state tensor, and the README's code feeds one frame per call, carrying the state over.
    """
    plat: Platform = platform(platform_name)
    names = backends_for(plat, backend)
    if stream and fuse_preprocessing:
        raise XportError("a stream bundle takes preprocessed frames: fused preprocessing works on whole clips "
                         "(T, H, W, 3); package without " + pass_as("fuse_preprocessing=True", "--fuse-preprocessing"))
    for name in names:
        backend_registry.require(name)
    card = getattr(model, "default_cfg", None)
    if preprocessing is None:
        if card is None:
            raise XportError("the model has no default_cfg card; pass preprocessing=PreprocessSpec(frames=..., "
                             "crop=(H, W), mean=..., std=..., resize_short_side=...)")
        preprocessing = PreprocessSpec.from_card(card)
    prep = replace(preprocessing, layout="NCTHW", fused=fuse_preprocessing)
    model = model.eval()
    example = torch.zeros(prep.input_shape())
    with torch.no_grad():
        num_classes = int(model(example).shape[-1])
    finetuned = finetuned_meta(checkpoint) if checkpoint is not None else None
    untrained = _untrained(model, checkpoint)
    if untrained:
        log.warning("UNTRAINED WEIGHTS: %s", untrained)
    label_names, label_source = resolve_labels(labels, num_classes, getattr(card, "dataset", None),
                                               (finetuned or {}).get("classes"))

    bundled, parity = [], {}
    with staged_output(out_dir, overwrite) as stage:
        model_dir = stage / plat.folder
        model_dir.mkdir()
        for i, name in enumerate(names, 1):
            log.info("[%d/%d] %s: export %s", i, len(names), name, precision)
            module, inputs = _model_for(name, model, prep, fuse_preprocessing, stream)
            quant = ({"calibration": _module_calibration(calibration, prep, module, inputs), "max_drop": max_drop}
                     if precision == "int8" else {})
            artifact = export(module, inputs, name, stage / ".work" / name, precision, name=STEM,
                              **quant, **_export_options(name, options, fuse_preprocessing))
            log.info("[%d/%d] %s: verify in %s", i, len(names), name, artifact.runtime)
            parity[name] = verify(model if stream else module, artifact)  # a stream: step by step vs the clip model
            bundled.append(_bundle_artifact(artifact, plat, model_dir, fuse_preprocessing))
        shutil.rmtree(stage / ".work")
        (model_dir / LABELS_FILE).write_text("\n".join(label_names) + "\n", encoding="utf-8")
        model_json = ModelJson(
            platform=plat.name,
            model={"name": getattr(card, "name", type(model).__name__),
                   "source": f"{type(model).__module__}.{type(model).__qualname__}",
                   # absolute: verify-bundle reloads it from wherever it runs
                   "checkpoint": checkpoint and str(Path(checkpoint).resolve()),
                   "weights_sha256": weights_sha256(model),
                   **({"untrained": untrained} if untrained else {})},
            preprocessing=prep, models=tuple(bundled),
            outputs={"kind": _output_kind(model, example), "num_classes": num_classes, "labels": LABELS_FILE,
                     "labels_source": label_source},
            files=file_hashes(model_dir), xport_version=__version__)
        model_json.write(model_dir)
        (stage / "README.md").write_text(readme(model_json, plat), encoding="utf-8")
        log.info("checking the bundle as verify-bundle loads it")
        _self_check(model_dir, model, prep)
    out = Path(out_dir)
    log.info("wrote %s bundle %s (%s)", plat.name, out, ", ".join(m.file for m in bundled))
    return Bundle(out, out / plat.folder, model_json, parity)


def _untrained(model: torch.nn.Module, checkpoint: str | None) -> str | None:
    """Why a zoo model's predictions mean nothing, when its weights are the zoo's seeded initial ones."""
    card = getattr(model, "default_cfg", None)
    if card is None or checkpoint is not None or getattr(model, "pretrained_report", None) is not None:
        return None
    try:
        initial = create_model(card.name, num_classes=card.num_classes)
    except XportError:  # not a zoo model, whatever its card says
        return None
    if weights_sha256(initial) != weights_sha256(model):
        return None
    return (f"{card.name} has its seeded initial weights, not trained ones: its predictions are meaningless. "
            "Package it with the official checkpoint (--pretrained X3D_XS.pyth, from PyTorchVideo's model zoo; "
            "see the README's Model zoo) or your fine-tuned model.pt")


def _bundle_artifact(artifact: Artifact, plat: Platform, model_dir: Path, fused: bool) -> BundledModel:
    """Move the artifact's files into the bundle and describe it for model.json."""
    app = plat.runtime(artifact.backend)
    main = artifact.path
    if app.app_file_suffix and main.with_suffix(app.app_file_suffix) in artifact.files:
        main = main.with_suffix(app.app_file_suffix)  # e.g. ORT Mobile's .ort, which carries the manifest too
    for f in artifact.files:
        if f != artifact.path or f == main:  # the app's folder holds what the app loads, not both forms of it
            shutil.move(str(f), model_dir / f.name)
    notes = app.notes(model_dir / main.name) if app.notes is not None else {}
    operators = _operators_file(artifact)
    contract = artifact.manifest.extra.get("stream")
    return BundledModel(
        artifact.backend, artifact.precision, main.name, app.dependency,
        tuple(_with_layout(s, fused, bool(contract)) for s in artifact.manifest.inputs), artifact.manifest.outputs,
        operators.name if operators else None, artifact.runtime, notes, contract)

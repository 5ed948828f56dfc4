"""``model.json``: everything an app needs to feed a bundle's model and read its outputs, and file checksums.

It is the contract between the exporter and the app, so reading it validates it: layouts must agree with the
shapes and the preprocessing, and every listed file must exist with its recorded SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xport.errors import ModelFormatError, XportError
from xport.preprocess import LAYOUTS, PreprocessSpec
from xport.tensor_spec import TensorSpec

FORMAT = "xport-bundle"
FORMAT_VERSION = 1
MODEL_JSON = "model.json"
LABELS_FILE = "classes.txt"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (package folders included) except ``model.json`` itself."""
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MODEL_JSON}


@dataclass(frozen=True)
class BundledModel:
    """One artifact of the bundle: which runtime loads which file, fed how."""

    backend: str
    precision: str
    file: str
    app_runtime: str
    inputs: tuple[TensorSpec, ...]  # ``layout`` always set: NCTHW, NTHWC or THWC (fused preprocessing)
    outputs: tuple[TensorSpec, ...]
    operators: str | None = None  # the runtime's selective-build operator list, if it has one
    verified_with: str = ""  # the runtime (and version) xport checked the file in
    notes: dict[str, Any] = field(default_factory=dict)
    # A stream model's contract (xport.stream): the frame input, the outputs, and each state to allocate and reset.
    stream: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "precision": self.precision, "file": self.file,
                "app_runtime": self.app_runtime, "operators": self.operators, "verified_with": self.verified_with,
                "inputs": [s.to_dict() for s in self.inputs], "outputs": [s.to_dict() for s in self.outputs],
                "notes": self.notes, **({"stream": self.stream} if self.stream else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BundledModel:
        return cls(d["backend"], d["precision"], d["file"], d.get("app_runtime", ""),
                   tuple(TensorSpec.from_dict(s) for s in d["inputs"]),
                   tuple(TensorSpec.from_dict(s) for s in d["outputs"]), d.get("operators"),
                   d.get("verified_with", ""), d.get("notes", {}), d.get("stream"))


@dataclass(frozen=True)
class ModelJson:
    """The parsed ``model.json`` of a bundle."""

    platform: str
    model: dict[str, Any]  # name, source, weights_sha256, checkpoint
    preprocessing: PreprocessSpec
    models: tuple[BundledModel, ...]
    outputs: dict[str, Any]  # kind (logits | probabilities), labels file, num_classes, labels_source
    files: dict[str, str]  # path relative to the bundle folder → SHA-256
    xport_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        prep = self.preprocessing.to_dict()
        del prep["layout"]  # each model's input says its own layout
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "xport_version": self.xport_version,
                "platform": self.platform, "model": self.model, "preprocessing": prep,
                "models": [m.to_dict() for m in self.models], "outputs": self.outputs, "files": self.files}

    def write(self, folder: Path) -> Path:
        path = Path(folder) / MODEL_JSON
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    def input_preprocessing(self, spec: TensorSpec) -> PreprocessSpec:
        """The preprocessing that produces input ``spec`` (its layout; uint8 frames when fused)."""
        return PreprocessSpec.from_dict({**self.preprocessing.to_dict(), "layout": spec.layout})

    @classmethod
    def read(cls, folder: Path | str) -> ModelJson:
        """Parse and validate ``folder/model.json``; check every listed file's SHA-256."""
        folder = Path(folder)
        path = folder / MODEL_JSON
        if not path.is_file():
            raise ModelFormatError(path, "missing: not an xport bundle folder", "pass the folder that holds model.json "
                                   "(assets/ of an Android bundle, Resources/ of an iOS one)")
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelFormatError(path, f"is not valid JSON ({exc})") from None
        if d.get("format") != FORMAT or d.get("format_version") != FORMAT_VERSION:
            raise ModelFormatError(path, f"is not an {FORMAT} v{FORMAT_VERSION} file (format={d.get('format')!r}, "
                                   f"format_version={d.get('format_version')!r})")
        try:
            parsed = cls(d["platform"], d["model"], PreprocessSpec.from_dict({**d["preprocessing"], "layout": "NCTHW"}),
                         tuple(BundledModel.from_dict(m) for m in d["models"]), d["outputs"], d["files"],
                         d.get("xport_version", ""))
        except KeyError as exc:
            raise ModelFormatError(path, f"lacks the key {exc}") from None
        parsed.check_files(folder)
        for m in parsed.models:
            if m.stream:
                check_stream_inputs(m, parsed.preprocessing)
                continue
            for spec in m.inputs:
                check_layout(spec, parsed.preprocessing, m.file)
        return parsed

    def check_files(self, folder: Path) -> None:
        """Every listed file exists and has its SHA-256; every model and labels file is listed."""
        for name in [m.file for m in self.models] + [self.outputs.get("labels", LABELS_FILE)]:
            if name not in self.files and not any(f.startswith(name + "/") for f in self.files):
                raise ModelFormatError(folder / MODEL_JSON, f"names '{name}' but has no checksum for it")
        for name, expected in self.files.items():
            path = folder / name
            if not path.is_file():
                raise ModelFormatError(path, "is listed in model.json but missing from the bundle",
                                       "copy the whole bundle folder, or package it again")
            if sha256(path) != expected:
                raise ModelFormatError(path, "SHA-256 mismatch: the file changed after packaging (tampered, "
                                       "truncated or replaced)", "restore it from the bundle or package again")


def check_layout(spec: TensorSpec, prep: PreprocessSpec, file: str) -> None:
    """The input's layout is known and agrees with its shape and the preprocessing (frames, crop, RGB)."""
    if spec.layout not in LAYOUTS:
        raise XportError(f"model.json: input '{spec.name}' of {file} has layout '{spec.layout}'; "
                         f"expected one of {', '.join(LAYOUTS)}")
    expected = PreprocessSpec.from_dict({**prep.to_dict(), "layout": spec.layout}).input_shape()
    if not spec.matches(expected):
        raise XportError(f"model.json: input '{spec.name}' of {file} says layout {spec.layout}, which with "
                         f"{prep.frames} frames of {prep.crop[0]}x{prep.crop[1]} RGB means shape {list(expected)}, "
                         f"but its shape is {list(spec.shape)}; the layout or the preprocessing is wrong")


def check_stream_inputs(m: BundledModel, prep: PreprocessSpec) -> None:
    """A stream model takes one preprocessed frame (N, C, H, W), then exactly the states its contract lists."""
    n, c, _, h, w = prep.input_shape()
    frame, *states = m.inputs
    if frame.layout not in ("NCHW", "NHWC") or frame.model_shape() != (n, c, h, w):
        raise XportError(f"model.json: the frame input '{frame.name}' of {m.file} is {frame.layout} "
                         f"{list(frame.shape)}; the preprocessing gives NCHW {[n, c, h, w]}")
    listed = [(s["name"], tuple(s["shape"])) for s in m.stream["states"]]
    if [(s.name, s.model_shape()) for s in states] != listed:
        raise XportError(f"model.json: the state inputs of {m.file} are not those its stream contract lists "
                         f"({len(states)} inputs, {len(listed)} states)")

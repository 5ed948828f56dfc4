"""The ``.mlpackage`` folder: where its parts are, where xport's manifest lives, and the checks made on opening.

A package is a folder: ``Manifest.json`` (Apple's package manifest, naming the root model item) and
``Data/com.apple.CoreML/`` holding ``model.mlmodel`` (the ML Program protobuf) and ``weights/weight.bin``.

xport's manifest is the user-defined metadata entry ``xport.json`` of the model, so it travels inside the
protobuf and apps can read it (``MLModel.modelDescription.metadata``). It records the SHA-256 of every weight
file, and of ``model.mlmodel`` itself, computed with the 64 hex digits of that very record set to ``0`` (the
way checksums inside headers work). A flipped byte in a weight would otherwise pass every format check and
silently change the outputs; a truncated protobuf can still parse.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

from xport.artifact import MANIFEST_KEY, Manifest
from xport.errors import ModelFormatError

from . import BACKEND

with BACKEND.quiet():
    from coremltools.proto import Model_pb2
    from google.protobuf.message import DecodeError

SPEC_CHECKSUM = "mlmodel_sha256"  # in manifest.extra["coreml"]
WEIGHTS_CHECKSUMS = "weights_sha256"
PLACEHOLDER = "0" * 64
_CHECKSUM = re.compile(rb'"' + SPEC_CHECKSUM.encode() + rb'":\s*"([0-9a-f]{64})"')
_REEXPORT = "the package is incomplete or damaged; export it again (copy .mlpackage folders whole, e.g. cp -r)"


def _fail(path: Path, problem: str, hint: str = _REEXPORT) -> ModelFormatError:
    return ModelFormatError(path, problem, hint)


def spec_path(package: Path) -> Path:
    """The root model file of ``package`` (``model.mlmodel``), as its ``Manifest.json`` names it."""
    package = Path(package)
    if not package.exists():
        raise ModelFormatError(package, "no such file or folder")
    if not package.is_dir():
        raise _fail(package, "not a Core ML package: an .mlpackage is a folder (Manifest.json and Data/), this "
                             "is a file")
    index = package / "Manifest.json"
    if not index.is_file():
        raise _fail(package, "no Manifest.json in the package folder")
    try:
        entries = json.loads(index.read_text())
        root = entries["itemInfoEntries"][entries["rootModelIdentifier"]]
        path = package / "Data" / root["path"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise _fail(package, f"its Manifest.json is damaged ({type(exc).__name__})") from exc
    if not path.is_file():
        raise _fail(package, f"its model file Data/{root['path']} is missing")
    return path


def read_spec(package: Path):
    """The program protobuf (``Model_pb2.Model``) of a package, without any check beyond parsing."""
    spec = Model_pb2.Model()
    spec.ParseFromString(spec_path(package).read_bytes())
    return spec


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(data: bytes, span: tuple[int, int]) -> str:
    start, end = span
    return hashlib.sha256(data[:start] + PLACEHOLDER.encode() + data[end:]).hexdigest()


def weight_files(model_file: Path) -> dict[str, Path]:
    """Weight files next to the model file, by path relative to its folder."""
    folder = model_file.parent
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file() and p != model_file}


def write_manifest(package: Path, manifest: Manifest) -> Manifest:
    """Store ``manifest`` (with weight and program checksums added) in the saved package; return it as stored."""
    model_file = spec_path(package)
    spec = Model_pb2.Model()
    spec.ParseFromString(model_file.read_bytes())
    coreml = dict(manifest.extra.get("coreml", {}))
    coreml[WEIGHTS_CHECKSUMS] = {name: sha256(p) for name, p in weight_files(model_file).items()}
    coreml[SPEC_CHECKSUM] = PLACEHOLDER
    manifest = replace(manifest, extra={**manifest.extra, "coreml": coreml})
    spec.description.metadata.userDefined[MANIFEST_KEY] = manifest.to_json()
    data = spec.SerializeToString()
    found = [m for m in _CHECKSUM.finditer(data) if m.group(1) == PLACEHOLDER.encode()]
    if len(found) != 1:
        raise ValueError(f"expected one checksum placeholder in the serialized program, found {len(found)}")
    span = found[0].span(1)
    digest = _digest(data, span)
    model_file.write_bytes(data[:span[0]] + digest.encode() + data[span[1]:])
    coreml[SPEC_CHECKSUM] = digest
    return manifest


def open_package(package: Path) -> tuple[object, Manifest, Path]:
    """(program protobuf, xport manifest, model folder) of a package, after checking every file's checksum."""
    package = Path(package)
    model_file = spec_path(package)
    data = model_file.read_bytes()
    spec = Model_pb2.Model()
    try:
        spec.ParseFromString(data)
    except DecodeError as exc:
        raise _fail(package, f"its program ({model_file.name}) is not a readable Core ML model ({exc})") from exc
    text = spec.description.metadata.userDefined.get(MANIFEST_KEY)
    if text is None:
        raise ModelFormatError(package, "no xport manifest in its metadata", "export it with xport")
    try:
        manifest = Manifest.from_json(text)
        coreml = manifest.extra["coreml"]
        recorded = dict(coreml[WEIGHTS_CHECKSUMS])
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(package, f"its xport manifest is unreadable ({type(exc).__name__})") from exc
    found = list(_CHECKSUM.finditer(data))
    if len(found) != 1 or _digest(data, found[0].span(1)) != found[0].group(1).decode():
        raise _fail(package, f"its program ({model_file.name}) does not match the checksum recorded at export")
    present = weight_files(model_file)
    for name, digest in recorded.items():
        if name not in present:
            raise _fail(package, f"its weight file {name} is missing")
        if sha256(present[name]) != digest:
            raise _fail(package, f"its weight file {name} does not match the checksum recorded at export")
    return spec, manifest, model_file.parent

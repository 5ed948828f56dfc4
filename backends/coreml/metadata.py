"""What a Core ML model says about itself in Xcode and to apps: descriptions, authorship, labels."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from xport.artifact import Manifest
from xport.errors import XportError


def _labels(value: Any) -> list[str]:
    if isinstance(value, str):
        raise XportError("class_labels must be a list of class names, not one string")
    return [str(v) for v in value]


def describe(mlmodel, manifest: Manifest, settings: Mapping[str, Any], summary: str) -> None:
    """Set the model's descriptions and metadata (in place) from the manifest and the metadata options."""
    labels = _labels(settings["class_labels"])
    outputs = manifest.outputs
    if labels and (len(outputs) != 1 or outputs[0].shape[-1] != len(labels)):
        raise XportError(f"class_labels has {len(labels)} names, but the model's output is "
                         f"{[list(o.shape) for o in outputs]}; give one name per class of the last axis")
    mlmodel.author = settings["author"] or "exported with xport"
    mlmodel.license = settings["license"]
    mlmodel.version = settings["version"]
    mlmodel.short_description = settings["description"] or f"{manifest.source} ({summary})"
    preprocessing = settings["preprocessing"]
    for spec in manifest.inputs:
        text = f"{spec.describe()}, in the PyTorch model's axis order"
        mlmodel.input_description[spec.name] = text + (f"; {preprocessing}" if preprocessing else "")
    for spec in outputs:
        kind = f", scores of {len(labels)} classes (class_labels in the metadata)" if labels else ""
        mlmodel.output_description[spec.name] = f"{spec.describe()}{kind}"
    meta = mlmodel.user_defined_metadata
    meta["xport.version"] = manifest.xport_version
    meta["xport.source_model"] = manifest.source
    meta["xport.precision"] = manifest.precision
    if preprocessing:
        meta["preprocessing"] = preprocessing
    if labels:
        meta["class_labels"] = json.dumps(labels)


def summary_of(precision: str, compute: str, target: str, compression: str) -> str:
    return f"xport {precision}: {compute} arithmetic, {compression}, for {target}+"

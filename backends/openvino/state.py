"""A stream model's state as OpenVINO variables (``ReadValue``/``Assign``), the runtime's native state.

The stream step xport makes has explicit state: every state tensor is an input and comes back as an output. On
OpenVINO's CPU plugin that costs a layout reorder per state tensor and step, into the plugin's blocked layout and back
(X3D-XS: 44 tensors, 12.7 MB each way), and it made a step slower than a whole 4-frame clip. OpenVINO's
``MakeStateful`` transformation pairs each state input with its output as one variable that stays inside the plugin,
in its own layout: the IR then takes the frame alone and returns the outputs alone. The variables start at zero (a
new stream) and ``InferRequest.reset_state()`` sets them back to zero; the manifest's stream contract says
``native_state``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import openvino as ov
from openvino._offline_transformations import apply_make_stateful_transformation

from xport.artifact import Manifest


def make_stateful(model: ov.Model, manifest: Manifest) -> tuple[ov.Model, Manifest]:
    """``model`` (named as ``manifest`` says) with its state inputs/outputs turned into variables."""
    contract: dict[str, Any] = manifest.extra["stream"]
    outputs = int(contract["outputs"])
    pairs = {state["name"]: manifest.outputs[outputs + i].name for i, state in enumerate(contract["states"])}
    apply_make_stateful_transformation(model, pairs)
    extra = {**manifest.extra, "stream": {**contract, "native_state": True}}
    return model, replace(manifest, inputs=manifest.inputs[:1], outputs=manifest.outputs[:outputs], extra=extra)

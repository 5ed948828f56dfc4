"""Every spec op × every backend: export a one-op model, run it in the backend's runtime, compare."""

from __future__ import annotations

import pytest

import xport
from xport.capture import capture, describe
from xport.spec import SPEC

from .helpers import seeded
from .op_models import OP_MODELS

# The .ort conversion is covered by the model tests; skip it here to keep the op matrix fast.
FAST_OPTIONS = {"onnx": {"ort_format": False}}


def test_every_spec_op_has_a_case():
    covered = {op for op, _, _ in OP_MODELS.values()}
    assert covered == set(SPEC.names()), f"spec ops without a test case: {set(SPEC.names()) - covered}"


@pytest.mark.parametrize("case", sorted(OP_MODELS))
def test_case_captures_its_op(case):
    op, factory, shape = OP_MODELS[case]
    ops = {info.op for info in describe(capture(factory(), (seeded(shape),)).graph)}
    assert op in ops, f"{case} captured as {sorted(ops)}"


def op_artifact(exports, case: str, backend: str) -> xport.Artifact:
    """The export of op case ``case`` to ``backend``, shared with the ARM stage (the run's export cache)."""
    _op, factory, shape = OP_MODELS[case]
    return exports.export(f"op/{case}", factory().eval(), (seeded(shape),), backend, **FAST_OPTIONS.get(backend, {}))


@pytest.mark.parametrize("case", sorted(OP_MODELS))
def test_op_matches_eager(case, backend, exports):
    artifact = op_artifact(exports, case, backend)
    assert artifact.path.is_file() or artifact.path.is_dir() and any(artifact.path.iterdir())  # Core ML: a folder
    report = xport.verify(OP_MODELS[case][1]().eval(), artifact, strict=False)
    assert report.passed, str(report)
    assert report.samples >= 3

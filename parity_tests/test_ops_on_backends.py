"""Every spec op × every backend: export a one-op model, run it in the backend's runtime, compare."""

from __future__ import annotations

import pytest

from xport.capture import capture, describe
from xport.spec import SPEC

from .helpers import export_verified, seeded
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


@pytest.mark.parametrize("case", sorted(OP_MODELS))
def test_op_matches_eager(case, backend, tmp_path):
    _op, factory, shape = OP_MODELS[case]
    model = factory().eval()
    artifact, report = export_verified(model, (seeded(shape),), backend, tmp_path / case,
                                       **FAST_OPTIONS.get(backend, {}))
    assert artifact.path.is_file() or artifact.path.is_dir() and any(artifact.path.iterdir())  # Core ML: a folder
    assert report.samples >= 3

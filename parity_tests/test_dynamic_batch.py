"""export(..., dynamic_batch=True): one artifact for any batch size, where the backend allows it."""

from __future__ import annotations

import pytest
import torch

import xport
from xport.efficient_ops import create_model

from .helpers import require_backend, seeded

DYNAMIC = [n for n in xport.backends.names() if xport.backends.get(n).caps.dynamic_batch]
FIXED = [n for n in xport.backends.names() if not xport.backends.get(n).caps.dynamic_batch]


@pytest.fixture(scope="module")
def model():
    return create_model("tiny_video_cnn")


@pytest.mark.parametrize("backend", DYNAMIC)
def test_any_batch_size(model, backend, tmp_path):
    require_backend(backend)
    artifact = xport.export(model, seeded((2, 3, 4, 64, 64)), backend, tmp_path, dynamic_batch=True)
    assert artifact.manifest.inputs[0].shape == (-1, 3, 4, 64, 64)
    assert artifact.manifest.outputs[0].shape == (-1, 10)
    inputs = [(seeded((batch, 3, 4, 64, 64), batch),) for batch in (1, 3, 5)]
    assert xport.verify(model, artifact, inputs=inputs).passed
    assert xport.verify(model, xport.load(artifact.path)).passed  # defaults use batch 1
    with pytest.raises(xport.InputSpecError, match=r"expected float32 tensor of shape \[N, 3, 4, 64, 64\]"):
        artifact.run(seeded((2, 3, 4, 64, 32)))


@pytest.mark.parametrize("backend", FIXED)
def test_fixed_batch_backends_say_so(model, backend, tmp_path):
    require_backend(backend)
    with pytest.raises(xport.XportError, match=f"backend '{backend}' artifacts have a fixed batch size"):
        xport.export(model, seeded((2, 3, 4, 64, 64)), backend, tmp_path, dynamic_batch=True)


def test_conv3d_taps_refuse_a_dynamic_batch(model, tmp_path):
    require_backend("onnx")
    with pytest.raises(xport.XportError, match="conv3d → conv2d rewrite needs a static batch size"):
        xport.export(model, seeded((2, 3, 4, 64, 64)), "onnx", tmp_path / "out", dynamic_batch=True,
                     decompose=("conv3d",))
    assert not (tmp_path / "out").exists()


def test_static_export_rejects_other_batch_sizes(model, tmp_path):
    require_backend("onnx")
    artifact = xport.export(model, seeded((1, 3, 4, 64, 64)), "onnx", tmp_path, ort_format=False)
    with pytest.raises(xport.InputSpecError, match=r"shape \[1, 3, 4, 64, 64\], got float32 tensor of shape \[2"):
        artifact.run(torch.zeros(2, 3, 4, 64, 64))

"""export(..., dynamic_batch=True): one artifact for any batch size, where the backend allows it."""

from __future__ import annotations

import pytest
import torch

import xport
from xport.cli import main
from xport.efficient_ops import create_model

from .helpers import require_backend, seeded
from .video_families import FAMILIES

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


@pytest.mark.parametrize("backend", DYNAMIC)
def test_cli_dynamic_batch_from_the_cards_batch_1_example(backend, tmp_path, capsys):
    # torch.export pins an axis of size 1 to the constant 1; the card's example is batch 1.
    require_backend(backend)
    out = tmp_path / "art"
    assert main(["-q", "export", "tiny_video_cnn", "--backend", backend, "--dynamic-batch", "--out", str(out)]) == 0
    artifact = xport.load(capsys.readouterr().out.splitlines()[0])  # the first file export prints
    assert artifact.manifest.inputs[0].shape[0] == -1
    assert artifact.run(seeded((3, *artifact.manifest.inputs[0].shape[1:]))).shape[0] == 3


@pytest.mark.parametrize("backend", DYNAMIC)
@pytest.mark.parametrize("family", ["tsm_zeros_shift", "timesformer_mha", "video_swin"])
def test_models_that_compute_shapes_from_the_batch_take_any_batch(family, backend, tmp_path):
    # `n, c, t, h, w = x.shape; x.reshape(n * t, ...)` is size arithmetic on the symbolic batch, and TSM's
    # zeros_like buffer has the input's run-time shape: neither may be refused as "outside the op spec".
    require_backend(backend)
    factory, (shape,) = FAMILIES[family]
    model = factory()
    artifact = xport.export(model, seeded(shape), backend, tmp_path, dynamic_batch=True)
    inputs = [(seeded((batch, *shape[1:]), batch),) for batch in (1, 3)]
    assert xport.verify(model, artifact, inputs=inputs).passed

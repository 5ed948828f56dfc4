"""The public API as users call it: export, load, verify, check, Artifact."""

from __future__ import annotations

import copy

import pytest
import torch

import xport

from .helpers import require_backend, seeded


@pytest.fixture(scope="module")
def onnx_artifact(tiny_model, tmp_path_factory):
    require_backend("onnx")
    out = tmp_path_factory.mktemp("onnx")
    return xport.export(tiny_model, tiny_model.default_cfg.example_input(), "onnx", out, ort_format=False)


def test_artifact_fields(onnx_artifact):
    a = onnx_artifact
    assert (a.backend, a.precision) == ("onnx", "fp32")
    assert a.path.name == "model.onnx" and a.path in a.files
    assert a.manifest.inputs[0].shape == (1, 3, 4, 64, 64)
    assert a.manifest.outputs[0].shape == (1, 10)
    assert "onnxruntime" in a.runtime


def test_run_returns_tensor_and_accepts_numpy(onnx_artifact, tiny_model):
    x = seeded((1, 3, 4, 64, 64), 5)
    out = onnx_artifact.run(x)
    assert isinstance(out, torch.Tensor) and out.shape == (1, 10)
    torch.testing.assert_close(onnx_artifact.run(x.numpy()), out)
    torch.testing.assert_close(out, tiny_model(x), rtol=1e-4, atol=1e-5)


def test_load_round_trip(onnx_artifact, tiny_model):
    loaded = xport.load(onnx_artifact.path)
    assert loaded.manifest == onnx_artifact.manifest
    report = xport.verify(tiny_model, loaded)
    assert report.passed and report.samples == 3


def test_verify_defaults_and_report_text(onnx_artifact, tiny_model):
    report = xport.verify(tiny_model, onnx_artifact)
    assert report.samples == 4  # the example input + 2 seeded random + 1 structured
    assert report.top1_agreement == 1.0 and report.cosine > 0.99999
    assert "parity PASSED" in str(report) and "SQNR" in str(report)


def test_verify_raises_on_a_different_model(onnx_artifact, tiny_model):
    other = copy.deepcopy(tiny_model)
    with torch.no_grad():
        other.fc.weight.mul_(1.01)  # a 1 % weight change: far outside fp32 tolerance
    with pytest.raises(xport.ParityError, match="max rel error"):
        xport.verify(other, onnx_artifact)
    report = xport.verify(other, onnx_artifact, strict=False)
    assert not report.passed and report.failures


def test_verify_with_user_inputs(onnx_artifact, tiny_model):
    inputs = [(seeded((1, 3, 4, 64, 64), s),) for s in range(3)]
    assert xport.verify(tiny_model, onnx_artifact, inputs=inputs).samples == 3


def test_check_reports_every_backend(tiny_model):
    reports = xport.check(tiny_model, tiny_model.default_cfg.example_input())
    assert set(reports) == set(xport.backends.names())
    ts = reports["torchscript"]
    assert ts.ok and ts.of("decomposed")
    details = {v.detail for v in ts.of("decomposed")}
    assert any("conv2d tap" in d for d in details) and any("folded" in d for d in details)
    assert "torchscript @ fp32" in str(ts)


def test_export_precision_not_supported(tiny_model, tmp_path):
    require_backend("onnx")
    with pytest.raises(xport.XportError, match="does not support precision 'int4'"):
        xport.export(tiny_model, tiny_model.default_cfg.example_input(), "onnx", tmp_path, precision="int4")


def test_unknown_backend_and_option(tiny_model, tmp_path):
    with pytest.raises(xport.XportError, match="unknown backend 'tensorrt'"):
        xport.export(tiny_model, tiny_model.default_cfg.example_input(), "tensorrt", tmp_path)
    require_backend("onnx")
    with pytest.raises(xport.XportError, match=r"unknown option\(s\) \['opset_version'\].*opset"):
        xport.export(tiny_model, tiny_model.default_cfg.example_input(), "onnx", tmp_path, opset_version=17)


def test_multiple_inputs_and_outputs(backend, tmp_path):
    class TwoInTwoOut(torch.nn.Module):
        def forward(self, clip, scale):
            y = torch.relu(clip) * scale
            return y.mean(dim=(2, 3, 4)), y.sum(dim=1)

    model = TwoInTwoOut().eval()
    inputs = (seeded((1, 3, 2, 4, 4)), seeded((1, 3, 1, 1, 1), 1))
    artifact = xport.export(model, inputs, backend, tmp_path)
    assert [s.name for s in artifact.manifest.inputs] == ["clip", "scale"]
    out = artifact.run(*inputs)
    assert isinstance(out, tuple) and len(out) == 2
    assert xport.verify(model, artifact).passed

"""ONNX at fp16 (what optimum-cli users know as --dtype fp16): float16 weights and arithmetic, float32 inputs and
outputs, verified in ONNX Runtime with the fp16 tolerance; and a bad opset gets one clean error."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import xport
from xport.cli import main

from .helpers import require_backend


@pytest.fixture(autouse=True)
def _onnx():
    require_backend("onnx")


def test_cli_exports_and_verifies_onnx_fp16(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["-q", "export", "tiny_video_cnn", "--backend", "onnx", "--precision", "fp16", "--out", "o"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "parity PASSED: onnx fp16" in out and "(tol 0.01)" in out  # the fp16 tolerance, not fp32's 1e-4
    model = onnx.load(str(tmp_path / "o" / "model.onnx"))
    weights = [i for i in model.graph.initializer if i.dims and np.prod(i.dims) > 8]
    assert weights and all(i.data_type == onnx.TensorProto.FLOAT16 for i in weights)
    session = ort.InferenceSession(str(tmp_path / "o" / "model.ort"), providers=["CPUExecutionProvider"])
    assert [i.type for i in session.get_inputs()] == ["tensor(float)"]  # apps feed float32 as at fp32
    loaded = xport.load(tmp_path / "o" / "model.onnx")
    assert loaded.precision == "fp16" and loaded.manifest.inputs[0].dtype == "float32"
    assert "fp16" in xport.backends.get("onnx").caps.precisions


def test_bad_opset_prints_only_the_clean_error(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "tiny_video_cnn", "--backend", "onnx", "--option", "opset=99", "--out", "o"]) == 2
    captured = capfd.readouterr()
    text = captured.out + captured.err
    assert "error: torch.onnx could not write opset 99; choose an opset from 18 to" in text
    assert "Traceback" not in text and "version converter" not in text and "ONNX C API" not in text
    assert not (tmp_path / "o").exists()  # refused before any work

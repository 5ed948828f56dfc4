"""`xport verify` of files xport did not write: a `torch.onnx.export` .onnx and a traced .ptl (no xport manifest),
with input shapes from the file, else --input-shape, else the model card, and the report saying which."""

from __future__ import annotations

import warnings

import pytest
import torch

import xport
from xport.cli import main
from xport.efficient_ops import create_model

from .helpers import require_backend


@pytest.fixture(scope="module")
def tiny():
    return create_model("tiny_video_cnn")


@pytest.fixture(scope="module")
def foreign_files(tiny, tmp_path_factory):
    """The tiny model as a user's own tools write it: ONNX with a symbolic batch, and a traced lite-interpreter file."""
    require_backend("onnx")
    require_backend("torchscript")
    folder = tmp_path_factory.mktemp("foreign")
    clip = tiny.default_cfg.example_input()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.onnx's and the lite interpreter's deprecation notices
        torch.onnx.export(tiny, (clip,), str(folder / "own.onnx"), dynamo=False, input_names=["clip"],
                          dynamic_axes={"clip": {0: "batch"}})
        torch.onnx.export(tiny, (clip,), str(folder / "static.onnx"), dynamo=False, input_names=["clip"])
        torch.jit.trace(tiny, clip)._save_for_lite_interpreter(str(folder / "own.ptl"))
    return folder


def _verify(folder, monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(folder)
    code = main(["-q", "verify", "tiny_video_cnn", *args])
    return code, capsys.readouterr().out


def test_torch_onnx_export_file_verifies_with_the_cards_batch(foreign_files, monkeypatch, capsys):
    code, out = _verify(foreign_files, monkeypatch, capsys, "own.onnx")
    assert code == 0, out
    assert "parity PASSED: onnx fp32" in out
    assert "not written by xport: input shape(s) [1,3,4,64,64] from the model card (the file's are [N,3,4,64,64])" \
        in out


def test_static_onnx_shapes_come_from_the_file(foreign_files, monkeypatch, capsys):
    code, out = _verify(foreign_files, monkeypatch, capsys, "static.onnx", "--input-shape", "2,3,4,64,64")
    assert code == 0, out
    assert "input shape(s) [1,3,4,64,64] from the file (--input-shape gives [2,3,4,64,64], not used)" in out


def test_traced_ptl_verifies_with_input_shape(foreign_files, monkeypatch, capsys):
    code, out = _verify(foreign_files, monkeypatch, capsys, "own.ptl", "--input-shape", "2,3,4,64,64")
    assert code == 0, out
    assert "parity PASSED: torchscript fp32" in out and "3 input(s)" in out
    assert "input shape(s) [2,3,4,64,64] from --input-shape" in out


def test_foreign_ptl_without_shapes_asks_for_them(foreign_files):
    with pytest.raises(xport.XportError, match=r"records no input shapes; give the input shape: input_shapes= "
                                               r"\(CLI: --input-shape N,C,T,H,W\)"):
        xport.load(foreign_files / "own.ptl")


def test_python_load_takes_input_shapes(foreign_files, tiny):
    artifact = xport.load(foreign_files / "own.onnx", input_shapes=[(3, 3, 4, 64, 64)])
    assert artifact.manifest.inputs[0].shape == (3, 3, 4, 64, 64)
    clip = torch.randn(3, 3, 4, 64, 64)
    assert torch.allclose(artifact.run(clip), tiny(clip), atol=1e-5)
    with pytest.raises(xport.XportError, match=r"gives 3,1,4,64,64 for input 'clip', which the file declares as "
                                               r"N,3,4,64,64"):
        xport.load(foreign_files / "own.onnx", input_shapes=[(3, 1, 4, 64, 64)])


# ov.convert_model traces a torch module with torch.jit.trace, which torch 2.13 deprecates.
@pytest.mark.filterwarnings(r"ignore:`torch\.jit\.trace(_method)?` is deprecated:DeprecationWarning")
def test_openvino_own_ir_verifies_and_its_precision_is_read_from_its_ops(tiny, tmp_path, monkeypatch, capsys):
    """An IR from OpenVINO's own converter (no xport manifest) loads, with its shapes; fp16 weights say fp16."""
    require_backend("openvino")
    import openvino as ov

    clip = tiny.default_cfg.example_input()
    converted = ov.convert_model(tiny, example_input=clip)
    converted.reshape({converted.inputs[0]: list(clip.shape)})
    for precision in ("fp32", "fp16"):
        ov.save_model(converted, str(tmp_path / f"{precision}.xml"), compress_to_fp16=precision == "fp16")
        assert xport.load(tmp_path / f"{precision}.xml").manifest.precision == precision
    code, out = _verify(tmp_path, monkeypatch, capsys, "fp32.xml")
    assert code == 0, out
    assert "parity PASSED: openvino fp32" in out and "not written by xport: input shape(s) [1,3,4,64,64] from the " \
        "file" in out

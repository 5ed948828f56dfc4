"""Bad input gets a clear error and loses nothing."""

from __future__ import annotations

import shutil

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import xport
from xport.atomic import staged_output

from .helpers import require_backend, seeded, tiny_artifact

CLIP = (1, 3, 4, 64, 64)


class Warp(nn.Module):
    def forward(self, x):
        return F.grid_sample(x, torch.zeros(x.shape[0], 8, 8, 2), align_corners=False)


class CumProd(nn.Module):
    def forward(self, x):
        return x.cumprod(-1)


class WithOutOfSpecOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.warp = Warp()
        self.act = CumProd()

    def forward(self, x):
        return self.act(self.warp(self.stem(x)))


def test_unsupported_ops_are_all_named(backend, tmp_path):
    with pytest.raises(xport.UnsupportedOpError) as err:
        xport.export(WithOutOfSpecOps(), seeded((1, 3, 8, 8)), backend, tmp_path / "out")
    e = err.value
    assert e.backend == backend
    assert {(n.op, n.module_path) for n in e.nodes} == {("aten.grid_sampler_2d.default", "warp"),
                                                        ("aten.cumprod.default", "act")}
    text = str(e)
    assert "grid_sample has no efficient mobile kernel" in text and "'warp'" in text
    assert f"backend '{backend}'" in text and "Fix:" in text
    assert not (tmp_path / "out").exists()


def test_check_lists_unsupported_with_hints():
    reports = xport.check(WithOutOfSpecOps(), seeded((1, 3, 8, 8)))
    for report in reports.values():
        assert not report.ok
        assert {v.info.module_path for v in report.of("unsupported")} == {"warp", "act"}
        assert "fix:" in str(report)


class Nonzero(nn.Module):
    def forward(self, x):
        return torch.nonzero(x > 0).float().sum() + x.sum()


def test_data_dependent_shape_is_refused_before_export(tmp_path):
    with pytest.raises(xport.UnsupportedOpError) as err:
        xport.export(Nonzero(), seeded((2, 4)), "onnx", tmp_path / "out")
    assert err.value.nodes[0].op == "aten.nonzero.default"
    assert "depends on the input values" in str(err.value) and "multiply by a mask" in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def artifacts(exports):
    """One artifact per available backend (skipping the ones that are missing)."""
    return {name: tiny_artifact(exports, name) for name in xport.backends.available()}


@pytest.mark.parametrize("bad, expected", [
    (lambda: seeded((1, 3, 4, 64, 32)), r"input 0 \('x'\): expected float32 tensor of shape \[1, 3, 4, 64, 64\], "
                                        r"got float32 tensor of shape \[1, 3, 4, 64, 32\]"),
    (lambda: seeded((3, 4, 64, 64)), "batch dimension missing"),
    (lambda: seeded(CLIP).double(), r"got float64 .* convert with .to\(torch.float32\)"),
    (lambda: [[1.0, 2.0]], "got list"),
])
def test_wrong_input_to_run(artifacts, backend, bad, expected):
    with pytest.raises(xport.InputSpecError, match=expected):
        artifacts[backend].run(bad())


def test_wrong_input_count(artifacts, backend):
    with pytest.raises(xport.InputSpecError, match=r"expected 1 input\(s\) \(x\), got 2"):
        artifacts[backend].run(seeded(CLIP), seeded(CLIP))


def _damaged(data: bytes, damage: str) -> bytes:
    return {"truncate": data[: len(data) // 2], "garbage": bytes(range(256)) * 64, "empty": b""}[damage]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_file_is_a_model_format_error(artifacts, backend, damage, tmp_path):
    source = artifacts[backend].path
    bad = tmp_path / source.name
    if source.is_dir():  # a package folder (Core ML .mlpackage): damage every file in it, or leave it empty
        shutil.copytree(source, bad)
        for f in (f for f in bad.rglob("*") if f.is_file()):
            f.unlink() if damage == "empty" else f.write_bytes(_damaged(f.read_bytes(), damage))
    else:
        bad.write_bytes(_damaged(source.read_bytes(), damage))
    with pytest.raises(xport.ModelFormatError, match=bad.name):
        xport.load(bad)


def test_load_missing_and_unknown_files(tmp_path):
    require_backend("onnx")
    with pytest.raises(xport.ModelFormatError, match="no such file"):
        xport.load(tmp_path / "absent.onnx")
    with pytest.raises(xport.ModelFormatError, match=r"unknown artifact type '.tflite2'"):
        xport.load(tmp_path / "model.tflite2")


def test_non_empty_output_dir_needs_overwrite(tiny_model, backend, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(xport.OutputDirError, match="not empty .*overwrite=True"):
        xport.export(tiny_model, seeded(CLIP), backend, tmp_path)
    artifact = xport.export(tiny_model, seeded(CLIP), backend, tmp_path, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me" and artifact.path.exists()


def test_output_dir_that_cannot_be_created(tiny_model, backend, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(xport.OutputDirError, match="cannot create"):
        xport.export(tiny_model, seeded(CLIP), backend, blocker / "sub" / "out")
    with pytest.raises(xport.OutputDirError, match="not a directory"):
        xport.export(tiny_model, seeded(CLIP), backend, blocker)


def test_failed_export_leaves_nothing(tiny_model, tmp_path):
    require_backend("onnx")
    out = tmp_path / "out"
    with pytest.raises(xport.XportError, match="could not write opset 99"):
        xport.export(tiny_model, seeded(CLIP), "onnx", out, opset=99)  # torch.onnx would silently write 18
    assert list(tmp_path.iterdir()) == []


def test_artifact_name_must_be_a_plain_stem(tiny_model, backend, tmp_path):
    with pytest.raises(xport.XportError, match="plain file stem"):
        xport.export(tiny_model, seeded(CLIP), backend, tmp_path / "out", name="../escape")


def test_staged_output_is_all_or_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.onnx").write_text("previous")
    with pytest.raises(RuntimeError):
        with staged_output(out, overwrite=True) as stage:
            (stage / "model.onnx").write_text("half")
            raise RuntimeError("emit failed")
    assert (out / "model.onnx").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_model_that_cannot_be_captured(backend, tmp_path):
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.mean() > 0 else -x

    with pytest.raises(xport.CaptureError, match=r"(?s)Branchy.*x.mean\(\) > 0.*Fix:"):
        xport.export(Branchy(), seeded((1, 3)), backend, tmp_path)

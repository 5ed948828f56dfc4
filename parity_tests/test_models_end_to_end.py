"""Whole models through export → runtime → parity on every backend."""

from __future__ import annotations

import torch
from torch import nn

import xport
from xport.capture import describe

from .helpers import export_verified, seeded, tiny_artifact
from .op_models import _bn


class Conv3dKernels(nn.Module):
    """Every kernel shape X3D-class models use: (1,3,3), (3,1,1), (5,1,1), depthwise and dense (3,3,3)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.spatial = nn.Conv3d(3, 8, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False)
        self.temporal3 = nn.Conv3d(8, 8, (3, 1, 1), padding=(1, 0, 0))
        self.temporal5 = nn.Conv3d(8, 8, (5, 1, 1), padding=(2, 0, 0), groups=8, bias=False)
        self.bn = _bn(8)
        self.depthwise = nn.Conv3d(8, 8, 3, (1, 2, 2), 1, groups=8)
        self.dense = nn.Conv3d(8, 12, 3, (2, 1, 1), 1)
        self.head = nn.Linear(12, 5)

    def forward(self, x):
        x = torch.relu(self.temporal3(self.spatial(x)))
        x = torch.relu(self.bn(self.temporal5(x)))
        x = self.dense(nn.functional.hardswish(self.depthwise(x)))
        return self.head(x.mean(dim=(2, 3, 4)))


def test_conv3d_kernels_model(backend, tmp_path):
    model = Conv3dKernels().eval()
    artifact, report = export_verified(model, (seeded((1, 3, 6, 16, 16)),), backend, tmp_path / "out")
    assert report.max_rel < 1e-5


def test_tiny_video_cnn(tiny_model, backend, exports):
    artifact = tiny_artifact(exports, backend)
    report = xport.verify(tiny_model, artifact, strict=False)
    assert report.passed, str(report)
    assert report.top1_agreement == 1.0
    assert artifact.backend == backend and artifact.precision == "fp32"
    assert all(f.is_file() or f.suffix == ".mlpackage" and f.is_dir() for f in artifact.files)


def test_torchscript_default_plan_has_no_conv3d(tiny_model, tmp_path):
    from xport import backends
    from xport.capture import capture
    from xport.plan import plan

    be = backends.get("torchscript")
    planned = plan(capture(tiny_model, (tiny_model.default_cfg.example_input(),)), be.caps, "fp32", ("conv3d",))
    ranks = {i.attrs.rank for i in describe(planned.graph) if i.op == "conv"}
    assert ranks == {2}


def test_onnx_writes_ort_mobile_files(tiny_model, tmp_path):
    from .helpers import require_backend

    require_backend("onnx")
    x = tiny_model.default_cfg.example_input()
    artifact = xport.export(tiny_model, x, "onnx", tmp_path)
    names = {f.name for f in artifact.files}
    assert names == {"model.onnx", "model.ort", "model.required_operators.config"}
    config = (tmp_path / "model.required_operators.config").read_text()
    assert "Conv" in config
    ort_artifact = xport.load(tmp_path / "model.ort")  # ORT Mobile's format runs too
    torch.testing.assert_close(ort_artifact.run(x), tiny_model(x), rtol=1e-4, atol=1e-5)


def test_torchscript_writes_operator_list(tiny_model, tmp_path):
    from .helpers import require_backend

    require_backend("torchscript")
    artifact = xport.export(tiny_model, tiny_model.default_cfg.example_input(), "torchscript", tmp_path)
    ops = (tmp_path / "model.operators.yaml").read_text()
    assert "- aten::_convolution" in ops or "- aten::conv2d" in ops
    assert "aten::conv3d" not in ops
    assert artifact.files == (tmp_path / "model.ptl", tmp_path / "model.operators.yaml")

"""int8 TorchScript Lite: the QDQ program lowered to PyTorch's quantized (qnnpack) kernels, run in the lite interpreter.

The accuracy gate on a trained model is test_quant.py's, as for every int8 backend; here: X3D-XS within the int8
parity tolerance, the artifact's operator list proving the kernels are int8, and what this lowering refuses.
"""

from __future__ import annotations

import pytest
import torch

import xport
import xport.quant
from xport.backends import tolerance_for
from xport.efficient_ops import create_model
from xport.errors import UnsupportedOpError
from xport.tolerances import DEFAULT_TOLERANCES

from .helpers import require_backend

QUANTIZED_KERNELS = {"quantized::conv2d.new", "quantized::conv2d_relu.new", "quantized::add_relu", "quantized::mul"}


@pytest.fixture(autouse=True)
def _torchscript():
    require_backend("torchscript")


@pytest.fixture(scope="module")
def x3d_int8(tmp_path_factory):
    """X3D-XS (random weights) exported at int8, calibrated on 4 random clips: (model, artifact, clips)."""
    torch.manual_seed(0)
    model = create_model("efficient_x3d_xs").eval()
    clips = [torch.randn(1, 3, 4, 160, 160) for _ in range(4)]
    artifact = xport.export(model, clips[0], "torchscript", tmp_path_factory.mktemp("x3d"), "int8", calibration=clips)
    return model, artifact, clips


def test_x3d_xs_int8_runs_in_the_lite_interpreter_within_tolerance(x3d_int8):
    model, artifact, clips = x3d_int8
    assert tolerance_for("torchscript", "int8") is DEFAULT_TOLERANCES["int8"]
    loaded = xport.load(artifact.path)  # a fresh lite-interpreter module, as an app opens it
    assert "qnnpack" in loaded.runtime
    report = xport.verify(model, loaded, [(c,) for c in clips[:2]] + [(torch.randn(1, 3, 4, 160, 160),)],
                          strict=False)
    print(report)
    assert report.passed, str(report)


def test_operator_list_proves_int8_kernels(x3d_int8):
    _, artifact, _ = x3d_int8
    ops_file = artifact.path.with_name("model.operators.yaml")
    ops = {line[2:] for line in ops_file.read_text().splitlines() if line.startswith("- ")}
    assert QUANTIZED_KERNELS <= ops, sorted(ops)
    counts = artifact.manifest.extra["int8"]["quantized_ops"]
    assert counts["conv"] > 80  # X3D-XS: 116 convs, 31 on pooled vectors (squeeze-excitation, head)
    # Every conv is an int8 kernel but those on pooled vectors (squeeze-excitation), float by design and named so.
    float_convs = artifact.manifest.extra["int8"]["float_islands"].get("conv on a pooled vector", 0)
    assert bool({"aten::conv2d", "aten::_convolution", "aten::convolution", "aten::conv3d"} & ops) == bool(
        float_convs), sorted(ops)


def test_int8_conv3d_without_decomposition_is_refused_by_name(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv3d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv3d(4, 4, 1),
                                torch.nn.Flatten(1), torch.nn.Linear(4 * 2 * 4 * 4, 2)).eval()
    clips = [torch.randn(1, 3, 2, 4, 4) for _ in range(2)]
    with pytest.raises(UnsupportedOpError, match=r"conv.*conv3d.*decompose=\('conv3d',\)"):
        xport.export(model, clips[0], "torchscript", tmp_path, "int8", calibration=clips, decompose=())


class _Blocks(torch.nn.Module):
    """Each pattern of the lowering once: conv+relu6, linear+relu, add, mul, add of a constant, pad, max pool."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.offset = torch.nn.Parameter(torch.randn(1, 8, 1, 1))
        self.fc1 = torch.nn.Linear(8 * 5 * 5, 16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x):
        a = torch.nn.functional.relu6(self.conv1(x))
        b = self.conv2(a) + a
        c = torch.nn.functional.pad(b * torch.sigmoid(b), (1, 1, 1, 1))
        d = torch.nn.functional.max_pool2d(c + self.offset, 2)
        return self.fc2(torch.relu(self.fc1(d.flatten(1))))


def test_every_pattern_matches_the_qdq_program(tmp_path):
    torch.manual_seed(0)
    model = _Blocks().eval()
    clips = [torch.randn(1, 3, 8, 8) * 3 for _ in range(8)]
    artifact = xport.export(model, clips[0], "torchscript", tmp_path, "int8", calibration=clips)
    report = xport.verify(model, artifact, [(c,) for c in clips[:4]], strict=False)
    assert report.passed, str(report)
    ops = artifact.path.with_name("model.operators.yaml").read_text()
    assert all(op in ops for op in ("quantized::linear_relu", "quantized::add", "quantized::mul")), ops

"""int8 TorchScript Lite: the QDQ program lowered to PyTorch's quantized (qnnpack) kernels, run in the lite interpreter.

Gated like the other int8 backends (parity_tests/test_quant.py): the shipped trained direction model on held-out
clips, X3D-XS within the int8 parity tolerance, and the artifact's operator list proving the kernels are int8.
"""

from __future__ import annotations

import math

import pytest
import torch
from xport.efficient_ops import create_model

import xport
import xport.quant
from xport.errors import UnsupportedOpError
from xport.tolerances import tolerance_for

from .fixtures.train_direction_model import load_direction_model, moving_squares
from .helpers import require_backend

# int8 vs fp32 on the 96 held-out clips (16 calibration clips). Measured: SQNR 15.8 dB, top-1 agreement 100 %.
# The QDQ program of this backend's plan (conv3d lowered to conv2d) itself gives 15.9 dB (ORT's plan: 19.4 dB);
# the quantized kernels match it at 37 dB. Like INT8_GATES, the gate leaves ~3 dB for other CPUs' kernels and
# allows 2 flips in 96.
MIN_SQNR_DB, MIN_AGREEMENT = 13.0, 0.98
QUANTIZED_KERNELS = {"quantized::conv2d.new", "quantized::conv2d_relu.new", "quantized::add_relu", "quantized::mul"}


@pytest.fixture(autouse=True)
def _torchscript():
    require_backend("torchscript")


@pytest.fixture(scope="module")
def trained():
    """The shipped direction model: (model, 16 calibration clips from the training split, held-out clips, labels)."""
    model = load_direction_model()
    train_x, _ = moving_squares(512, seed=1)
    test_x, test_y = moving_squares(96, seed=2)
    return model, [train_x[i:i + 1] for i in range(16)], test_x, test_y


@pytest.fixture(scope="module")
def x3d_int8(tmp_path_factory):
    """X3D-XS (random weights) exported at int8, calibrated on 4 random clips: (model, artifact, clips)."""
    torch.manual_seed(0)
    model = create_model("efficient_x3d_xs").eval()
    clips = [torch.randn(1, 3, 4, 160, 160) for _ in range(4)]
    artifact = xport.export(model, clips[0], "torchscript", tmp_path_factory.mktemp("x3d"), "int8", calibration=clips)
    return model, artifact, clips


def _sqnr(ref: torch.Tensor, out: torch.Tensor) -> float:
    noise = float(((out - ref) ** 2).sum())
    return math.inf if noise == 0 else 10 * math.log10(float((ref**2).sum()) / noise)


def test_int8_holds_accuracy_on_held_out_clips(trained, tmp_path):
    model, clips, test_x, test_y = trained
    calibration = xport.quant.calibrate(model, clips, backends=["torchscript"])
    artifact = xport.export(model, test_x[:1], "torchscript", tmp_path, "int8", calibration=calibration)
    assert artifact.manifest.precision == "int8"
    with torch.no_grad():
        fp32 = model(test_x)
    int8 = torch.cat([artifact.run(test_x[i:i + 1]) for i in range(len(test_x))])
    sqnr, agreement = _sqnr(fp32, int8), float((int8.argmax(1) == fp32.argmax(1)).float().mean())
    print(f"torchscript int8 on 96 held-out clips: SQNR {sqnr:.1f} dB, top-1 agreement {agreement:.1%}")
    assert sqnr >= MIN_SQNR_DB and agreement >= MIN_AGREEMENT, (sqnr, agreement)
    accuracy_fp32 = float((fp32.argmax(1) == test_y).float().mean())
    assert float((int8.argmax(1) == test_y).float().mean()) >= accuracy_fp32 - 0.03
    islands = xport.load(artifact.path).manifest.extra["int8"]["float_islands"]
    assert {"silu", "sigmoid", "hardswish"} <= set(islands)


def test_x3d_xs_int8_runs_in_the_lite_interpreter_within_tolerance(x3d_int8):
    model, artifact, clips = x3d_int8
    assert tolerance_for("torchscript", "int8") is tolerance_for("*", "int8")
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
    # Every conv is an int8 kernel: no float convolution is left in the file.
    assert not {"aten::conv2d", "aten::_convolution", "aten::convolution", "aten::conv3d"} & ops, sorted(ops)
    counts = artifact.manifest.extra["int8"]["quantized_ops"]
    assert counts["conv"] > 100


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

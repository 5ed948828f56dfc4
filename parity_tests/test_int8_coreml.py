"""int8 on Core ML (iOS 17+): int8 activations as MIL quantize/dequantize and int8 constexpr weights.

The accuracy gate on a trained model is test_quant.py's, as for every int8 backend; here X3D-XS within the int8
tolerance, plus what only Core ML has: the program read back from the package really holds the
quantization ops and int8 weights, the deployment target is checked, and the evaluator's quantize/dequantize
kernels match hand-computed numbers.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import xport
import xport.quant
from xport import backends
from xport.backends import tolerance_for
from xport.efficient_ops import create_model
from xport.errors import XportError

from .fixtures.train_direction_model import load_direction_model, moving_squares
from .helpers import seeded

_OK, _REASON = backends.get("coreml").is_available()
if not _OK:  # the imports below need coremltools
    pytest.skip(f"backend coreml unavailable: {_REASON}", allow_module_level=True)

from xport.backends.coreml import BACKEND as COREML  # noqa: E402
from xport.backends.coreml import int8 as coreml_int8  # noqa: E402
from xport.backends.coreml.mil_eval import load_program  # noqa: E402
from xport.backends.coreml.package import read_spec, spec_path  # noqa: E402

from .test_coreml_mil_eval import evaluator_for, program  # noqa: E402

with COREML.quiet():
    import coremltools as ct
    from coremltools.converters.mil import Builder as mb

IOS17 = {"minimum_deployment_target": "iOS17"}


@pytest.fixture(scope="module")
def trained():
    """The shipped direction model, 16 calibration clips of the training split, 96 held-out clips and labels."""
    model = load_direction_model()
    train_x, _ = moving_squares(512, seed=1)
    test_x, test_y = moving_squares(96, seed=2)
    return model, [train_x[i:i + 1] for i in range(16)], test_x, test_y


@pytest.fixture(scope="module")
def direction_int8(trained, tmp_path_factory):
    model, clips, test_x, _ = trained
    return xport.export(model, test_x[:1], "coreml", tmp_path_factory.mktemp("int8"), "int8", calibration=clips,
                        **IOS17)


def test_manifest_names_the_int8_program(direction_int8):
    """The accuracy gate is test_quant.py's; here what Core ML's int8 records about itself."""
    coreml = xport.load(direction_int8.path).manifest.extra["coreml"]
    assert coreml["compute_precision"] == "fp16" and coreml["minimum_deployment_target"] == "iOS17"
    assert coreml["weights"].startswith("int8 activations")


def test_package_holds_quantize_dequantize_and_int8_weights(direction_int8):
    """Read from the saved package (what an app loads), not from coremltools' in-memory model."""
    package = direction_int8.path
    prog = load_program(read_spec(package), spec_path(package).parent)
    ops = Counter(op.type for op in prog.ops)
    quantized = direction_int8.manifest.extra["int8"]["quantized_ops"]
    assert ops["quantize"] >= sum(quantized.values()) and ops["dequantize"] >= ops["quantize"]
    weights = [op for op in prog.ops if op.type == "constexpr_affine_dequantize"]
    assert len(weights) == quantized["conv"]  # every int8 conv reads int8 weights
    assert all(op.inputs["quantized_data"][0].value.dtype == np.int8 for op in weights)
    assert {op.outputs[0].dtype for op in prog.ops if op.type == "quantize"} <= {ct.proto.MIL_pb2.INT8,
                                                                                   ct.proto.MIL_pb2.UINT8}
    float_convs = [op for op in prog.ops if op.type == "conv" and "dequantize" not in str(op.inputs["weight"][0].name)]
    # Only the convs on pooled vectors (squeeze-excitation) stay float, by design, and the manifest names them.
    islands = direction_int8.manifest.extra["int8"]["float_islands"]
    assert len(float_convs) == islands.get("conv on a pooled vector", 0)
    assert direction_int8.manifest.extra["coreml"]["int8"] == {
        "quantize": ops["quantize"], "dequantize": ops["dequantize"], "int8_weights": len(weights)}


def test_int8_before_ios17_names_the_fix(trained, tmp_path):
    model, clips, test_x, _ = trained
    with pytest.raises(XportError, match=r"needs Core ML's quantize/dequantize ops.*iOS17/macOS14.*"
                                         r"minimum_deployment_target is iOS16.*minimum_deployment_target='iOS17'"):
        xport.export(model, test_x[:1], "coreml", tmp_path / "old", "int8", calibration=clips[:2])
    assert not (tmp_path / "old").exists() or not any((tmp_path / "old").iterdir())


def test_unconvertible_qdq_forms_are_refused_by_name():
    """An int32 bias (ORT's QDQ form) has no Core ML form: refused naming the node, never folded into float."""
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 1)).eval()
    x = seeded((1, 3, 8, 8))
    planned, caps = xport.quant.flow.int8_plan(model, (x,), "onnx")
    calibration = xport.quant.Calibration.from_data([x], (x,))
    qdq, _ = xport.quant.convert.quantize(planned, caps, calibration, "onnx:test")
    with pytest.raises(XportError, match=r"node '\w+' \(quantized_decomposed.dequantize_per_\w+.default\) "
                                         r"quantizes to torch.int32 \(a quantized bias"):
        coreml_int8.qdq_program(qdq)


def test_x3d_xs_int8_within_tolerance(tmp_path):
    x3d = create_model("efficient_x3d_xs").eval()
    clip = x3d.default_cfg.example_input()
    assert tuple(clip.shape) == (1, 3, 4, 160, 160)
    clips = [seeded(clip.shape, 100 + i) for i in range(4)]
    artifact = xport.export(x3d, clip, "coreml", tmp_path, "int8", calibration=clips, **IOS17)
    report = xport.verify(x3d, artifact, strict=False)
    print(f"X3D-XS coreml int8: {report}; MIL ops {artifact.manifest.extra['coreml']['mil_ops']}; "
          f"{artifact.size_bytes} bytes")
    assert report.passed, str(report)
    assert report.max_rel <= tolerance_for("coreml", "int8").max_rel
    summary = artifact.manifest.extra["coreml"]["int8"]
    assert summary["quantize"] > 30 and summary["int8_weights"] > 30


class EveryInt8Op(nn.Module):
    """Each op the Core ML caps declare at int8: conv1d/2d/3d, depthwise, linear, relu/relu6, add, mul, and the
    layout ops sharing their input's quantization (reshape, max_pool, permute, slice, select, pad)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.c3, self.c2 = nn.Conv3d(3, 8, 3, padding=1), nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.c1, self.fc, self.out = nn.Conv1d(16, 8, 3), nn.Linear(32, 32), nn.Linear(48, 5)

    def forward(self, x):
        y = F.relu6(self.c3(x)).reshape(1, 16, 8, 8)
        y = F.max_pool2d(F.relu(self.c2(y)) + y, 2)
        y = F.pad(y.permute(0, 1, 3, 2)[:, :, 1:, :], (1, 1))
        z = y.mean(dim=2)  # a float island
        h = F.relu(self.fc(self.c1(z * torch.sigmoid(z)).flatten(1)))
        return self.out(torch.cat([h, y[:, :, 0, 0]], 1))


@pytest.mark.parametrize("target, weight_op", [("iOS17", "constexpr_affine_dequantize"),
                                               ("iOS18", "constexpr_blockwise_shift_scale")])
def test_fp32_arithmetic_computes_exactly_the_qdq_program(target, weight_op, tmp_path):
    """With fp32 arithmetic the package (read back, in the evaluator) equals PyTorch's QDQ program bit for bit:
    quantize/dequantize/constexpr kernels have Core ML's semantics on every op the caps declare at int8."""
    model, shape = EveryInt8Op().eval(), (1, 3, 2, 8, 8)
    clips = [seeded(shape, i) for i in range(4)]
    artifact = xport.export(model, clips[0], "coreml", tmp_path, "int8", calibration=clips,
                            minimum_deployment_target=target, compute_precision="fp32")
    coreml = artifact.manifest.extra["coreml"]
    assert coreml["compute_precision"] == "fp32" and "cast" not in coreml["mil_ops"]
    assert coreml["mil_ops"][weight_op] == coreml["int8"]["int8_weights"] == 4  # 3 convs and the inner linear
    assert artifact.manifest.extra["int8"]["quantized_ops"] == {"conv": 3, "add": 1, "mul": 1, "linear": 1}
    planned, caps = xport.quant.flow.int8_plan(model, (clips[0],), "coreml", {"minimum_deployment_target": target})
    qdq, _ = xport.quant.convert.quantize(planned, caps, xport.quant.Calibration.from_data(clips, (clips[0],)), "k")
    for seed in (50, 51, 52):
        x = seeded(shape, seed)
        with torch.no_grad():
            expected = qdq.module()(x)
        assert torch.equal(artifact.run(x), expected)


def _round_trip(x: np.ndarray, tmp_path, **params) -> np.ndarray:
    """dequantize(quantize(x)) in the evaluator (program outputs are float: Core ML has no int8 outputs)."""
    dtype = params.pop("output_dtype")

    def body(v):
        q = mb.quantize(input=v, output_dtype=dtype, **params)
        return mb.dequantize(input=q, **params)

    evaluator = evaluator_for(program([x.shape], body, ct.target.iOS17), tmp_path, ct.target.iOS17)
    (got,) = evaluator.run({evaluator.program.inputs[0].name: x}).values()
    return got


def test_quantize_rounds_half_to_even_and_clips_int8(tmp_path):
    x = np.array([[0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300.0, -300.0]], dtype=np.float32)
    got = _round_trip(x, tmp_path, output_dtype="int8", scale=np.float32(1.0))
    np.testing.assert_array_equal(got, [[0, 2, 2, 0, -2, -2, 127, -128]])


def test_quantize_uint8_with_zero_point(tmp_path):
    # q = clip(round(x / 0.5) + 3, 0, 255): 0.25 → round(0.5)=0 → 3; 0.75 → 2 → 5; -10 → -17 → 0; 200 → 403 → 255
    x = np.array([[0.25, 0.75, -10.0, 200.0, 1.0]], dtype=np.float32)
    got = _round_trip(x, tmp_path, output_dtype="uint8", scale=np.float32(0.5), zero_point=np.uint8(3))
    np.testing.assert_array_equal(got, [[0.0, 1.0, -1.5, 126.0, 1.0]])  # 0.5 · (q − 3)


def test_quantize_per_axis_scales_and_zero_points(tmp_path):
    x = np.array([[[1.0, -1.0], [1.0, 5.0], [0.3, 100.0]]], dtype=np.float32)  # (1, 3, 2), axis 1
    scale = np.array([1.0, 2.0, 0.1], dtype=np.float32)
    zero = np.array([0, -1, 10], dtype=np.int8)
    got = _round_trip(x, tmp_path, output_dtype="int8", scale=scale, zero_point=zero, axis=1)
    # channel 1: round(0.5)=0, round(2.5)=2 (half to even), − 1 + 1; channel 2: 3 + 10, 1000 + 10 → 127
    np.testing.assert_allclose(got, [[[1.0, -1.0], [0.0, 4.0], [0.3, 11.7]]], rtol=1e-6)

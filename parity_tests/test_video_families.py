"""The video models people bring (TSM, TimeSformer, ViViT, VideoMAE, MViT, Video Swin, S3D, SlowFast) on every
backend: exported as written, run in the backend's runtime, compared with eager; and what ``check`` says of them."""

from __future__ import annotations

import pytest
import torch

import xport

from .helpers import seeded
from .video_families import FAMILIES


def family_inputs(name: str) -> tuple:
    return tuple(seeded(shape, seed=i) for i, shape in enumerate(FAMILIES[name][1]))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_matches_eager(family, backend, exports):
    factory, _shapes = FAMILIES[family]
    artifact = exports.export(f"family/{family}", factory(), family_inputs(family), backend)
    report = xport.verify(factory(), artifact, strict=False)
    assert report.passed, str(report)


# int8 on random weights (the accuracy gate is test_quant's trained transformer): TSM's roll (slices of one tensor
# joined by a cat that shares their quantization) and MViT's pooling attention (3-D max pool, attention matmuls).
INT8_FAMILIES = ("tsm_roll_shift", "mvit_pooling_attention")
INT8_OPTIONS = {"coreml": {"minimum_deployment_target": "iOS17"}}


def test_families_in_int8_match_eager_within_the_int8_tolerance(backend, tmp_path):
    for family in INT8_FAMILIES:
        factory, shapes = FAMILIES[family]
        clips = [tuple(seeded(shape, seed=10 * i + j) for j, shape in enumerate(shapes)) for i in range(8)]
        artifact = xport.export(factory(), clips[0], backend, tmp_path / family, "int8", calibration=clips,
                                **INT8_OPTIONS.get(backend, {}))
        report = xport.verify(factory(), artifact, strict=False)
        assert report.passed, str(report)
    if backend == "coreml":  # Video Swin's 8-D windows keep their rank between quantize and dequantize
        with pytest.raises(xport.XportError, match="at most 5 dims.*Fix: export this model to Core ML at fp32"):
            xport.export(FAMILIES["video_swin"][0](), family_inputs("video_swin"), backend, tmp_path / "swin",
                         "int8", calibration=[family_inputs("video_swin")], **INT8_OPTIONS[backend])
        assert not (tmp_path / "swin").exists() or not any((tmp_path / "swin").iterdir())


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_has_no_unsupported_node(family):
    factory, _shapes = FAMILIES[family]
    for report in xport.check(factory(), family_inputs(family)).values():
        assert report.ok, str(report)


class CausalMaskFromArange(torch.nn.Module):
    """A mask built from index arithmetic, as attention code writes it: no op to lower, a constant to store."""

    def forward(self, x):
        n = x.shape[-1]
        keep = torch.arange(n).unsqueeze(0) <= torch.arange(n).unsqueeze(1)
        return torch.where(keep, x, torch.zeros_like(x)).softmax(-1)


def test_check_reports_index_arithmetic_as_folded(tmp_path):
    x = seeded((2, 5, 5))
    report = xport.check(CausalMaskFromArange(), (x,), "onnx")["onnx"]
    assert report.ok, str(report)
    assert {v.info.target for v in report.of("folded")} >= {"aten.arange.start_step", "aten.full_like.default"}
    assert "folded" in str(report).splitlines()[0]
    artifact = xport.export(CausalMaskFromArange(), (x,), "onnx", tmp_path)
    assert xport.verify(CausalMaskFromArange(), artifact).passed

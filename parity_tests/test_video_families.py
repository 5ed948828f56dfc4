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

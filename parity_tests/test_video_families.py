"""The video models people bring (TSM, TimeSformer, ViViT, VideoMAE, MViT, Video Swin, S3D, SlowFast) on every
backend: exported as written, run in the backend's runtime, compared with eager; and what ``check`` says of them."""

from __future__ import annotations

import pytest

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

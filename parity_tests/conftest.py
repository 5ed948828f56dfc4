"""Shared fixtures: backends parametrized with skip-with-reason when a toolchain is missing."""

from __future__ import annotations

import pytest

from .helpers import ALL_BACKENDS, require_backend


@pytest.fixture(params=ALL_BACKENDS)
def backend(request) -> str:
    require_backend(request.param)
    return request.param


@pytest.fixture(scope="session")
def tiny_model():
    from xport.efficient_ops import create_model

    return create_model("tiny_video_cnn")

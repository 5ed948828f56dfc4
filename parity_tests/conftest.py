"""Shared fixtures: backends parametrized with skip-with-reason when a toolchain is missing, and the run's
export cache (:mod:`.export_cache`)."""

from __future__ import annotations

import os

import pytest

from .export_cache import ExportCache
from .helpers import ALL_BACKENDS, require_backend


@pytest.fixture(params=ALL_BACKENDS)
def backend(request) -> str:
    require_backend(request.param)
    return request.param


@pytest.fixture(scope="session")
def tiny_model():
    from xport.efficient_ops import create_model

    return create_model("tiny_video_cnn")


@pytest.fixture(scope="session")
def exports(tmp_path_factory) -> ExportCache:
    """The run's export cache; pytest-xdist workers share it (their temporary folders have one parent per run)."""
    base = tmp_path_factory.getbasetemp()
    return ExportCache((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "xport-exports")


# Files that take minutes start first, so the two workers finish together instead of one waiting for the last.
_SLOW_FIRST = ("test_zoo.py", "test_arm.py", "test_ops_on_backends.py", "test_blocks.py", "test_executorch.py")


def pytest_collection_modifyitems(items) -> None:
    def rank(item) -> int:
        name = item.path.name
        return _SLOW_FIRST.index(name) if name in _SLOW_FIRST else len(_SLOW_FIRST)

    items.sort(key=rank)  # stable: the order inside each file is kept

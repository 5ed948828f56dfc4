"""Helpers for the parity tests: backend skipping with reasons, seeded inputs, export + verify."""

from __future__ import annotations

import pytest
import torch

import xport
from xport import backends

ALL_BACKENDS = backends.names()


def require_backend(name: str) -> None:
    """Skip (never pass) the calling test when ``name``'s toolchain is missing, saying why."""
    ok, reason = backends.get(name).is_available()
    if not ok:
        pytest.skip(f"backend {name} unavailable: {reason}")


def seeded(shape, seed: int = 0) -> torch.Tensor:
    """N(0, 1) values, or integers 0–255 when ``shape`` carries an integer ``dtype`` (op_models.IntShape)."""
    generator = torch.Generator().manual_seed(seed)
    dtype = getattr(shape, "dtype", torch.float32)
    if not dtype.is_floating_point:
        return torch.randint(0, 256, tuple(shape), generator=generator).to(dtype)
    return torch.randn(*shape, generator=generator)


def export_verified(model, inputs, backend, out_dir, **options) -> tuple[xport.Artifact, xport.ParityReport]:
    """Export into ``out_dir``, run in the real runtime, and assert parity within the tolerance."""
    artifact = xport.export(model, inputs, backend, out_dir, **options)
    report = xport.verify(model, artifact, strict=False)
    assert report.passed, str(report)
    return artifact, report

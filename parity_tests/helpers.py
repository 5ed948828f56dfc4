"""Helpers for the parity tests: backend skipping with reasons, seeded inputs, export + verify."""

from __future__ import annotations

import os
import platform
from pathlib import Path

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


def randomise_batch_norm(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm3d):
            n = m.num_features
            m.running_mean = torch.randn(n, generator=g) * 0.1
            m.running_var = torch.rand(n, generator=g) + 0.5
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.1
    return model


def zoo_model(name: str) -> torch.nn.Module:
    """Zoo model ``name`` with randomised batch norms (not the identity-like initial ones): the zoo tests' model."""
    from xport.efficient_ops import create_model

    return randomise_batch_norm(create_model(name))


def zoo_artifact(exports, name: str, backend: str, precision: str = "fp32", **options) -> tuple[torch.nn.Module,
                                                                                                  xport.Artifact]:
    """(:func:`zoo_model`, its export from the run's cache): the zoo, delegation and ARM tests share them. ONNX is
    exported without the ``.ort`` conversion (covered by the model tests) unless ``options`` say otherwise."""
    model = zoo_model(name)
    if backend == "onnx":
        options = {"ort_format": False, **options}
    return model, exports.export(f"zoo/{name}", model, (model.default_cfg.example_input(),), backend, precision,
                                 **options)


def x3d_int8_artifact(exports, backend: str, **options) -> tuple[torch.nn.Module, xport.Artifact]:
    """X3D-XS with its initial weights at int8, calibrated on 8 seeded clips (as the int8 tolerance was measured),
    from the run's cache: the ARM stage and the backends' int8 structure tests share these files."""
    from xport.efficient_ops import create_model

    model = create_model("efficient_x3d_xs").eval()
    clip = model.default_cfg.example_input()
    clips = [(seeded(clip.shape, 100 + i),) for i in range(8)]
    return model, exports.export("x3d_xs_initial", model, clip, backend, "int8", calibration=clips, **options)


def tiny_artifact(exports, backend: str, **options) -> xport.Artifact:
    """The zoo's tiny_video_cnn exported to ``backend`` from the run's cache (shared by the model, bad-input and
    backend tests)."""
    from xport.efficient_ops import create_model

    model = create_model("tiny_video_cnn")
    return exports.export("tiny_video_cnn", model, (model.default_cfg.example_input(),), backend, **options)


def export_verified(model, inputs, backend, out_dir, **options) -> tuple[xport.Artifact, xport.ParityReport]:
    """Export into ``out_dir``, run in the real runtime, and assert parity within the tolerance."""
    artifact = xport.export(model, inputs, backend, out_dir, **options)
    report = xport.verify(model, artifact, strict=False)
    assert report.passed, str(report)
    return artifact, report


def saturating_int8_x86() -> str | None:
    """Why this CPU's x86 int8 kernels do not compute the int8 artifact exactly, or ``None`` if they do.

    Without VNNI, onnxruntime's and OpenVINO's x86 u8×s8 kernels add pairs of products in int16 (vpmaddubsw), which
    saturates: their outputs then differ from the integer arithmetic an ARM phone (and a VNNI CPU) performs.
    """
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text() if cpuinfo.is_file() else ""
    if "vnni" in flags:
        return None
    return ("x86 CPU without VNNI: onnxruntime's and OpenVINO's u8×s8 kernels saturate int16 pair sums "
            "(vpmaddubsw), so their int8 outputs here are not the artifact's integer arithmetic")


ARM_ENABLED = os.environ.get("XPORT_ARM", "") not in ("", "0")
needs_arm = pytest.mark.skipif(not ARM_ENABLED, reason="ARM parity stage not enabled: set XPORT_ARM=1 (needs root or "
                                                        "qemu-user-static + debootstrap, ~1 min cold setup)")

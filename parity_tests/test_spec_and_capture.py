"""The op-spec registry, capture's mapping of nodes onto it, and capabilities as data."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import xport
from xport import backends
from xport.backends import tolerance_for
from xport.caps import native
from xport.capture import capture, decomposition_table, describe
from xport.spec import SPEC, ConvAttrs, OpRegistry, OpSpec, PoolAttrs

from .helpers import seeded


def test_registry_rejects_duplicate_names_and_overloads():
    reg = OpRegistry()
    reg.register(OpSpec("relu", ("aten.relu.default",), "max(x, 0)"))
    with pytest.raises(ValueError, match="already registered"):
        reg.register(OpSpec("relu", ("aten.relu_.default",), "again"))
    with pytest.raises(ValueError, match="already belongs to op spec 'relu'"):
        reg.register(OpSpec("rectify", ("aten.relu.default",), "same overload"))


def test_spec_covers_x3d_op_classes():
    needed = {"conv", "batch_norm", "linear", "relu", "clamp", "sigmoid", "silu", "hardswish", "hardsigmoid",
              "add", "mul", "mean", "avg_pool", "max_pool", "cat", "slice", "reshape", "permute", "pad", "softmax"}
    assert needed <= set(SPEC.names())
    assert all(op.doc and op.aten for op in SPEC)


def test_capture_keeps_spec_ops_whole():
    model = nn.Sequential(nn.Conv3d(3, 4, 1), nn.Hardswish(), nn.SiLU(), nn.Flatten(), nn.Linear(4 * 2 * 4 * 4, 3))
    ops = [i.op for i in describe(capture(model, (seeded((1, 3, 2, 4, 4)),)).graph)]
    assert {"hardswish", "silu", "linear", "conv"} <= set(ops)
    assert all(str(k) not in SPEC.overloads() for k in decomposition_table())


def test_conv_attrs_are_normalised():
    model = nn.Conv3d(8, 8, (3, 3, 3), stride=(1, 2, 2), padding=1, groups=8, bias=False)
    (info,) = [i for i in describe(capture(model, (seeded((1, 8, 4, 8, 8)),)).graph) if i.op == "conv"]
    assert info.attrs == ConvAttrs(rank=3, kernel=(3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1),
                                   dilation=(1, 1, 1), groups=8, in_channels=8, out_channels=8,
                                   transposed=False, depthwise=True, has_bias=False)


def test_pool_stride_defaults_to_kernel():
    (info,) = describe(capture(nn.AvgPool3d((1, 2, 2)), (seeded((1, 2, 2, 4, 4)),)).graph)
    assert info.attrs == PoolAttrs(3, (1, 2, 2), (1, 2, 2), (0, 0, 0), False, True, False)


def test_out_of_spec_nodes_are_collected_with_module_paths():
    class Warp(nn.Module):
        def forward(self, x):
            grid = torch.zeros(1, 4, 4, 2)
            return F.grid_sample(x, grid, align_corners=False)

    class CumProd(nn.Module):
        def forward(self, x):
            return x.cumprod(-1)

    model = nn.Sequential(nn.Conv2d(3, 3, 1), Warp(), CumProd())
    infos = describe(capture(model, (seeded((1, 3, 4, 4)),)).graph)
    outside = {(i.target, i.module_path) for i in infos if i.spec is None}
    assert ("aten.grid_sampler_2d.default", "1") in outside
    assert ("aten.cumprod.default", "2") in outside


def test_capture_error_names_the_problem():
    class DataDependent(nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x

    with pytest.raises(xport.CaptureError, match="DataDependent"):
        capture(DataDependent(), (seeded((1, 3)),))


def test_capabilities_constraints_are_data():
    support = native("fp32", rank=(1, 2))
    conv3d = ConvAttrs(3, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1, 4, 4, False, False, True)
    assert "rank=3 is not native" in support.rejects(conv3d, "fp32")
    assert "not available at int8" in support.rejects(conv3d, "int8")


@pytest.mark.parametrize("name", backends.names())
def test_every_backend_declares_caps_options_and_tolerances(name):
    be = backends.get(name)
    assert be.caps.backend == name and be.suffixes
    assert set(be.caps.ops) <= set(SPEC.names())
    for precision in be.caps.precisions:
        assert tolerance_for(name, precision).reason


def test_status_gives_reasons():
    status = backends.status()
    assert set(status) == set(backends.names())
    assert all(reason for _, reason in status.values())
    assert set(backends.available()) == {n for n, (ok, _) in status.items() if ok}

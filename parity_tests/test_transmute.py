"""The transmuter on a vanilla X3D built from plain torch modules, rules, and its guarantees."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import xport
from xport import efficient_ops as eo
from xport.efficient_ops.vanilla_x3d import SqueezeExcitation, Swish, vanilla_x3d_xs
from xport.transmuter import unregister_rule

from .helpers import ALL_BACKENDS, export_verified, randomise_batch_norm, seeded

CLIP = (1, 3, 4, 160, 160)


@pytest.fixture(scope="module")
def vanilla():
    torch.manual_seed(0)
    return randomise_batch_norm(vanilla_x3d_xs())


@pytest.fixture(scope="module")
def transmuted(vanilla):
    return xport.transmute(vanilla)


def test_same_function(vanilla, transmuted):
    new, _ = transmuted
    x = seeded(CLIP)
    with torch.no_grad():
        ref, out = vanilla(x), new(x)
    assert (out - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_swaps_are_reported_with_paths(transmuted):
    new, report = transmuted
    swaps = {s.path: s for s in report.swaps}
    assert swaps["blocks.0.conv.conv_t"].after == "Conv3dSpatialBnAct"
    assert swaps["blocks.0.conv.conv_xy"].after == "Conv3dTemporalBnAct"
    assert swaps["blocks.1.res_blocks.0.branch2.conv_b"].after == "Conv3d3x3x3DwBnAct"
    assert swaps["blocks.1.res_blocks.0.branch2.act_b"].rule == "swish"
    assert swaps["blocks.5.output_pool"].after == "GlobalAvgPool3d"
    assert swaps["blocks.1.res_blocks.0.branch2.norm_b.1.block.0"].before == "Conv3d + ReLU"
    leftover = [path for path, m in new.named_modules()  # efficient blocks hold their conv at <block>.kernel.conv
                if type(m) is Swish or (type(m) is nn.Conv3d and not path.endswith(".kernel.conv"))]
    assert leftover == []
    reasons = {a.module: a.reason for a in report.left_alone}
    assert "folded" in reasons["BatchNorm3d"] and "mean at export" in reasons["AvgPool3d"]
    assert "swap(s)" in str(report) and "left alone" in str(report)


def test_original_untouched_and_idempotent(vanilla, transmuted):
    snapshot = copy.deepcopy(vanilla)
    new, _ = transmuted
    again, report = xport.transmute(new)
    assert not report.changed and "nothing to improve" in str(report)
    assert [type(m) for m in vanilla.modules()] == [type(m) for m in snapshot.modules()]
    assert all(torch.equal(v, snapshot.state_dict()[k]) for k, v in vanilla.state_dict().items())
    assert [type(m) for m in again.modules()] == [type(m) for m in new.modules()]


def test_nothing_to_improve_returns_an_equal_model():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)).eval()
    new, report = xport.transmute(model)
    assert not report.changed
    assert {a.reason for a in report.left_alone} == {"already a spec op", "no rule matches; register one with "
                                                     "xport.transmuter.register_rule"}
    x = seeded((1, 3, 8, 8))
    torch.testing.assert_close(new(x), model(x))


def test_sequential_chain_with_batch_norm_is_fused():
    model = nn.Sequential(nn.Conv3d(3, 8, (3, 1, 1), padding=(1, 0, 0)), nn.BatchNorm3d(8), nn.Hardswish(),
                          nn.Conv3d(8, 8, 3, padding=1, groups=8, bias=False), nn.BatchNorm3d(8)).eval()
    randomise_batch_norm(model)
    new, report = xport.transmute(model)
    assert [s.before for s in report.swaps] == ["Conv3d + BatchNorm3d + Hardswish", "Conv3d + BatchNorm3d"]
    assert [type(m).__name__ for m in new] == ["Conv3dTemporalBnAct", "Conv3d3x3x3DwBnAct"]
    x = seeded((1, 3, 4, 8, 8))
    torch.testing.assert_close(new(x), model(x), rtol=1e-5, atol=1e-6)


def test_user_rule_in_a_few_lines(vanilla):
    def se_to_efficient(m: SqueezeExcitation) -> eo.SqueezeExcitation3d:
        reduce = m.block[0]
        se = eo.SqueezeExcitation3d(reduce.in_channels, reduce.out_channels)
        se.se.block.load_state_dict(m.block.state_dict())
        return se

    xport.register_rule(xport.Rule("vanilla_se", lambda m: isinstance(m, SqueezeExcitation), se_to_efficient,
                                   lambda m: seeded((1, m.block[0].in_channels, 3, 6, 6))), first=True)
    try:
        new, report = xport.transmute(vanilla)
    finally:
        unregister_rule("vanilla_se")
    assert sum(s.rule == "vanilla_se" for s in report.swaps) == 15  # even-indexed blocks of 3/5/11/7: 2+3+6+4
    x = seeded(CLIP)
    with torch.no_grad():
        torch.testing.assert_close(new(x), vanilla(x), rtol=1e-5, atol=1e-6)


def test_duplicate_rule_name_is_rejected():
    with pytest.raises(xport.XportError, match="exists already"):
        xport.register_rule(xport.Rule("conv3d", lambda m: False, lambda m: m, lambda m: None))


# Not ExecuTorch, for the suite's budget (80 s): the transmuted model is the zoo's blocks, whose full-size ExecuTorch
# export test_zoo and test_executorch check.
@pytest.mark.parametrize("backend", [b for b in ALL_BACKENDS if b != "executorch"], indirect=True)
def test_transmuted_vanilla_exports_with_parity(transmuted, backend, tmp_path):
    new, _ = transmuted
    export_verified(new, (seeded(CLIP),), backend, tmp_path / "out",
                    **({"ort_format": False} if backend == "onnx" else {}))

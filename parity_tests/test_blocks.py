"""Every efficient block: spec ops only on every backend (check), and parity in every runtime."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import xport
from xport import efficient_ops as eo
from xport.capture import capture, describe

from .helpers import ALL_BACKENDS, export_verified, seeded

CLIP = (1, 8, 4, 12, 12)


class TwoInputs(nn.Module):
    """Feeds a block taking two tensors (residual add, gated multiply) from one clip."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block

    def forward(self, x):
        return self.block(x, torch.sigmoid(x.mean(dim=(2, 3, 4), keepdim=True)))


BLOCKS = {
    "pointwise": (lambda: eo.Conv3dPwBnAct(8, 16), CLIP),
    "pointwise_strided_hswish": (lambda: eo.Conv3dPwBnAct(8, 16, (1, 2, 2), activation="hswish"), CLIP),
    "depthwise_3x3x3": (lambda: eo.Conv3d3x3x3DwBnAct(8, (1, 2, 2)), CLIP),
    "spatial_1x3x3": (lambda: eo.Conv3dSpatialBnAct(8, 16, 3, 2, activation="relu6"), CLIP),
    "spatial_1x5x5_bias_no_bn": (lambda: eo.Conv3dSpatialBnAct(8, 8, 5, bias=True, use_bn=False), CLIP),
    "temporal_3x1x1": (lambda: eo.Conv3dTemporalBnAct(8, 8, 3, activation="swish"), CLIP),
    "temporal_5x1x1_depthwise": (lambda: eo.Conv3dTemporalBnAct(8, 8, 5, groups=8), CLIP),
    "squeeze_excitation": (lambda: eo.SqueezeExcitation3d(8, 8), CLIP),
    "global_pool": (lambda: eo.GlobalAvgPool3d(keepdim=False), CLIP),
    "fully_connected": (lambda: eo.FullyConnected(16, 5, activation="relu"), (2, 16)),
    "x3d_head": (lambda: nn.Sequential(eo.X3dHead(8, 16, 32), nn.Flatten()), CLIP),
    "bottleneck_se_stride2": (lambda: eo.X3dBottleneck(8, 18, 16, spatial_stride=2), CLIP),
    "bottleneck_plain": (lambda: eo.X3dBottleneck(8, 18, 8, se_ratio=0.0, inner_activation="hswish"), CLIP),
    "residual_add": (lambda: TwoInputs(eo.ResidualAdd()), CLIP),
    "gated_mul": (lambda: TwoInputs(eo.GatedMul()), CLIP),
    **{f"activation_{name}": ((lambda name=name: eo.make_activation(name)), CLIP) for name in eo.activation_names()},
}


def build(name: str) -> nn.Module:
    factory, _ = BLOCKS[name]
    torch.manual_seed(0)
    block = factory()
    g = torch.Generator().manual_seed(1)
    for m in block.modules():  # trained-looking batch-norm statistics, so folding is really exercised
        if isinstance(m, nn.BatchNorm3d):
            m.running_mean = torch.randn(m.num_features, generator=g) * 0.1
            m.running_var = torch.rand(m.num_features, generator=g) + 0.5
    return block.eval()


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block_is_spec_ops_only_on_every_backend(name):
    x = seeded(BLOCKS[name][1])
    assert all(info.spec is not None for info in describe(capture(build(name), (x,)).graph))
    reports = xport.check(build(name), x)
    assert set(reports) == set(ALL_BACKENDS)
    assert all(report.ok for report in reports.values()), "\n".join(map(str, reports.values()))


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block_parity(name, backend, tmp_path):
    export_verified(build(name), (seeded(BLOCKS[name][1]),), backend, tmp_path / name,
                    **({"ort_format": False} if backend == "onnx" else {}))


def test_swish_is_silu_and_saves_only_its_input():
    x = torch.randn(64, requires_grad=True)
    y = eo.Swish()(x)
    torch.testing.assert_close(y, x * torch.sigmoid(x))
    saved = [a for a in dir(y.grad_fn) if a.startswith("_saved_")]
    assert saved == ["_saved_self"]  # no sigmoid output kept for backward: memory-efficient
    y.sum().backward()
    s = torch.sigmoid(x.detach())
    torch.testing.assert_close(x.grad, s * (1 + x.detach() * (1 - s)))
    ops = [i.op for i in describe(capture(eo.Swish(), (torch.randn(2, 3),)).graph)]
    assert ops == ["silu"]


def test_unknown_activation_lists_names():
    with pytest.raises(ValueError, match="unknown activation 'gelu'; choose from relu, relu6, swish"):
        eo.make_activation("gelu")


def test_temporal_kernel_must_be_odd():
    with pytest.raises(ValueError, match="must be odd"):
        eo.Conv3dTemporalBnAct(4, 4, 4)


def test_block_shapes():
    x = seeded((2, 8, 4, 16, 16))
    assert eo.X3dBottleneck(8, 18, 16, spatial_stride=2)(x).shape == (2, 16, 4, 8, 8)
    assert eo.Conv3dSpatialBnAct(8, 4, 3, 2)(x).shape == (2, 4, 4, 8, 8)
    assert eo.Conv3dTemporalBnAct(8, 8, 5)(x).shape == x.shape
    assert eo.GlobalAvgPool3d()(x).shape == (2, 8, 1, 1, 1)
    assert F.silu(x).shape == eo.SqueezeExcitation3d(8, 8)(x).shape

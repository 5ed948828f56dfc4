"""Each pass, checked numerically against the graph it rewrote (same inputs, outputs must match)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from xport.caps import Capabilities, native
from xport.capture import capture, describe
from xport.passes import (
    ActivationBeforeView,
    BatchNormToAffine,
    Conv1dToConv2d,
    Conv3dToConv2d,
    FoldBatchNorm,
    FullToConstant,
    GlobalPoolToMean,
    MeanToSpatialMean,
    PlanContext,
    PoolToPool2d,
    RemoveNoOps,
    relift,
    unlift,
)
from xport.passes.graph import finish
from xport.plan import check_program

from .helpers import seeded
from .op_models import _bn

# A target with 2-D convs only, so the conv3d pass must rewrite every 3-D conv.
CAPS_2D = Capabilities("test-2d", ("fp32",), {
    "conv": native(rank=(1, 2)), **{op: native() for op in (
        "add", "reshape", "permute", "slice", "cat", "full", "relu", "mean", "batch_norm", "linear")},
})
CTX = PlanContext(CAPS_2D)
# A target like TFLite: only 2-D convs and pools, no batch norm.
ONLY_2D = PlanContext(Capabilities("test-only-2d", ("fp32",), {
    "conv": native(rank=(2,)), "avg_pool": native(rank=(2,)), "max_pool": native(rank=(2,)),
    **{op: native() for op in ("add", "mul", "reshape", "permute")},
}))


def run_pass(model: nn.Module, inputs, graph_pass, ctx: PlanContext = CTX):
    """(graph before, graph after, rewrite count) for one pass on ``model``."""
    program = capture(model, inputs)
    before, after = unlift(program), unlift(program)
    count = graph_pass.run(after, ctx)
    finish(after)
    return before, after, count


def assert_same(before, after, shape, seeds=(0, 1, 2)):
    for seed in seeds:
        x = seeded(shape, seed)
        torch.testing.assert_close(after(x), before(x), rtol=1e-5, atol=1e-5)


def ops_of(gm) -> list[str]:
    return [info.op for info in describe(gm.graph)]


CONV3D_CASES = {
    # id: (in, out, kernel, stride, padding, dilation, groups)
    "spatial_1x3x3_s2": (4, 6, (1, 3, 3), (1, 2, 2), (0, 1, 1), 1, 1),
    "temporal_3x1x1": (4, 6, (3, 1, 1), 1, (1, 0, 0), 1, 1),
    "temporal_5x1x1_depthwise": (4, 4, (5, 1, 1), 1, (2, 0, 0), 1, 4),
    "depthwise_3x3x3": (4, 4, 3, (1, 2, 2), 1, 1, 4),
    "dense_3x3x3": (4, 6, 3, 1, 1, 1, 1),
    "dense_3x3x3_no_padding": (4, 6, 3, 1, 0, 1, 1),
    "temporal_stride_2": (4, 6, (3, 3, 3), (2, 1, 1), (1, 1, 1), 1, 1),
    "temporal_dilation_2": (4, 6, (3, 1, 1), 1, (2, 0, 0), (2, 1, 1), 1),
    "grouped_2": (4, 6, (3, 3, 3), 1, 1, 1, 2),
    "pointwise": (4, 8, 1, 1, 0, 1, 1),
    "pointwise_spatial_stride": (4, 8, 1, (1, 2, 2), 0, 1, 1),
    "pointwise_temporal_stride": (4, 8, 1, (2, 1, 1), 0, 1, 1),
    "even_kernel_4x2x2": (4, 6, (4, 2, 2), 1, (1, 0, 0), 1, 1),
}


@pytest.mark.parametrize("case", sorted(CONV3D_CASES))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("frames", [5, 13], ids=["T5", "T13"])  # T=13 makes banded too costly: taps
def test_conv3d_to_conv2d(case, bias, frames):
    cin, cout, kernel, stride, padding, dilation, groups = CONV3D_CASES[case]
    torch.manual_seed(0)
    conv = nn.Conv3d(cin, cout, kernel, stride, padding, dilation, groups, bias=bias).eval()
    shape = (2, cin, frames, 8, 8)
    before, after, count = run_pass(conv, (seeded(shape),), Conv3dToConv2d())
    assert count == 1
    assert_same(before, after, shape)
    convs = [i.attrs for i in describe(after.graph) if i.op == "conv"]
    assert convs and all(a.rank == 2 for a in convs)


@pytest.mark.parametrize("kernel, stride, frames, expected", [
    (1, 1, 4, "pointwise"), ((5, 1, 1), 1, 4, "temporal"), (3, (1, 2, 2), 4, "banded"), (3, 1, 13, "taps"),
    ((1, 3, 3), (1, 2, 2), 4, "taps"),
])
def test_lowering_choice(kernel, stride, frames, expected):
    from xport.passes.conv3d_to_conv2d import choose

    conv = nn.Conv3d(4, 4, kernel, stride, tuple(k // 2 for k in nn.modules.utils._triple(kernel)), groups=4)
    (info,) = [i for i in describe(capture(conv, (seeded((1, 4, frames, 8, 8)),)).graph) if i.op == "conv"]
    assert choose(info, weight_is_constant=True) == expected
    if expected == "banded":
        assert choose(info, weight_is_constant=False) == "taps"


def test_conv3d_left_alone_when_native():
    caps_3d = Capabilities("test-3d", ("fp32",), {"conv": native(rank=(1, 2, 3))})
    program = capture(nn.Conv3d(4, 4, 3), (seeded((1, 4, 3, 8, 8)),))
    assert Conv3dToConv2d().run(unlift(program), PlanContext(caps_3d)) == 0
    forced = PlanContext(caps_3d, prefer_decomposed=frozenset({"conv3d"}))
    assert Conv3dToConv2d().run(unlift(program), forced) == 1


def test_fold_batch_norm_into_conv():
    model = nn.Sequential(nn.Conv3d(4, 6, (3, 1, 1), padding=(1, 0, 0)), _bn(6), nn.ReLU()).eval()
    shape = (1, 4, 4, 6, 6)
    before, after, count = run_pass(model, (seeded(shape),), FoldBatchNorm())
    assert count == 1
    assert "batch_norm" not in ops_of(after)
    assert_same(before, after, shape)


def test_fold_batch_norm_conv_without_bias():
    model = nn.Sequential(nn.Conv3d(4, 4, 1, bias=False), _bn(4)).eval()
    before, after, count = run_pass(model, (seeded((1, 4, 2, 4, 4)),), FoldBatchNorm())
    assert count == 1
    assert_same(before, after, (1, 4, 2, 4, 4))


def test_batch_norm_not_folded_when_conv_output_is_shared():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv3d(4, 4, 1), _bn(4)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y

    before, after, count = run_pass(Shared().eval(), (seeded((1, 4, 2, 4, 4)),), FoldBatchNorm())
    assert count == 0
    assert "batch_norm" in ops_of(after)
    # check says why, as `xport check -v` prints it
    report = check_program(capture(Shared().eval(), (seeded((1, 4, 2, 4, 4)),)), CAPS_2D)
    (bn,) = [v for v in report.verdicts if v.info.op == "batch_norm"]
    assert bn.status == "native" and ("fold_batch_norm", "not folded: the convolution's output has 2 users, so "
                                      "the unnormalised value is needed too") in bn.skipped
    assert "fold_batch_norm skipped it: not folded" in report.render(verbose=True)
    assert "skipped it" not in report.render()


@pytest.mark.parametrize("pool", [nn.AdaptiveAvgPool3d(1), nn.AvgPool3d((3, 8, 8))], ids=["adaptive", "avg_full"])
def test_global_pool_to_mean(pool):
    shape = (2, 4, 3, 8, 8)
    before, after, count = run_pass(nn.Sequential(pool, nn.Flatten()), (seeded(shape),), GlobalPoolToMean())
    assert count == 1
    assert "mean" in ops_of(after) and not {"avg_pool", "adaptive_avg_pool"} & set(ops_of(after))
    assert_same(before, after, shape)


def test_windowed_pool_is_not_global():
    before, after, count = run_pass(nn.AvgPool3d((1, 2, 2)), (seeded((1, 4, 3, 8, 8)),), GlobalPoolToMean())
    assert count == 0


POOLS = {
    "avg_3d_spatial": (nn.AvgPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)), (1, 4, 3, 9, 9)),
    "avg_3d_box_no_pad_count": (nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False), (1, 4, 5, 9, 9)),
    "avg_3d_temporal": (nn.AvgPool3d((2, 1, 1)), (1, 4, 4, 5, 5)),
    "max_3d_box": (nn.MaxPool3d(3, stride=(1, 2, 2), padding=1), (1, 4, 5, 9, 9)),
    "max_3d_dilated": (nn.MaxPool3d((2, 2, 2), dilation=(1, 2, 2)), (1, 4, 4, 9, 9)),
    "avg_1d": (nn.AvgPool1d(3, stride=2, padding=1), (2, 4, 11)),
    "max_1d": (nn.MaxPool1d(2), (2, 4, 10)),
}


@pytest.mark.parametrize("case", sorted(POOLS))
def test_pool_to_pool2d(case):
    pool, shape = POOLS[case]
    before, after, count = run_pass(pool, (seeded(shape),), PoolToPool2d(), ONLY_2D)
    assert count == 1
    assert all(info.attrs.rank == 2 for info in describe(after.graph) if info.op in ("avg_pool", "max_pool"))
    assert_same(before, after, shape)


def test_ceil_mode_pool_is_left_alone():
    _, _, count = run_pass(nn.AvgPool3d(2, ceil_mode=True), (seeded((1, 4, 3, 5, 5)),), PoolToPool2d(), ONLY_2D)
    assert count == 0


@pytest.mark.parametrize("conv", [nn.Conv1d(4, 6, 3, stride=2, padding=1), nn.Conv1d(4, 4, 3, dilation=2, groups=4)],
                         ids=["strided", "depthwise_dilated"])
def test_conv1d_to_conv2d(conv):
    shape = (2, 4, 12)
    before, after, count = run_pass(conv, (seeded(shape),), Conv1dToConv2d(), ONLY_2D)
    assert count == 1
    assert [info.attrs.rank for info in describe(after.graph) if info.op == "conv"] == [2]
    assert_same(before, after, shape)


def test_standalone_batch_norm_to_affine():
    model = nn.Sequential(nn.ReLU(), _bn(4)).eval()
    shape = (2, 4, 3, 5, 5)
    before, after, count = run_pass(model, (seeded(shape),), BatchNormToAffine(), ONLY_2D)
    assert count == 1
    assert "batch_norm" not in ops_of(after) and {"mul", "add"} <= set(ops_of(after))
    assert_same(before, after, shape)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@pytest.mark.parametrize("dims, keepdim", [((2, 3, 4), True), ((-1, -2), False), ((1,), True), ((1, 3), False),
                                           ((0, 1, 2, 3, 4), False)])
def test_mean_to_spatial_mean(dims, keepdim):
    shape = (2, 4, 3, 5, 6)
    model = Fn(lambda x: x.mean(dim=dims, keepdim=keepdim))
    before, after, count = run_pass(model, (seeded(shape),), MeanToSpatialMean(), ONLY_2D)
    assert count == 1
    means = [info.attrs for info in describe(after.graph) if info.op == "mean"]
    assert [(m.rank, m.dims, m.keepdim) for m in means] == [(4, (2, 3), True)]
    assert_same(before, after, shape)


def test_full_to_constant():
    shape = (1, 4, 3, 5, 5)
    model = Fn(lambda x: torch.cat([torch.full((1, 4, 1, 5, 5), 0.5), x], dim=2))
    before, after, count = run_pass(model, (seeded(shape),), FullToConstant(), ONLY_2D)
    assert count == 1 and "full" not in ops_of(after)
    assert_same(before, after, shape)


@pytest.mark.parametrize("activation", [nn.ReLU(), nn.ReLU6()], ids=["relu", "relu6"])
def test_activation_before_view(activation):
    """conv → view → relu becomes conv → relu → view (the relu can then fuse into the conv)."""
    conv = nn.Conv2d(4, 6, 3, padding=1)
    model = Fn(lambda x: activation(conv(x.reshape(2, 4, 5, 5)).reshape(1, 2, 6, 5, 5)))
    shape = (1, 2, 4, 5, 5)
    before, after, count = run_pass(model, (seeded(shape),), ActivationBeforeView())
    assert count == 1
    assert ops_of(after)[-3:] == ["conv", ops_of(before)[-1], "reshape"]
    assert_same(before, after, shape)


def test_activation_stays_after_a_shared_view():
    conv = nn.Conv2d(4, 6, 3, padding=1)

    def forward(x):
        y = conv(x).reshape(1, 2, 6, 5, 5)
        return torch.relu(y) + y  # y has two users: the relu must stay where it is

    _, _, count = run_pass(Fn(forward), (seeded((2, 4, 5, 5)),), ActivationBeforeView())
    assert count == 0


def test_remove_noops():
    model = nn.Sequential(nn.Dropout(0.5), nn.ReLU(), nn.Identity(), nn.Dropout3d(0.1)).eval()
    shape = (1, 4, 2, 4, 4)

    class WithClone(nn.Module):
        def forward(self, x):
            return model(x).clone() * 2

    before, after, count = run_pass(WithClone().eval(), (seeded(shape),), RemoveNoOps())
    assert count >= 1
    assert "identity" not in ops_of(after)
    assert_same(before, after, shape)


def test_planned_graph_keeps_module_paths_after_relift(tiny_model):
    x = tiny_model.default_cfg.example_input()
    program = capture(tiny_model, (x,))
    gm = unlift(program)
    Conv3dToConv2d().run(gm, CTX)
    finish(gm)
    relifted = relift(gm, (x,))
    paths = {i.module_path for i in describe(relifted.graph) if i.op == "conv"}
    assert "block1.depthwise.0" in paths and "mix.0" in paths
    torch.testing.assert_close(relifted.module()(x), tiny_model(x), rtol=1e-5, atol=1e-5)

"""xport's MIL evaluator, op by op, against torch, on programs written with coremltools' MIL builder.

Each program is saved as an ``.mlpackage`` exactly as written (no MIL passes) and read back from disk, so these
tests exercise the protobuf and weight-blob reading as well as the kernels, independently of xport's emitter.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from xport import backends

_OK, _REASON = backends.get("coreml").is_available()
if not _OK:  # the imports below need coremltools
    pytest.skip(f"backend coreml unavailable: {_REASON}", allow_module_level=True)

from xport.backends.coreml import BACKEND as COREML  # noqa: E402
from xport.backends.coreml.mil_eval import Evaluator, UnknownOpsError, load_program  # noqa: E402
from xport.backends.coreml.package import spec_path  # noqa: E402

with COREML.quiet():
    import coremltools as ct
    from coremltools.converters.mil import Builder as mb
    from coremltools.proto import Model_pb2

_SAVED = itertools.count()


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.float32))


def evaluator_for(prog, tmp_path, target=ct.target.iOS16) -> Evaluator:
    """Save ``prog`` as written, read the package back from disk, and open it in the evaluator."""
    path = tmp_path / f"program{next(_SAVED)}.mlpackage"
    with COREML.quiet():
        model = ct.convert(prog, convert_to="mlprogram", minimum_deployment_target=target,
                           compute_precision=ct.precision.FLOAT32, pass_pipeline=ct.PassPipeline.EMPTY)
        model.save(str(path))
    model_file = spec_path(path)
    spec = Model_pb2.Model()
    spec.ParseFromString(model_file.read_bytes())
    return Evaluator(load_program(spec, model_file.parent))


def program(shapes, body, target=ct.target.iOS16):
    specs = [mb.TensorSpec(shape=s) for s in shapes]
    if len(shapes) == 1:
        return mb.program(input_specs=specs, opset_version=target)(lambda x: body(x))
    return mb.program(input_specs=specs, opset_version=target)(lambda x, y: body(x, y))


W2, B4 = rand(4, 3, 3, 3, seed=1), rand(4, seed=2)
WG, WD = rand(6, 2, 3, 3, seed=3), rand(4, 1, 3, 3, seed=4)
W3, W1 = rand(3, 2, 3, 3, 3, seed=5), rand(5, 3, 3, seed=6)
WL, BL = rand(5, 8, seed=7), rand(5, seed=8)
A31, B14 = rand(3, 1, seed=9), rand(1, 4, seed=10)
MEAN, VAR, GAMMA, BETA = rand(3, seed=11), np.abs(rand(3, seed=12)) + 0.5, rand(3, seed=13), rand(3, seed=14)
INF = float("inf")

# name → (input shapes, MIL body, torch reference)
CASES = {
    "conv2d_custom_pad_stride": ([(1, 3, 8, 8)],
                                 lambda x: mb.conv(x=x, weight=W2, bias=B4, pad_type="custom", pad=[1, 0, 2, 1],
                                                   strides=[1, 2]),
                                 lambda x: F.conv2d(F.pad(x, (2, 1, 1, 0)), t(W2), t(B4), stride=(1, 2))),
    "conv2d_same_dilated": ([(1, 3, 9, 9)], lambda x: mb.conv(x=x, weight=W2, pad_type="same", dilations=[2, 2]),
                            lambda x: F.conv2d(x, t(W2), padding=2, dilation=2)),
    "conv2d_same_lower_strided": ([(1, 3, 8, 8)],
                                  lambda x: mb.conv(x=x, weight=W2, pad_type="same_lower", strides=[2, 2]),
                                  lambda x: F.conv2d(F.pad(x, (1, 0, 1, 0)), t(W2), stride=2)),
    "conv2d_grouped": ([(1, 4, 6, 6)], lambda x: mb.conv(x=x, weight=WG, groups=2),
                       lambda x: F.conv2d(x, t(WG), groups=2)),
    "conv2d_depthwise": ([(1, 4, 6, 6)], lambda x: mb.conv(x=x, weight=WD, groups=4, pad_type="custom",
                                                           pad=[1, 1, 1, 1]),
                         lambda x: F.conv2d(x, t(WD), padding=1, groups=4)),
    "conv3d": ([(1, 2, 4, 6, 6)], lambda x: mb.conv(x=x, weight=W3, pad_type="custom", pad=[1] * 6, strides=[1, 2, 2]),
               lambda x: F.conv3d(x, t(W3), padding=1, stride=(1, 2, 2))),
    "conv1d": ([(1, 3, 10)], lambda x: mb.conv(x=x, weight=W1), lambda x: F.conv1d(x, t(W1))),
    "linear": ([(2, 8)], lambda x: mb.linear(x=x, weight=WL, bias=BL), lambda x: F.linear(x, t(WL), t(BL))),
    "matmul_transpose_y": ([(2, 4, 8), (2, 3, 8)], lambda x, y: mb.matmul(x=x, y=y, transpose_y=True),
                           lambda x, y: x @ y.transpose(1, 2)),
    "arithmetic_broadcast": ([(2, 3, 4)],
                             lambda x: mb.real_div(x=mb.mul(x=mb.sub(x=mb.add(x=x, y=A31), y=np.float32(0.5)), y=B14),
                                                   y=mb.add(x=mb.mul(x=x, y=x), y=np.float32(1.0))),
                             lambda x: (x + t(A31) - 0.5) * t(B14) / (x * x + 1)),
    "maximum_minimum": ([(2, 3), (2, 3)], lambda x, y: mb.minimum(x=mb.maximum(x=x, y=y), y=np.float32(0.3)),
                        lambda x, y: torch.clamp(torch.maximum(x, y), max=0.3)),
    "relu": ([(2, 5)], lambda x: mb.relu(x=x), torch.relu),
    "relu6": ([(2, 5)], lambda x: mb.relu6(x=mb.mul(x=x, y=np.float32(5.0))), lambda x: F.relu6(x * 5)),
    "sigmoid": ([(2, 5)], lambda x: mb.sigmoid(x=x), torch.sigmoid),
    "tanh": ([(2, 5)], lambda x: mb.tanh(x=x), torch.tanh),
    "silu": ([(2, 5)], lambda x: mb.silu(x=x), F.silu),
    "clip": ([(2, 5)], lambda x: mb.clip(x=x, alpha=np.float32(-0.5), beta=np.float32(0.75)),
             lambda x: x.clamp(-0.5, 0.75)),
    "sigmoid_hard_as_hardsigmoid": ([(4, 8)], lambda x: mb.sigmoid_hard(x=mb.mul(x=x, y=np.float32(4.0)),
                                                                         alpha=np.float32(1 / 6), beta=np.float32(0.5)),
                                    lambda x: F.hardsigmoid(x * 4)),
    "hardswish_path": ([(4, 8)],
                       lambda x: mb.mul(x=mb.thresholded_relu(x=mb.mul(x=x, y=np.float32(4.0)), alpha=np.float32(-3.0)),
                                        y=mb.sigmoid_hard(x=mb.mul(x=x, y=np.float32(4.0)), alpha=np.float32(1 / 6),
                                                          beta=np.float32(0.5))),
                       lambda x: F.hardswish(x * 4)),
    "leaky_relu": ([(2, 5)], lambda x: mb.leaky_relu(x=x, alpha=np.float32(0.1)), lambda x: F.leaky_relu(x, 0.1)),
    "exp_sqrt_abs": ([(2, 5)], lambda x: mb.sqrt(x=mb.add(x=mb.abs(x=x), y=mb.exp(x=x))),
                     lambda x: torch.sqrt(x.abs() + x.exp())),
    "softmax": ([(2, 10)], lambda x: mb.softmax(x=x, axis=1), lambda x: torch.softmax(x, 1)),
    "reduce_mean": ([(1, 3, 4, 5)], lambda x: mb.reduce_mean(x=x, axes=[2, 3], keep_dims=True),
                    lambda x: x.mean((2, 3), keepdim=True)),
    "reduce_sum": ([(1, 3, 4, 5)], lambda x: mb.reduce_sum(x=x, axes=[1]), lambda x: x.sum(1)),
    "reduce_max": ([(1, 3, 4, 5)], lambda x: mb.reduce_max(x=x, axes=[-1], keep_dims=True),
                   lambda x: x.amax(-1, keepdim=True)),
    "avg_pool_excluding_padding": ([(1, 3, 8, 8)],
                                   lambda x: mb.avg_pool(x=x, kernel_sizes=[3, 3], strides=[2, 2], pad_type="custom",
                                                         pad=[1, 1, 1, 1], exclude_padding_from_average=True),
                                   lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
    "avg_pool_including_asymmetric_padding": ([(1, 3, 7, 7)],
                                              lambda x: mb.avg_pool(x=x, kernel_sizes=[2, 2], strides=[2, 2],
                                                                    pad_type="custom", pad=[0, 1, 0, 1]),
                                              lambda x: F.avg_pool2d(F.pad(x, (0, 1, 0, 1)), 2, 2)),
    "avg_pool3d": ([(1, 2, 4, 6, 6)], lambda x: mb.avg_pool(x=x, kernel_sizes=[1, 2, 2], strides=[1, 2, 2],
                                                           pad_type="valid"),
                   lambda x: F.avg_pool3d(x, (1, 2, 2))),
    "max_pool3d_same": ([(1, 2, 3, 8, 8)],
                        lambda x: mb.max_pool(x=x, kernel_sizes=[1, 3, 3], strides=[1, 2, 2], pad_type="same"),
                        lambda x: F.max_pool3d(F.pad(x, (0, 1, 0, 1), value=-INF), (1, 3, 3), (1, 2, 2))),
    "batch_norm": ([(2, 3, 4, 4)], lambda x: mb.batch_norm(x=x, mean=MEAN, variance=VAR, gamma=GAMMA, beta=BETA,
                                                           epsilon=np.float32(1e-3)),
                   lambda x: F.batch_norm(x, t(MEAN), t(VAR), t(GAMMA), t(BETA), False, 0.0, 1e-3)),
    "reshape_transpose": ([(2, 3, 4)], lambda x: mb.transpose(x=mb.reshape(x=x, shape=[2, -1, 2]), perm=[2, 0, 1]),
                          lambda x: x.reshape(2, -1, 2).permute(2, 0, 1)),
    "concat": ([(1, 2, 3)], lambda x: mb.concat(values=[x, mb.mul(x=x, y=np.float32(2.0)), x], axis=1),
               lambda x: torch.cat([x, x * 2, x], 1)),
    "slice_by_index": ([(3, 4, 6)],
                       lambda x: mb.slice_by_index(x=x, begin=[1, 1, 0], end=[0, 3, 6], stride=[1, 1, 2],
                                                   begin_mask=[False, False, True], end_mask=[True, False, False],
                                                   squeeze_mask=[False, False, False]),
                       lambda x: x[1:, 1:3, ::2]),
    "slice_squeeze": ([(3, 4, 6)], lambda x: mb.slice_by_index(x=x, begin=[0, 2, 0], end=[3, 3, 6],
                                                               squeeze_mask=[False, True, False]),
                      lambda x: x[:, 2]),
    "slice_by_size": ([(3, 4, 6)], lambda x: mb.slice_by_size(x=x, begin=[0, 1, 2], size=[-1, 2, 3]),
                      lambda x: x[:, 1:3, 2:5]),
    "pad_constant": ([(1, 2, 3, 4)], lambda x: mb.pad(x=x, pad=[1, 0, 2, 1], constant_val=np.float32(0.5)),
                     lambda x: F.pad(x, (2, 1, 1, 0), value=0.5)),
    "pad_reflect": ([(1, 2, 5)], lambda x: mb.pad(x=x, pad=[2, 1], mode="reflect"),
                    lambda x: F.pad(x, (2, 1), mode="reflect")),
    "expand_squeeze": ([(2, 3)], lambda x: mb.squeeze(x=mb.expand_dims(x=x, axes=[0, -1]), axes=[0]),
                       lambda x: x.unsqueeze(-1)),
    "split": ([(2, 6)], lambda x: mb.split(x=x, num_splits=3, axis=1), lambda x: x.split(2, 1)),
    "tile": ([(2, 3)], lambda x: mb.tile(x=x, reps=[2, 1]), lambda x: x.repeat(2, 1)),
    "cast_to_int_truncates": ([(2, 5)],
                              lambda x: mb.cast(x=mb.cast(x=mb.mul(x=x, y=np.float32(10.0)), dtype="int32"),
                                                dtype="fp32"),
                              lambda x: torch.trunc(x * 10)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_matches_torch(case, tmp_path):
    shapes, body, reference = CASES[case]
    evaluator = evaluator_for(program(shapes, body), tmp_path)
    inputs = [rand(*s, seed=20 + i) for i, s in enumerate(shapes)]
    names = [i.name for i in evaluator.program.inputs]
    outputs = evaluator.run(dict(zip(names, inputs)))
    expected = reference(*map(t, inputs))
    expected = expected if isinstance(expected, (tuple, list)) else [expected]
    assert len(outputs) == len(expected)
    for got, want in zip(outputs.values(), expected):
        assert got.shape == tuple(want.shape)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)


def test_fp16_ops_are_rounded_like_fp16(tmp_path):
    w = rand(4, 3, 3, 3, seed=30)

    def body(x):
        h = mb.cast(x=x, dtype="fp16")
        y = mb.conv(x=h, weight=w.astype(np.float16), pad_type="custom", pad=[1, 1, 1, 1])
        y = mb.mul(x=mb.silu(x=y), y=np.float16(3.0))
        return mb.cast(x=y, dtype="fp32")

    evaluator = evaluator_for(program([(1, 3, 8, 8)], body), tmp_path)
    x = rand(1, 3, 8, 8, seed=31) * 100  # large values: fp16 steps are coarse, so rounding is visible
    (got,) = evaluator.run({evaluator.program.inputs[0].name: x}).values()

    def half(v: torch.Tensor) -> torch.Tensor:
        return v.half().float()

    # One rounding per op, each op fed fp16 values.
    expected = half(half(F.silu(half(F.conv2d(half(t(x)), half(t(w)), padding=1)))) * 3)
    unrounded = F.silu(F.conv2d(t(x), t(w), padding=1)) * 3
    np.testing.assert_allclose(got, expected.numpy(), rtol=2e-3, atol=0)  # within an fp16 step of the emulation
    assert np.abs(got - unrounded.numpy()).max() > 1e-3  # and visibly not fp32
    assert np.array_equal(got, got.astype(np.float16).astype(np.float32))  # every value on the fp16 grid


def test_immediate_and_blob_constants(tmp_path):
    small, large = rand(3, seed=40), rand(64, 33, seed=41)  # small ones stay in the protobuf, large ones in the blob
    evaluator = evaluator_for(program([(2, 33)], lambda x: mb.add(x=mb.linear(x=x, weight=large), y=small[:1])),
                              tmp_path)
    x = rand(2, 33, seed=42)
    (got,) = evaluator.run({evaluator.program.inputs[0].name: x}).values()
    np.testing.assert_allclose(got, F.linear(t(x), t(large)).numpy() + small[0], rtol=1e-5, atol=1e-5)


def test_unknown_op_is_refused_by_name(tmp_path):
    prog = program([(2, 5)], lambda x: mb.relu(x=mb.sin(x=x)))
    with pytest.raises(UnknownOpsError, match=r"no kernel for 'sin' \(op '"):
        evaluator_for(prog, tmp_path)

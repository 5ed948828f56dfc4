"""Compressed weights in the MIL evaluator: every ``constexpr_*`` form, against weights expanded in NumPy.

The programs are written with the MIL builder (iOS 16 and iOS 18 forms); references expand the same stored
data independently (NumPy bit packing, table lookups, block repeats).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as F

from xport import backends

_OK, _REASON = backends.get("coreml").is_available()
if not _OK:  # the imports below need coremltools
    pytest.skip(f"backend coreml unavailable: {_REASON}", allow_module_level=True)

from xport.backends.coreml import BACKEND as COREML  # noqa: E402

from .test_coreml_mil_eval import evaluator_for, program, rand, t  # noqa: E402

with COREML.quiet():
    import coremltools as ct
    from coremltools.converters.mil import Builder as mb
    from coremltools.converters.mil.mil import types

X = rand(3, 8, seed=50)


def pack_lsb_first(values: np.ndarray, nbits: int) -> np.ndarray:
    """n-bit values packed least significant bit first (Core ML's sub-byte layout)."""
    bits = (values.reshape(-1, 1).astype(np.int64) >> np.arange(nbits)) & 1
    return np.packbits(bits.reshape(-1).astype(np.uint8), bitorder="little")


def linear_output(weight_op, target, tmp_path, fp16: bool = False) -> np.ndarray:
    """x @ W^T with W produced by ``weight_op()`` inside the program (in fp16 for fp16 weights)."""

    def body(x):
        if not fp16:
            return mb.linear(x=x, weight=weight_op())
        return mb.cast(x=mb.linear(x=mb.cast(x=x, dtype="fp16"), weight=weight_op()), dtype="fp32")

    evaluator = evaluator_for(program([X.shape], body, target), tmp_path, target)
    (got,) = evaluator.run({evaluator.program.inputs[0].name: X}).values()
    return got


def check(got: np.ndarray, weight: np.ndarray, rtol: float = 1e-4) -> None:
    expected = F.linear(t(X), t(weight)).numpy()
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("lut_dtype", [np.float32, np.float16])
def test_ios16_lut_to_dense(lut_dtype, tmp_path):
    lut = rand(16, seed=51).astype(lut_dtype)
    indices = np.random.default_rng(52).integers(0, 16, size=(5, 8))
    got = linear_output(lambda: mb.constexpr_lut_to_dense(indices=pack_lsb_first(indices, 4), lut=lut,
                                                          shape=np.array([5, 8], dtype=np.uint32)),
                        ct.target.iOS16, tmp_path, fp16=lut_dtype == np.float16)
    check(got, lut.astype(np.float32)[indices], rtol=3e-3 if lut_dtype == np.float16 else 1e-4)


def test_ios16_affine_dequantize(tmp_path):
    q = np.random.default_rng(53).integers(-128, 128, size=(5, 8)).astype(np.int8)
    zero = np.array([0, 1, -2, 3, 0], dtype=np.int8)
    scale = (np.abs(rand(5, seed=54)) * 0.01 + 0.001).astype(np.float32)
    got = linear_output(lambda: mb.constexpr_affine_dequantize(quantized_data=q, zero_point=zero, scale=scale, axis=0),
                        ct.target.iOS16, tmp_path)
    check(got, (q.astype(np.float32) - zero[:, None]) * scale[:, None])


def test_ios16_sparse_to_dense(tmp_path):
    dense = rand(5, 8, seed=55)
    dense[np.random.default_rng(56).random((5, 8)) < 0.6] = 0
    mask = dense != 0
    got = linear_output(lambda: mb.constexpr_sparse_to_dense(nonzero_data=dense[mask], mask=pack_lsb_first(mask, 1),
                                                             shape=np.array([5, 8], dtype=np.uint32)),
                        ct.target.iOS16, tmp_path)
    check(got, dense)


def test_ios18_blockwise_shift_scale(tmp_path):
    data = np.random.default_rng(57).integers(-8, 8, size=(5, 8)).astype(np.int8)
    scale = (np.abs(rand(5, 2, seed=58)) * 0.1 + 0.01).astype(np.float32)  # blocks of 4 along the input axis
    offset = np.random.default_rng(59).integers(-2, 3, size=(5, 2)).astype(np.int8)
    got = linear_output(lambda: mb.constexpr_blockwise_shift_scale(data=data, scale=scale, offset=offset),
                        ct.target.iOS18, tmp_path)
    check(got, np.repeat(scale, 4, axis=1) * (data - np.repeat(offset, 4, axis=1)))


def test_ios18_grouped_lut_to_dense(tmp_path):
    lut = rand(5, 1, 16, 1, seed=60)  # one 4-bit table per output channel
    indices = np.random.default_rng(61).integers(0, 16, size=(5, 8))
    got = linear_output(lambda: mb.constexpr_lut_to_dense(indices=indices.astype(types.np_uint4_dtype), lut=lut),
                        ct.target.iOS18, tmp_path)
    check(got, lut[np.arange(5)[:, None], 0, indices, 0])


def test_ios18_vector_lut_to_dense(tmp_path):
    lut = rand(1, 1, 8, 2, seed=62)  # 8 vectors of 2 values, filled along the input axis
    indices = np.random.default_rng(63).integers(0, 8, size=(5, 4))
    got = linear_output(lambda: mb.constexpr_lut_to_dense(indices=indices.astype(types.np_uint3_dtype), lut=lut,
                                                          vector_axis=1),
                        ct.target.iOS18, tmp_path)
    check(got, lut[0, 0][indices].reshape(5, 8))


def test_ios18_sparse_to_dense(tmp_path):
    dense = rand(5, 8, seed=64)
    dense[np.random.default_rng(65).random((5, 8)) < 0.5] = 0
    mask = (dense != 0).astype(types.np_uint1_dtype)
    got = linear_output(lambda: mb.constexpr_sparse_to_dense(nonzero_data=dense[dense != 0], mask=mask),
                        ct.target.iOS18, tmp_path)
    check(got, dense)

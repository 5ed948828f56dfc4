"""Compressed weights: the ``constexpr_*`` ops Core ML expands when it loads a model.

iOS 16 forms: ``constexpr_affine_dequantize`` (per-axis scale and zero point), ``constexpr_lut_to_dense``
(bit-packed indices into one lookup table, plus the output ``shape``), ``constexpr_sparse_to_dense`` (bit-mask
of non-zeros, plus ``shape``) and ``constexpr_cast``. iOS 18 forms: ``constexpr_blockwise_shift_scale``,
``constexpr_lut_to_dense`` with n-bit index tensors and per-block (and vector) tables, ``constexpr_sparse_to_dense``
with a uint1 mask tensor. They run once, when the evaluator opens a program.
"""

from __future__ import annotations

import numpy as np
import torch

from ..values import unpack_bits
from .args import Args
from .registry import kernel


def _along(values: torch.Tensor, axis: int, rank: int) -> torch.Tensor:
    """Per-axis parameters (or a scalar) shaped to broadcast over a rank-``rank`` tensor along ``axis``."""
    if values.dim() == 0 or values.numel() == 1:
        return values.reshape([1] * rank)
    shape = [1] * rank
    shape[axis % rank] = values.numel()
    return values.reshape(shape)


@kernel("constexpr_affine_dequantize")
def affine_dequantize(a: Args) -> torch.Tensor:
    """(quantized_data − zero_point) · scale, scale and zero point along ``axis``."""
    data = a.tensor("quantized_data").to(torch.float32)
    axis = a.value("axis")
    zero = _along(a.tensor("zero_point").to(torch.float32), axis, data.dim())
    scale = _along(a.tensor("scale").to(torch.float32), axis, data.dim())
    return (data - zero) * scale


def _repeat_blocks(values: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Per-block parameters repeated to ``shape`` (block size = shape / values.shape per axis)."""
    for axis, (full, blocks) in enumerate(zip(shape, values.shape)):
        if full % blocks:
            raise ValueError(f"{blocks} blocks do not divide an axis of size {full}")
        if full != blocks:
            values = values.repeat_interleave(full // blocks, dim=axis)
    return values


@kernel("constexpr_blockwise_shift_scale")
def blockwise_shift_scale(a: Args) -> torch.Tensor:
    """scale · (data − offset), each of scale/offset per block of ``data``."""
    data = a.tensor("data").to(torch.float32)
    scale = _repeat_blocks(a.tensor("scale").to(torch.float32), tuple(data.shape))
    offset = a.tensor("offset", None)
    if offset is not None:
        data = data - _repeat_blocks(offset.to(torch.float32), tuple(data.shape))
    return scale * data


@kernel("constexpr_lut_to_dense")
def lut_to_dense(a: Args) -> torch.Tensor:
    lut = a.tensor("lut").to(torch.float32)
    indices = a.tensor("indices")
    if a.has("shape"):  # iOS 16: packed uint8 indices, one table of 2^n entries
        shape = a.ints("shape")
        nbits = int(np.log2(lut.numel()))
        if 1 << nbits != lut.numel():
            raise a.fail(f"a lookup table of {lut.numel()} entries is not 2^n")
        flat = unpack_bits(indices.numpy().astype(np.uint8), nbits, int(np.prod(shape)))
        return lut.reshape(-1)[torch.from_numpy(flat.astype(np.int64))].reshape(shape)
    return _lut_ios18(a, indices.to(torch.long), lut)


def _lut_ios18(a: Args, indices: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    """lut: [*blocks, palettes, vector]; each index picks a vector of the table of its block."""
    rank = indices.dim()
    palettes, vector = lut.shape[-2], lut.shape[-1]
    vector_axis = a.value("vector_axis", None)
    if vector > 1:
        indices = indices.movedim(vector_axis % rank, -1)
        lut = lut.movedim(vector_axis % rank, rank - 1)
    tables = _repeat_blocks(lut.reshape(*lut.shape[:rank], palettes * vector), tuple(indices.shape))
    tables = tables.reshape(*indices.shape, palettes, vector)
    picked = torch.gather(tables, rank, indices[..., None, None].expand(*indices.shape, 1, vector)).squeeze(rank)
    if vector == 1:
        return picked.squeeze(-1)
    # The vector of each index lies along vector_axis.
    return picked.reshape(*indices.shape[:-1], indices.shape[-1] * vector).movedim(-1, vector_axis % rank)


@kernel("constexpr_sparse_to_dense")
def sparse_to_dense(a: Args) -> torch.Tensor:
    data = a.tensor("nonzero_data").to(torch.float32)
    mask = a.tensor("mask")
    if a.has("shape"):  # iOS 16: a bit-packed mask, LSB first
        shape = a.ints("shape")
        bits = np.unpackbits(mask.numpy().astype(np.uint8), bitorder="little")[: int(np.prod(shape))]
        mask = torch.from_numpy(bits.astype(np.bool_)).reshape(shape)
    else:
        mask = mask != 0
    if int(mask.sum()) != data.numel():
        raise a.fail(f"the mask has {int(mask.sum())} non-zeros for {data.numel()} values")
    dense = torch.zeros(mask.shape, dtype=torch.float32)
    dense[mask] = data
    return dense


@kernel("constexpr_cast")
def constexpr_cast(a: Args) -> torch.Tensor:
    return a.tensor("source_val").to(torch.float32)

"""MIL data-movement ops: reshape, expand_dims, squeeze, transpose, concat, split, slices, pad, tile, gather,
identity."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .args import Args
from .registry import kernel


@kernel("identity")
def identity(a: Args) -> torch.Tensor:
    return a.tensor("x")


@kernel("reshape")
def reshape(a: Args) -> torch.Tensor:
    x = a.tensor("x")
    shape = a.ints("shape")
    # 0 copies the input's size at that position (MIL reshape), -1 is inferred.
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


@kernel("expand_dims")
def expand_dims(a: Args) -> torch.Tensor:
    x = a.tensor("x")
    rank = x.dim() + len(a.ints("axes"))
    for axis in sorted(ax % rank for ax in a.ints("axes")):
        x = x.unsqueeze(axis)
    return x


@kernel("squeeze")
def squeeze(a: Args) -> torch.Tensor:
    x = a.tensor("x")
    axes = a.ints("axes", None)
    if axes is None:
        return x.squeeze()
    for axis in axes:
        if x.shape[axis] != 1:
            raise a.fail(f"cannot squeeze axis {axis} of size {x.shape[axis]}")
    return x.squeeze(tuple(axes))


@kernel("transpose")
def transpose(a: Args) -> torch.Tensor:
    return a.tensor("x").permute(a.ints("perm"))


@kernel("concat")
def concat(a: Args) -> torch.Tensor:
    if a.value("interleave", False):
        raise a.fail("interleaved concat is not supported")
    return torch.cat(a.tensors("values"), dim=a.value("axis"))


@kernel("split")
def split(a: Args) -> list[torch.Tensor]:
    x, axis = a.tensor("x"), a.value("axis")
    sizes = a.ints("split_sizes", None)
    if sizes is None:
        count = a.value("num_splits")
        sizes = [x.shape[axis] // count] * count
    return list(torch.split(x, sizes, dim=axis))


def _positions(begin: int, end: int, stride: int, size: int, begin_masked: bool, end_masked: bool) -> range:
    start = None if begin_masked else begin
    stop = None if end_masked else end
    return range(*slice(start, stop, stride).indices(size))


@kernel("slice_by_index")
def slice_by_index(a: Args) -> torch.Tensor:
    x = a.tensor("x")
    rank = x.dim()
    begin, end = a.ints("begin"), a.ints("end")
    stride = a.ints("stride", [1] * rank)
    begin_mask = a.value("begin_mask", [False] * rank)
    end_mask = a.value("end_mask", [False] * rank)
    squeeze_mask = a.value("squeeze_mask", [False] * rank)
    for axis in range(rank):
        if squeeze_mask[axis]:
            index = begin[axis] % x.shape[axis]
            x = x.narrow(axis, index, 1)
            continue
        picked = _positions(begin[axis], end[axis], stride[axis], x.shape[axis], begin_mask[axis], end_mask[axis])
        if picked.step == 1:
            x = x.narrow(axis, picked.start, max(len(picked), 0))
        else:
            x = x.index_select(axis, torch.tensor(list(picked), dtype=torch.long))
    squeezed = [axis for axis in range(rank) if squeeze_mask[axis]]
    return x.squeeze(tuple(squeezed)) if squeezed else x


@kernel("slice_by_size")
def slice_by_size(a: Args) -> torch.Tensor:
    x = a.tensor("x")
    for axis, (b, s) in enumerate(zip(a.ints("begin"), a.ints("size"))):
        b %= x.shape[axis]
        x = x.narrow(axis, b, x.shape[axis] - b if s == -1 else s)
    return x


@kernel("pad")
def pad(a: Args) -> torch.Tensor:
    """``pad`` lists (begin, end) for the last len(pad)/2 dims, first of them first."""
    x = a.tensor("x")
    flat = a.ints("pad")
    pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
    torch_pad = [p for pair in reversed(pairs) for p in pair]
    mode = a.value("mode", "constant")
    if mode == "constant":
        return F.pad(x, torch_pad, value=float(a.value("constant_val", 0.0)))
    if mode in ("reflect", "replicate"):
        return F.pad(x, torch_pad, mode=mode)
    raise a.fail(f"pad mode '{mode}' is not supported")


@kernel("tile")
def tile(a: Args) -> torch.Tensor:
    return a.tensor("x").repeat(a.ints("reps"))


def _take(x: torch.Tensor, indices: torch.Tensor, axis: int) -> torch.Tensor:
    """x[..., indices, ...] at ``axis``: shape x.shape[:axis] + indices.shape + x.shape[axis + 1:]."""
    picked = x.index_select(axis, indices.reshape(-1).long())
    return picked.reshape(*x.shape[:axis], *indices.shape, *x.shape[axis + 1:])


@kernel("gather")
def gather(a: Args) -> torch.Tensor:
    """tf.gather with ``batch_dims``: output shape x.shape[:axis] + indices.shape[batch_dims:] + x.shape[axis+1:].

    Indices in [-size, size) up to iOS 16; the iOS 17 op (the one with ``validate_indices``) takes [0, size) only
    (coremltools' ``guard_negative_gather_indices`` wraps negative ones first). An index outside the range is
    refused whatever ``validate_indices`` says: with it false Core ML's result is undefined.
    """
    x, indices = a.tensor("x"), a.tensor("indices")
    axis, batch_dims = a.value("axis", 0), a.value("batch_dims", 0)
    if indices.is_floating_point() or indices.dtype == torch.bool:
        raise a.fail(f"indices of type {indices.dtype}")
    if not -x.dim() <= axis < x.dim():
        raise a.fail(f"axis {axis} out of range for rank {x.dim()}")
    axis %= x.dim()
    if not 0 <= batch_dims <= min(axis, indices.dim()) or x.shape[:batch_dims] != indices.shape[:batch_dims]:
        raise a.fail(f"batch_dims {batch_dims} with axis {axis}, x {list(x.shape)}, indices {list(indices.shape)}")
    size = x.shape[axis]
    low = 0 if a.has("validate_indices") else -size
    if indices.numel() and not (low <= int(indices.min()) and int(indices.max()) < size):
        raise a.fail(f"indices {int(indices.min())}..{int(indices.max())} outside [{low}, {size}) on axis {axis}")
    indices = torch.where(indices < 0, indices + size, indices)
    if batch_dims == 0:
        return _take(x, indices, axis)
    batch = x.shape[:batch_dims]
    flat_x, flat_indices = x.reshape(-1, *x.shape[batch_dims:]), indices.reshape(-1, *indices.shape[batch_dims:])
    out = torch.stack([_take(xi, ii, axis - batch_dims) for xi, ii in zip(flat_x, flat_indices)])
    return out.reshape(*batch, *out.shape[1:])

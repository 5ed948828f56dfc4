"""Channels-last layout propagation: which physical axis order each tensor is stored in.

PyTorch tensors are NC(T)HW; TFLite convolutions and pools are NHWC. Every tensor of the written graph has a
*logical* shape (the PyTorch one) and a *perm*: physical axis ``i`` holds logical axis ``perm[i]``. Ops that
do not care about axis order (element-wise, reductions, permutes, most reshapes) keep whatever layout their
input has, so the NHWC layout the convolutions need flows through the graph and TRANSPOSE ops appear only
where a layout really changes (usually at the graph's inputs and outputs).

With the 5-D video layout NTHWC, the conv3d lowerings are copy-free: a 1×1×1 conv's (N, C, T·H, W) view,
a temporal conv's (N, C, T, H·W) view and the taps' (N·T, C, H, W) frames are all the same memory.
"""

from __future__ import annotations

from collections.abc import Sequence

from xport.layout import channels_last_perm

Perm = tuple[int, ...]


def identity(rank: int) -> Perm:
    return tuple(range(rank))


channels_last = channels_last_perm  # the one decision of what channels-last is (xport.layout)


def physical_shape(shape: Sequence[int], perm: Perm) -> list[int]:
    return [int(shape[p]) for p in perm]


def transpose_perm(current: Perm, wanted: Perm) -> list[int]:
    """The TRANSPOSE permutation that turns a tensor stored as ``current`` into one stored as ``wanted``."""
    return [current.index(axis) for axis in wanted]


def after_permute(perm: Perm, dims: Sequence[int]) -> Perm:
    """Layout of ``x.permute(dims)`` that keeps ``x``'s memory untouched (a permute is then free)."""
    return tuple(list(dims).index(axis) for axis in perm)


def after_dropping(perm: Perm, dropped: Sequence[int]) -> Perm:
    """Layout after logical axes ``dropped`` disappear (reduce without keepdim, select), memory untouched."""
    kept = [axis for axis in perm if axis not in dropped]
    return tuple(axis - sum(d < axis for d in dropped) for axis in kept)


def _merge_groups(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[list[int], list[int]]] | None:
    """Pair runs of consecutive axes of ``a`` and ``b`` (axis, size; sizes > 1) with equal products."""
    groups, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        ga, gb = [a[i][0]], [b[j][0]]
        pa, pb = a[i][1], b[j][1]
        i, j = i + 1, j + 1
        while pa != pb:
            if pa < pb and i < len(a):
                ga.append(a[i][0])
                pa *= a[i][1]
                i += 1
            elif pb < pa and j < len(b):
                gb.append(b[j][0])
                pb *= b[j][1]
                j += 1
            else:
                return None
        groups.append((ga, gb))
    return groups if i == len(a) and j == len(b) else None


def after_reshape(shape_in: Sequence[int], perm: Perm, shape_out: Sequence[int],
                  preferred: Sequence[Perm] = ()) -> Perm | None:
    """A layout for ``x.reshape(shape_out)`` that keeps ``x``'s memory (a free RESHAPE), or ``None``.

    A reshape regroups runs of logical axes row-major. It is free when every run of ``x`` that gets merged
    or split is stored contiguously in the same order; the output then stores the new runs where the old
    ones were. Size-1 axes can sit anywhere: the first ``preferred`` layout that fits decides.
    """
    a = [(axis, int(shape_in[axis])) for axis in range(len(shape_in)) if shape_in[axis] != 1]
    b = [(axis, int(shape_out[axis])) for axis in range(len(shape_out)) if shape_out[axis] != 1]
    groups = _merge_groups(a, b)
    if groups is None:
        return None
    stored = [axis for axis in perm if shape_in[axis] != 1]  # physical order of the non-1 axes
    position = {axis: k for k, axis in enumerate(stored)}
    for ga, _ in groups:
        where = [position[axis] for axis in ga]
        if where != list(range(where[0], where[0] + len(ga))):
            return None  # the run is not stored contiguously, major to minor
    order: list[int] = []
    for _, gb in sorted(groups, key=lambda g: position[g[0][0]]):
        order.extend(gb)
    for candidate in (*preferred, identity(len(shape_out))):
        if [axis for axis in candidate if shape_out[axis] != 1] == order:
            return tuple(candidate)
    ones = [axis for axis in range(len(shape_out)) if shape_out[axis] == 1]
    return tuple(ones + order)

"""Compute-heavy MIL ops: conv (1/2/3-D, grouped), linear, matmul, batch_norm, layer_norm, avg_pool and max_pool.

Padding follows MIL's ``pad_type``: ``valid`` (none), ``custom`` (``pad`` = [begin, end] per spatial dim),
``same`` (output = ceil(input / stride), the odd pixel at the end) and ``same_lower`` (the odd pixel first).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .args import Args
from .registry import kernel

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


def _pads(a: Args, spatial: list[int], kernel_size: list[int], strides: list[int],
          dilations: list[int]) -> list[tuple[int, int]]:
    """(begin, end) padding per spatial dim."""
    pad_type = a.value("pad_type", "valid")
    rank = len(spatial)
    if pad_type == "valid":
        return [(0, 0)] * rank
    if pad_type == "custom":
        pad = a.ints("pad", [0] * 2 * rank)
        return [(pad[2 * i], pad[2 * i + 1]) for i in range(rank)]
    if pad_type in ("same", "same_lower"):
        pads = []
        for size, k, s, d in zip(spatial, kernel_size, strides, dilations):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
            small, large = total // 2, total - total // 2
            pads.append((small, large) if pad_type == "same" else (large, small))
        return pads
    raise a.fail(f"pad_type '{pad_type}' is not one MIL defines")


def _torch_pad(pads: list[tuple[int, int]]) -> list[int]:
    """MIL's per-dim (begin, end), first spatial dim first → F.pad's order (last dim first)."""
    return [p for begin_end in reversed(pads) for p in begin_end]


def _symmetric(pads: list[tuple[int, int]]) -> list[int] | None:
    return [b for b, e in pads] if all(b == e for b, e in pads) else None


@kernel("conv")
def conv(a: Args) -> torch.Tensor:
    x, weight = a.tensor("x"), a.tensor("weight")
    rank = weight.dim() - 2
    if rank not in _CONV:
        raise a.fail(f"{rank}-D convolution")
    strides = a.ints("strides", [1] * rank)
    dilations = a.ints("dilations", [1] * rank)
    pads = _pads(a, list(x.shape[2:]), list(weight.shape[2:]), strides, dilations)
    padding = _symmetric(pads)
    if padding is None:
        x, padding = F.pad(x, _torch_pad(pads)), [0] * rank
    return _CONV[rank](x, weight.float(), a.tensor("bias", None), strides, padding, dilations, a.value("groups", 1))


@kernel("linear")
def linear(a: Args) -> torch.Tensor:
    return F.linear(a.tensor("x"), a.tensor("weight").float(), a.tensor("bias", None))


@kernel("matmul")
def matmul(a: Args) -> torch.Tensor:
    x, y = a.tensor("x"), a.tensor("y")
    if a.value("transpose_x", False):
        x = x.transpose(-1, -2)
    if a.value("transpose_y", False):
        y = y.transpose(-1, -2)
    return torch.matmul(x, y)


@kernel("batch_norm")
def batch_norm(a: Args) -> torch.Tensor:
    """Inference batch norm over axis 1 (the channel axis of NC... tensors)."""
    x = a.tensor("x")
    return F.batch_norm(x, a.tensor("mean"), a.tensor("variance"), a.tensor("gamma", None), a.tensor("beta", None),
                        False, 0.0, a.value("epsilon", 1e-5))


@kernel("layer_norm")
def layer_norm(a: Args) -> torch.Tensor:
    """gamma·(x − mean)/√(var + epsilon) + beta over ``axes`` (default: all), the variance biased (÷ N).

    ``gamma``/``beta`` (default 1/0) have the shape of the normalized dims in increasing axis order
    (``x.shape[axes]``); ``epsilon`` defaults to 1e-5.
    """
    x = a.tensor("x").float()
    rank = x.dim()
    axes = a.ints("axes", list(range(rank)))
    if any(not -rank <= axis < rank for axis in axes):
        raise a.fail(f"axes {axes} out of range for rank {rank}")
    axes = sorted({axis % rank for axis in axes})
    normalized = [x.shape[i] for i in axes]
    param_shape = [x.shape[i] if i in axes else 1 for i in range(rank)]
    centered = x - x.mean(dim=axes, keepdim=True)
    variance = centered.square().mean(dim=axes, keepdim=True)
    y = centered / torch.sqrt(variance + a.value("epsilon", 1e-5))
    for name, combine in (("gamma", torch.mul), ("beta", torch.add)):
        param = a.tensor(name, None)
        if param is None:
            continue
        if list(param.shape) != normalized:
            raise a.fail(f"{name} has shape {list(param.shape)}, the normalized dims are {normalized}")
        y = combine(y, param.float().reshape(param_shape))
    return y


def _pool(a: Args, is_max: bool) -> torch.Tensor:
    x = a.tensor("x")
    kernel_size = a.ints("kernel_sizes")
    rank = len(kernel_size)
    strides = a.ints("strides", [1] * rank)
    ceil_mode = bool(a.value("ceil_mode", False))
    pads = _pads(a, list(x.shape[2:]), kernel_size, strides, [1] * rank)
    padding = _symmetric(pads)
    if padding is not None and all(2 * p <= k for p, k in zip(padding, kernel_size)):
        if is_max:
            return _MAX[rank](x, kernel_size, strides, padding, 1, ceil_mode)
        include = not a.value("exclude_padding_from_average", False)
        return _AVG[rank](x, kernel_size, strides, padding, ceil_mode, include)
    # Asymmetric or wide padding (torch pools take neither): pad explicitly, and for an average that excludes
    # padding divide by the pooled count of real elements.
    if is_max:
        return _MAX[rank](F.pad(x, _torch_pad(pads), value=-math.inf), kernel_size, strides, 0, 1, ceil_mode)
    total = _AVG[rank](F.pad(x, _torch_pad(pads)), kernel_size, strides, 0, ceil_mode, True)
    if not a.value("exclude_padding_from_average", False):
        return total
    ones = F.pad(torch.ones_like(x[:1, :1]), _torch_pad(pads))
    return total / _AVG[rank](ones, kernel_size, strides, 0, ceil_mode, True)


@kernel("avg_pool")
def avg_pool(a: Args) -> torch.Tensor:
    return _pool(a, is_max=False)


@kernel("max_pool")
def max_pool(a: Args) -> torch.Tensor:
    return _pool(a, is_max=True)

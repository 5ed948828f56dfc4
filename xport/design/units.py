"""A model as the blocks the latency table prices: its efficient blocks, each with the input shape it sees.

A unit is a module at the block depth of ``xport profile`` (``s2.pathway0_res0``); a top-level module that is not a
sequence, such as ``head`` or ``projection``, is one unit. Its key is its class, its configuration (the module's repr:
channels, kernels, strides) and its input shape, so two blocks with the same key cost the same on a runtime.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Unit:
    """One block of a model: where it is, what it is, what it is fed, and what it costs in work."""

    path: str
    kind: str  # the block's class name, e.g. "X3dBottleneck"
    key: str
    input_shape: tuple[int, ...]
    flops: int
    activation_bytes: int  # its input and output tensors, fp32

    def example_input(self) -> torch.Tensor:
        return torch.zeros(self.input_shape)


def _blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    found = []
    for name, child in model.named_children():
        grandchildren = list(child.named_children())
        if isinstance(child, nn.Sequential) and grandchildren:
            found += [(f"{name}.{n}", m) for n, m in grandchildren]
        elif not isinstance(child, nn.Dropout):
            found.append((name, child))
    return found


def _work(module: nn.Module, output: torch.Tensor) -> int:
    """FLOPs (2 × multiply-accumulates) of a convolution or linear layer, from its output shape: what
    :func:`xport.benchmark.flops.count_flops` counts, without its per-op dispatch (pricing many variants)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        return 2 * output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return 2 * output.numel() * module.in_features
    return 0


def units_of(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[tuple[Unit, nn.Module]]:
    """The model's units in execution order, each with its module (the one ``xport design measure`` exports).

    Only modules fed one tensor are units; a model whose top level does more than chain them (a flatten before the
    classifier) is fine: the input each unit saw is recorded while the whole model runs. A model and inputs on the
    ``meta`` device give the same units without computing anything (``xport design suggest`` prices many).
    """
    blocks = _blocks(model)
    seen: dict[str, tuple[torch.Size, torch.Size]] = {}
    flops: dict[str, int] = dict.fromkeys((path for path, _ in blocks), 0)

    def on_block(path: str):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:  # None: the output is kept
            seen.setdefault(path, (args[0].shape, output.shape))
        return hook

    def on_layer(path: str):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            flops[path] += _work(module, output)
        return hook

    hooks = [module.register_forward_hook(on_block(path)) for path, module in blocks]
    hooks += [layer.register_forward_hook(on_layer(path)) for path, module in blocks for layer in module.modules()
              if isinstance(layer, nn.modules.conv._ConvNd | nn.Linear)]
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    units = []
    for path, module in blocks:
        if path in seen:
            shape_in, shape_out = seen[path]
            digest = hashlib.sha1(f"{module!r}|{tuple(shape_in)}".encode()).hexdigest()[:12]
            units.append((Unit(path, type(module).__name__, f"{type(module).__name__}-{digest}", tuple(shape_in),
                               flops[path], 4 * (shape_in.numel() + shape_out.numel())), module))
    return units

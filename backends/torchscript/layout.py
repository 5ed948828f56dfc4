"""Reshapes into conv inputs, written channels-last in one copy.

PyTorch's quantized conv kernels work on channels-last (NHWC) tensors: they return them, and copy any other input
to NHWC first. A reshape of an NHWC tensor that cannot be a view (the banded conv3d lowering's (N, C·T, H, W), for
one) would copy to NCHW, and the next conv copy again to NHWC. When a reshape only merges neighbouring dims, the
NHWC result is a permute of the source, one copy (none when memory already has that order)::

    (N, C, T, H, W) → (N, C·T, H, W):  x.permute(0, 3, 4, 1, 2).contiguous().reshape(N, H, W, C·T).permute(0, 3, 1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx

_aten = torch.ops.aten


def merged_dims(source: Sequence[int], target: Sequence[int]) -> list[list[int]] | None:
    """The source dims each target dim merges, or ``None`` unless the reshape only merges neighbours."""
    groups: list[list[int]] = []
    i = 0
    for size in target:
        if i >= len(source):
            return None
        group, product = [i], source[i]
        i += 1
        while product < size and i < len(source):
            group.append(i)
            product *= source[i]
            i += 1
        if product != size:
            return None
        groups.append(group)
    if any(source[j] != 1 for j in range(i, len(source))) or not groups:
        return None
    groups[-1] += list(range(i, len(source)))
    return groups


def channels_last_reshape(graph: torch.fx.Graph, x: torch.fx.Node, source: Sequence[int],
                          target: Sequence[int]) -> torch.fx.Node | None:
    """Emit ``x.reshape(target)`` as an NHWC tensor in at most one copy, or return ``None`` if the reshape is
    not a 4-D merge of neighbouring dims (the caller emits a plain reshape)."""
    groups = merged_dims(list(source), list(target)) if len(target) == 4 else None
    if groups is None:
        return None
    n, c, h, w = target
    order = groups[0] + groups[2] + groups[3] + groups[1]
    y = graph.call_function(_aten.permute.default, (x, order))
    y = graph.call_method("contiguous", (y,))
    y = graph.call_function(_aten.reshape.default, (y, [n, h, w, c]))
    return graph.call_function(_aten.permute.default, (y, [0, 3, 1, 2]))

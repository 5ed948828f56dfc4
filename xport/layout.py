"""Channels-last, decided once: the channels-last axis order of a tensor, and the layout names apps see.

PyTorch video tensors are NCTHW (images NCHW). Runtimes whose kernels are NHWC (LiteRT, XNNPACK, PyTorch's quantized
kernels) store them channels-last: NTHWC (NHWC), the channel axis moved to the end. Backends, tensor specs and
packaging read the order and the names here, so an input is never permuted twice or along the wrong axes.
"""

from __future__ import annotations

from xport.errors import XportError

CHANNELS_FIRST = {3: "NCW", 4: "NCHW", 5: "NCTHW"}
CHANNELS_LAST = {3: "NWC", 4: "NHWC", 5: "NTHWC"}


def channels_last_perm(rank: int) -> tuple[int, ...]:
    """(0, 2, 3, …, 1): NCHW → NHWC, NCTHW → NTHWC; ranks below 3 have no channel axis to move."""
    return (0, *range(2, rank), 1) if rank >= 3 else tuple(range(rank))


def channels_first_perm(rank: int) -> tuple[int, ...]:
    """The inverse of :func:`channels_last_perm`: NHWC → NCHW, NTHWC → NCTHW."""
    perm = channels_last_perm(rank)
    return tuple(perm.index(d) for d in range(rank))


def channels_last_name(rank: int) -> str:
    """The name of the channels-last layout of a ``rank``-D tensor (``NTHWC`` for video)."""
    return CHANNELS_LAST.get(rank, "channels-last")


def is_channels_last(layout: str, what: str = "layout") -> bool:
    """Whether ``layout`` (a name such as ``NCTHW`` or ``NTHWC``, any case) is channels-last; unknown names raise,
    naming ``what`` (the option or field that held it)."""
    name = layout.upper()
    if name in CHANNELS_FIRST.values():
        return False
    if name in CHANNELS_LAST.values():
        return True
    raise XportError(f"{what}='{layout}' is not a layout xport writes: use {' or '.join(CHANNELS_FIRST.values())} "
                     f"(as the PyTorch model) or {' or '.join(CHANNELS_LAST.values())} (channels-last)")

"""The marker base class of efficient blocks."""

from __future__ import annotations

from torch import nn


class EfficientBlock(nn.Module):
    """An efficient block: its captured graph is spec ops only, with no backend branches inside.

    The transmuter produces these and never rewrites inside one, so transmuting twice changes nothing.
    """

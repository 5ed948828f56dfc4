"""What the TFLite writer's lowerings pass around: tensors of the graph being written, and lowering failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .layout import Perm

if TYPE_CHECKING:
    from xport.capture import NodeInfo

    from .convert import Converter


@dataclass(frozen=True)
class Value:
    """A runtime tensor of the TFLite graph: its index, PyTorch (logical) shape and stored layout."""

    index: int
    shape: tuple[int, ...]
    perm: Perm


class LoweringError(Exception):
    """A node this writer cannot express in builtin TFLite ops (reason, and how to fix it)."""

    def __init__(self, reason: str, hint: str):
        super().__init__(reason)
        self.reason, self.hint = reason, hint


Lowering = Callable[["Converter", "NodeInfo"], "Value | np.ndarray"]

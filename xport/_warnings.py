"""Narrow filters for notices the toolchains print on every call and users can do nothing about.

Each filter names the exact message (and, where the warning is attributed stably, the module). Nothing
is silenced globally: these apply only inside the ``with`` blocks that use them.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

# TorchScript and the lite interpreter are deprecated in torch 2.13, yet they are what PyTorch Mobile apps
# load today; the torchscript backend exists precisely for those apps.
_TORCHSCRIPT = (
    (r"`torch\.jit\.(trace|trace_method|freeze|script)` is deprecated", DeprecationWarning, r"torch\.jit\..*"),
    (r"Lite Interpreter is deprecated", DeprecationWarning, r""),
)
# torch.export's own unlifting still calls an old pytree API (torch 2.13); attributed to copyreg.
_PYTREE = ((r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning, r""),)


@contextlib.contextmanager
def _ignoring(rules) -> Iterator[None]:
    with warnings.catch_warnings():
        for message, category, module in rules:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        yield


def quiet_torchscript() -> contextlib.AbstractContextManager:
    return _ignoring(_TORCHSCRIPT + _PYTREE)


def quiet_export() -> contextlib.AbstractContextManager:
    return _ignoring(_PYTREE)

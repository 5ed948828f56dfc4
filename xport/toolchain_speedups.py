"""Work the export toolchain repeats with the same result, done once while xport exports (torch 2.13).

Every converter here goes through torch's pass and decomposition machinery (ExecuTorch most: its lowering runs
some thirty graph passes and six decompositions), and three of its steps redo work whose result cannot change:

1. **Provenance links are deep-copied.** Each node a pass creates records the node it came from
   (``node.meta["from_node"]``, a chain of ``NodeSource``), and ``NodeSource``'s constructor deep-copies its
   source's whole chain. The chain grows by one link per pass, so the copying grows with the square of the pass
   count: a fifth of an ExecuTorch export of X3D-XS. A ``NodeSource`` is never changed once made (torch makes new
   ones to extend a chain), so sharing the links records the same provenance.
2. **Decomposition ops are materialized again and again.** Every ``run_decompositions`` materializes all
   CompositeImplicitAutograd ops of the C++ dispatcher into ``torch.ops``, once per op namespace (about forty per
   call). Materializing is idempotent: it is redone only when ops were registered since.
3. **ONNX's function library is re-read from source.** Each ``torch.onnx.export`` lists onnxscript's torchlib
   functions, rebuilding every function's IR from its Python source (~1,500 ``inspect.getsource`` calls, over a
   second per export). The library does not change after import: it is listed once per registry size.

:func:`toolchain_speedups` applies them for the duration of a ``with`` block (re-entrant, thread-safe; the
toolchain's own functions are back when the outermost block ends). A speedup whose target this toolchain version
does not have, or has not loaded yet, is left out.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_depth = 0
_restore: list[tuple[Any, str, Any]] = []  # (owner, attribute, what it was: a value or _MISSING)
_MISSING = object()


def _share_link(self: Any, memo: dict) -> Any:  # NodeSource.__deepcopy__: a link never changes, so share it
    return self


def _materialize_only_new(original: Callable[[], None]) -> Callable[[], None]:
    import torch

    done: set[str] = set()

    def materialize() -> None:
        registered = torch._C._dispatch_get_registrations_for_dispatch_key("CompositeImplicitAutograd")
        if not done.issuperset(registered):
            original()
            done.update(registered)

    return materialize


def _list_once_per_registry_size(original: Callable[[], list]) -> Callable[[], list]:
    from onnxscript.function_libs.torch_lib import registration

    listed: dict[int, list] = {}

    def get_torchlib_ops() -> list:
        size = sum(len(f.overloads) + len(f.complex) for _name, f in registration.default_registry.items())
        if size not in listed:
            listed.clear()
            listed[size] = original()
        return list(listed[size])

    return get_torchlib_ops


# (module, attribute path in it, the speedup: a function of the original, or _MISSING where it adds a method)
_SPEEDUPS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("torch.fx.traceback", "NodeSource.__deepcopy__", lambda _missing: _share_link),
    ("torch._export.utils", "_materialize_cpp_cia_ops", _materialize_only_new),
    # torch 2.13 reads the library through onnxscript's API module for torch 2.11 (torch.onnx._internal._lazy_import)
    ("onnxscript._framework_apis.torch_2_11", "get_torchlib_ops", _list_once_per_registry_size),
)
_made: dict[tuple[str, str], Any] = {}  # each speedup made once per process: its caches outlive the blocks


def _patches() -> list[tuple[Any, str, Any]]:
    """(owner, attribute, speedup) for each speedup whose module is loaded: one not loaded has not run yet (ONNX's
    is loaded by the first ONNX export, so exports from the second on get its speedup)."""
    patches = []
    for module_name, path, speedup in _SPEEDUPS:
        owner: Any = sys.modules.get(module_name)
        *parents, attribute = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is None:
            continue
        original = vars(owner).get(attribute, _MISSING)
        if original is _MISSING and not attribute.startswith("__"):  # this version moved it: leave it as it is
            continue
        if (module_name, path) not in _made:
            _made[module_name, path] = speedup(original)
        patches.append((owner, attribute, _made[module_name, path]))
    return patches


@contextmanager
def toolchain_speedups() -> Iterator[None]:
    """Within the block, the toolchain's repeated work (see the module docstring) is done once."""
    global _depth
    with _lock:
        if _depth == 0:
            for owner, attribute, value in _patches():
                _restore.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
                setattr(owner, attribute, value)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                while _restore:
                    owner, attribute, value = _restore.pop()
                    if value is _MISSING:
                        delattr(owner, attribute)
                    else:
                        setattr(owner, attribute, value)

"""Narrow filters for notices the toolchains print on every call and users can do nothing about.

Each filter names the exact message (and, where the warning is attributed stably, the module). Nothing
is silenced globally: these apply only inside the ``with`` blocks that use them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
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


# ExecuTorch 1.5.1, on import and while lowering: its edge dialect and serializer read their schema files with
# importlib.resources' legacy calls; its Python runtime bindings announce that they are experimental; modules
# it imports still script helpers with torch.jit; and torch.export's pytree notice (above) repeats per program.
_EXECUTORCH = (
    (r"(read_text|open_text|read_binary|open_binary) is deprecated", DeprecationWarning,
     r"(executorch\.|importlib\.resources\.)"),
    (r"This API is experimental and subject to change without notice", Warning,
     r"executorch\.extension\.pybindings\."),
    (r"`torch\.jit\.script_method` is deprecated", DeprecationWarning, r"torch\.jit\."),
)
# Loggers that print once when ExecuTorch imports torchao: CUDA kernels missing from a CPU build, and a notice
# about how torchao registers an enum with torch's pytree. Raised to ERROR only for the duration of the block.
_EXECUTORCH_IMPORT_LOGGERS = ("torchao", "torch.utils._pytree")


@contextlib.contextmanager
def _muted_loggers(names: tuple[str, ...]) -> Iterator[None]:
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextlib.contextmanager
def _root_logger_kept() -> Iterator[None]:
    # ExecuTorch's XNNPACK partitioner calls logging.basicConfig() when imported: the root logger gains a handler,
    # and every record of every library (xport's progress included) would print a second time.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


@contextlib.contextmanager
def quiet_executorch() -> Iterator[None]:
    """For ExecuTorch imports, lowering and program loading (see ``_EXECUTORCH``)."""
    with _ignoring(_EXECUTORCH + _PYTREE), _muted_loggers(_EXECUTORCH_IMPORT_LOGGERS), _root_logger_kept():
        yield


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """File descriptor 2 to /dev/null, for one native call whose only output is diagnostics.

    ExecuTorch's thread pool, when first created, logs from C++ how it probed the CPU (ARM identification
    files that do not exist elsewhere) straight to the process's stderr, where no Python filter reaches.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# coremltools 9.0 logs, on import, version notices about torch 2.13 ("not been tested") and scikit-learn (which
# only its sklearn converter uses), and on Linux that its macOS-only native proxies (predict) failed to load; it
# imports torchao, which logs the CUDA-kernel and pytree notices quieted for ExecuTorch above. Its converter and
# compression passes draw tqdm progress bars on stderr. All are filtered by logger AND message, inside the block.
_COREMLTOOLS_LOG = (
    r"Torch version \S+ has not been tested with coremltools",
    r"scikit-learn version \S+ is not supported",
    r"Failed to load _ML\w+Proxy: No module named 'coremltools\.libcoremlpython'",
)
# Its torch frontend imports ExecuTorch's edge dialect (the ``_EXECUTORCH`` notices) and looks ops up through a
# registry method it deprecated itself.
_COREMLTOOLS = (
    (r"Function _TORCH_OPS_REGISTRY\.__contains__ is deprecated", DeprecationWarning, r"coremltools\."),
)
# Modules whose module-level ``tqdm`` (as imported there) draws a progress bar per conversion or compression.
_COREMLTOOLS_PROGRESS = (
    ("coremltools.converters.mil.frontend.torch.ops", "_tqdm"),
    ("coremltools.converters.mil.mil.passes.pass_pipeline", "tqdm"),
    ("coremltools.optimize.coreml._quantization_passes", "tqdm"),
    ("coremltools.optimize.coreml._post_training_quantization", "tqdm"),
)


class _MessageFilter(logging.Filter):
    def __init__(self, patterns: tuple[str, ...]):
        super().__init__()
        import re

        self._patterns = [re.compile(p) for p in patterns]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(p.search(message) for p in self._patterns)


@contextlib.contextmanager
def _progress_bars_off(places: tuple[tuple[str, str], ...]) -> Iterator[None]:
    import functools
    import importlib

    saved = []
    for module_name, attr in places:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        bar = getattr(module, attr, None)
        if bar is not None:
            saved.append((module, attr, bar))
            setattr(module, attr, functools.partial(bar, disable=True))
    try:
        yield
    finally:
        for module, attr, bar in saved:
            setattr(module, attr, bar)


@contextlib.contextmanager
def quiet_coremltools() -> Iterator[None]:
    """For coremltools imports, conversion and compression (see ``_COREMLTOOLS_LOG``)."""
    log_filter = _MessageFilter(_COREMLTOOLS_LOG)
    logger = logging.getLogger("coremltools")
    logger.addFilter(log_filter)
    try:
        with _ignoring(_COREMLTOOLS + _EXECUTORCH + _PYTREE), _muted_loggers(_EXECUTORCH_IMPORT_LOGGERS):
            import coremltools  # noqa: F401  (first import logs the notices above)

            with _progress_bars_off(_COREMLTOOLS_PROGRESS):
                yield
    finally:
        logger.removeFilter(log_filter)


# torchao 0.18 on import: a warning per CUDA/MX kernel library it cannot load (this is a CPU torch) from the
# "torchao" logger, and torch's pytree logger notes that its KernelPreference enum needs no registration.
_TORCHAO_IMPORT_LOGGERS = ("torchao", "torch.utils._pytree")


@contextlib.contextmanager
def quiet_torchao() -> Iterator[None]:
    """For importing torchao's PT2E quantization and running prepare/convert."""
    with _ignoring(_PYTREE), _muted_loggers(_TORCHAO_IMPORT_LOGGERS):
        yield

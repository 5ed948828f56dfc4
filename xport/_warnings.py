"""Narrow filters for notices the toolchains print on every call and users can do nothing about.

A :class:`Quieting` says, as data, which notices one toolchain prints: warnings (by exact message, category and,
where the warning is attributed stably, module), loggers raised to ERROR or filtered by message, and progress bars
drawn by the toolchain's own modules. Nothing is silenced globally: :func:`quiet` applies one only inside its
``with`` block. Each backend declares its own in its ``BACKEND.quieting``; the ones here belong to libraries core uses
itself (torch.export, torchao) or that several toolchains import (ExecuTorch's exporter).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

WarningRule = tuple[str, type[Warning], str]  # (message regex, category, module regex; "" for any module)


@dataclass(frozen=True)
class Quieting:
    """Notices to filter while a toolchain runs (see the module docstring)."""

    warnings: tuple[WarningRule, ...] = ()
    muted_loggers: tuple[str, ...] = ()  # raised to ERROR for the duration of the block
    log_messages: tuple[tuple[str, str], ...] = ()  # (logger, message regex) records dropped
    progress_bars: tuple[tuple[str, str], ...] = ()  # (module, attribute): that module's tqdm, disabled
    keep_root_logger: bool = False  # undo handlers the toolchain adds to the root logger (logging.basicConfig)
    imports: tuple[str, ...] = ()  # modules whose first import prints: imported inside the block

    def __add__(self, other: Quieting) -> Quieting:
        return Quieting(self.warnings + other.warnings, self.muted_loggers + other.muted_loggers,
                        self.log_messages + other.log_messages, self.progress_bars + other.progress_bars,
                        self.keep_root_logger or other.keep_root_logger, self.imports + other.imports)


# torch.export's own unlifting still calls an old pytree API (torch 2.13); attributed to copyreg.
TORCH_EXPORT = Quieting(warnings=((r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning, r""),))
# torchao 0.18 on import: a warning per CUDA/MX kernel library it cannot load (this is a CPU torch) from the
# "torchao" logger, and torch's pytree logger notes that its KernelPreference enum needs no registration.
TORCHAO = TORCH_EXPORT + Quieting(muted_loggers=("torchao", "torch.utils._pytree"))
# ExecuTorch 1.5.1's exporter (imported by ExecuTorch's lowering and by coremltools' torch frontend): its edge
# dialect and serializer read their schema files with importlib.resources' legacy calls, and modules it imports
# still script helpers with torch.jit; it imports torchao.
EXECUTORCH_EXPORTER = TORCHAO + Quieting(warnings=(
    (r"(read_text|open_text|read_binary|open_binary) is deprecated", DeprecationWarning,
     r"(executorch\.|importlib\.resources\.)"),
    (r"`torch\.jit\.script_method` is deprecated", DeprecationWarning, r"torch\.jit\."),
))


class _MessageFilter(logging.Filter):
    def __init__(self, patterns: list[str]):
        super().__init__()
        self._patterns = [re.compile(p) for p in patterns]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(p.search(message) for p in self._patterns)


@contextlib.contextmanager
def _logging_quieted(q: Quieting) -> Iterator[None]:
    muted = [logging.getLogger(n) for n in q.muted_loggers]
    levels = [lg.level for lg in muted]
    filtered = []
    for name in dict.fromkeys(n for n, _ in q.log_messages):
        log_filter = _MessageFilter([p for n, p in q.log_messages if n == name])
        logging.getLogger(name).addFilter(log_filter)
        filtered.append((logging.getLogger(name), log_filter))
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    for lg in muted:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(muted, levels):
            lg.setLevel(level)
        for lg, log_filter in filtered:
            lg.removeFilter(log_filter)
        if q.keep_root_logger:
            for handler in [h for h in root.handlers if h not in handlers]:
                root.removeHandler(handler)
            root.setLevel(root_level)


@contextlib.contextmanager
def _progress_bars_off(places: tuple[tuple[str, str], ...]) -> Iterator[None]:
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
def quiet(q: Quieting) -> Iterator[None]:
    """Filter the notices ``q`` names (and torch.export's, which every toolchain triggers) inside the block."""
    q = TORCH_EXPORT + q
    with warnings.catch_warnings(), _logging_quieted(q):
        for message, category, module in q.warnings:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        for name in q.imports:
            importlib.import_module(name)
        with _progress_bars_off(q.progress_bars):
            yield


def quiet_export() -> contextlib.AbstractContextManager:
    """For torch.export capture and unlifting."""
    return quiet(TORCH_EXPORT)


def quiet_torchao() -> contextlib.AbstractContextManager:
    """For importing torchao's PT2E quantization and running prepare/convert."""
    return quiet(TORCHAO)


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

"""xport's error hierarchy.

Every error a user can cause derives from :class:`XportError`, and every message says *what* went wrong,
*where* (node, module path, input name, file) and *what to do*.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# A fix written in both forms by :func:`pass_as`: Python callers read the first, the command line the second.
_BOTH_FORMS = re.compile(r"\{api:(.*?)\|cli:(.*?)\}", re.DOTALL)


def pass_as(api: str, cli: str) -> str:
    """A setting to pass in a fix, in both forms: ``pass_as("overwrite=True", "--overwrite")``.

    ``str(error)`` shows ``overwrite=True (CLI: --overwrite)``; the command line shows ``--overwrite`` only
    (:meth:`XportError.cli_message`), so no user is told to pass a flag to Python or a keyword to a shell.
    """
    return f"{{api:{api}|cli:{cli}}}"


class XportError(Exception):
    """Base class of every error xport raises on purpose."""

    def __str__(self) -> str:
        return _BOTH_FORMS.sub(r"\1 (CLI: \2)", super().__str__())

    def cli_message(self) -> str:
        """The message as the command line shows it: each fix in its CLI form."""
        return _BOTH_FORMS.sub(r"\2", super().__str__())


@dataclass(frozen=True)
class UnsupportedNode:
    """One graph node a backend cannot run, with where it came from and how to fix it."""

    node: str
    op: str
    module_path: str
    backend: str
    reason: str
    hint: str

    def __str__(self) -> str:
        where = self.module_path or "<top-level forward>"
        return f"{self.op} (node '{self.node}', module '{where}'): {self.reason}. Fix: {self.hint}"


class UnsupportedOpError(XportError):
    """The model uses ops the chosen backend cannot run, even after xport's rewrites.

    All offending nodes are collected and reported together, not one per attempt.
    """

    def __init__(self, backend: str, nodes: Sequence[UnsupportedNode]):
        self.backend = backend
        self.nodes = list(nodes)
        lines = "\n".join(f"  - {n}" for n in self.nodes)
        super().__init__(
            f"{len(self.nodes)} node(s) cannot be lowered to backend '{backend}':\n{lines}\n"
            f"Run `xport check` to see how every node lowers on every backend."
        )


class NotStreamableError(XportError):
    """The model cannot become a per-frame model with state: an op at ``module_path`` looks at future frames.

    Raised by :func:`xport.stream` before any export, naming the op, where it is and how to make it causal.
    """

    def __init__(self, op: str, module_path: str, reason: str, hint: str):
        self.op, self.module_path, self.reason, self.hint = op, module_path, reason, hint
        super().__init__(f"cannot stream {op} at '{module_path or '<top-level forward>'}': {reason}. Fix: {hint}")


class InputSpecError(XportError):
    """An input does not match what the model or artifact expects."""

    def __init__(self, name: str, index: int, expected: str, got: str, hint: str = ""):
        self.name, self.index, self.expected, self.got = name, index, expected, got
        msg = f"input {index} ('{name}'): expected {expected}, got {got}"
        super().__init__(msg + (f". {hint}" if hint else ""))


class ModelFormatError(XportError):
    """A model file is missing, truncated, corrupt, or not of a type xport knows."""

    def __init__(self, path: Path | str, problem: str, hint: str = ""):
        self.path = Path(path)
        msg = f"{path}: {problem}"
        super().__init__(msg + (f". {hint}" if hint else ""))


class OutputDirError(XportError):
    """The output directory cannot be used (not writable, or holds files and overwrite is off)."""


class BackendUnavailableError(XportError):
    """A backend's toolchain is not installed or cannot run here."""


class CaptureError(XportError):
    """torch.export could not capture the model as a static graph."""


class ParityError(XportError):
    """An artifact's outputs differ from the eager model's by more than the tolerance allows."""

    def __init__(self, report: object):
        self.report = report
        super().__init__(f"parity check failed\n{report}")

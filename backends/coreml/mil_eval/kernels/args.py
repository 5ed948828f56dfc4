"""The arguments of one op as its kernel reads them: tensors, or Python values for parameters."""

from __future__ import annotations

from typing import Any

import torch

_REQUIRED = object()


class KernelError(ValueError):
    """An op's arguments are not what the MIL op reference allows (a damaged or foreign program)."""


class Args:
    def __init__(self, op, values: dict[str, list[Any]]):
        self.op = op
        self._values = values

    def has(self, name: str) -> bool:
        return name in self._values

    def tensors(self, name: str) -> list[torch.Tensor]:
        """A variadic input (``concat``'s ``values``)."""
        if name not in self._values:
            raise KernelError(f"{self.op.type} '{self.op.name}' has no input '{name}'")
        return [v if isinstance(v, torch.Tensor) else torch.as_tensor(v) for v in self._values[name]]

    def tensor(self, name: str, default: Any = _REQUIRED) -> torch.Tensor | None:
        if name not in self._values:
            if default is _REQUIRED:
                raise KernelError(f"{self.op.type} '{self.op.name}' has no input '{name}'")
            return default
        (value,) = self.tensors(name)
        return value

    def value(self, name: str, default: Any = _REQUIRED) -> Any:
        """A parameter as a Python value (int, float, bool, str or list of them)."""
        if name not in self._values:
            if default is _REQUIRED:
                raise KernelError(f"{self.op.type} '{self.op.name}' has no input '{name}'")
            return default
        (value,) = self._values[name]
        if isinstance(value, str):
            return value
        return value.tolist() if isinstance(value, torch.Tensor) else value

    def ints(self, name: str, default: Any = _REQUIRED) -> list[int] | None:
        value = self.value(name, default)
        if value is None:
            return None
        return [int(v) for v in value] if isinstance(value, list) else [int(value)]

    def fail(self, problem: str) -> KernelError:
        return KernelError(f"{self.op.type} '{self.op.name}': {problem}")

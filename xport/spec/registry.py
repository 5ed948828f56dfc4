"""The op-spec registry: a closed set of backend-neutral ops, each matched from ATen overloads.

An :class:`OpSpec` is data: a name, the ATen overloads it stands for, a function that reads the node's
normalised attributes, and a one-line description. The registry rejects duplicate names and an overload
claimed by two specs, so every ATen node maps to at most one spec op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch.fx

AttrReader = Callable[[torch.fx.Node], Any]


def no_attrs(node: torch.fx.Node) -> None:
    """Attribute reader for ops whose behaviour has no parameters (relu, sigmoid, ...)."""
    return None


@dataclass(frozen=True)
class OpSpec:
    """One backend-neutral op.

    ``aten`` lists the ATen overloads (as ``str(overload)``, e.g. ``"aten.convolution.default"``) that
    capture produces for this op; ``read_attrs`` turns such a node into a normalised attribute object
    (e.g. :class:`~xport.spec.attrs.ConvAttrs`) that backend capabilities constrain. ``traits`` say what the op
    *is* (:mod:`xport.spec.traits`), so the quantizer, fusion and capability tables read one fact.
    """

    name: str
    aten: tuple[str, ...]
    doc: str
    read_attrs: AttrReader = field(default=no_attrs, compare=False)
    traits: frozenset[str] = frozenset()

    def attrs(self, node: torch.fx.Node) -> Any:
        return self.read_attrs(node)

    def has(self, trait: str) -> bool:
        return trait in self.traits


class OpRegistry:
    """Name → :class:`OpSpec` and ATen overload → :class:`OpSpec`, both one-to-one."""

    def __init__(self) -> None:
        self._by_name: dict[str, OpSpec] = {}
        self._by_aten: dict[str, OpSpec] = {}

    def register(self, spec: OpSpec) -> OpSpec:
        if spec.name in self._by_name:
            raise ValueError(f"op spec '{spec.name}' is already registered")
        for overload in spec.aten:
            if overload in self._by_aten:
                owner = self._by_aten[overload].name
                raise ValueError(f"{overload} already belongs to op spec '{owner}', cannot add it to '{spec.name}'")
        self._by_name[spec.name] = spec
        for overload in spec.aten:
            self._by_aten[overload] = spec
        return spec

    def get(self, name: str) -> OpSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no op spec named '{name}'; known: {', '.join(sorted(self._by_name))}") from None

    def match(self, node: torch.fx.Node) -> OpSpec | None:
        """The spec op a ``call_function`` node stands for, or ``None`` if it is outside the spec."""
        if node.op != "call_function":
            return None
        return self._by_aten.get(str(node.target))

    def names(self) -> list[str]:
        return list(self._by_name)

    def with_trait(self, *traits: str) -> tuple[str, ...]:
        """Names of the ops that have any of ``traits``, in registration order."""
        return tuple(s.name for s in self._by_name.values() if s.traits & set(traits))

    def op_of_target(self, overload: str) -> str | None:
        """The spec op an ATen overload (``"aten.slice.Tensor"``) belongs to, or ``None``."""
        spec = self._by_aten.get(overload)
        return spec.name if spec is not None else None

    def op_of(self, node: Any) -> str | None:
        """The spec op name of ``node`` (any graph node or value), or ``None`` outside the spec."""
        spec = self.match(node) if isinstance(node, torch.fx.Node) else None
        return spec.name if spec is not None else None

    def overloads(self) -> list[str]:
        return list(self._by_aten)

    def __iter__(self) -> Iterator[OpSpec]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

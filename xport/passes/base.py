"""What a pass is: one rewrite, with the check that selects its nodes exposed for ``xport check``.

A pass's :meth:`GraphPass.check` answers, for each node, as onnxscript's rewrite rules do: ``None`` when the node
is none of its business, :func:`rewrite_as` with what it becomes, or :func:`skip` with why it is left alone (a
batch norm whose conv has another user is not folded); ``xport check -v`` prints the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.fx

from ..caps import Capabilities
from ..capture import NodeInfo, describe


@dataclass(frozen=True)
class Match:
    """A pass's answer for one node: it rewrites it (``applies``) into ``detail``, or leaves it, for ``detail``.

    ``status`` is the verdict ``xport check`` gives a rewritten node: ``"decomposed"``, or ``"folded"`` when the
    node's value is computed once, at export.
    """

    applies: bool
    detail: str
    status: str = "decomposed"


def rewrite_as(description: str, status: str = "decomposed") -> Match:
    """The pass rewrites the node into what ``description`` says."""
    return Match(True, description, status)


def skip(reason: str) -> Match:
    """The pass could apply to the node but does not, because of ``reason``."""
    return Match(False, reason)


@dataclass(frozen=True)
class PlanContext:
    """What a pass may consult when deciding to rewrite: the target's capabilities and precision."""

    caps: Capabilities
    precision: str = "fp32"
    # Ops to decompose even where the backend runs them natively, because the decomposition is faster
    # on the target (e.g. ``"conv3d"`` for runtimes whose 3-D conv is a slow reference kernel).
    prefer_decomposed: frozenset[str] = frozenset()

    def native(self, info: NodeInfo) -> bool:
        return info.spec is not None and self.caps.runs(info.spec.name, info.attrs, self.precision)


class GraphPass:
    """A graph → graph rewrite of an unlifted GraphModule.

    Subclasses implement :meth:`check` (does this pass rewrite that node, into what, or why not?) and
    :meth:`rewrite` (do it). Because :meth:`run` and ``xport check`` call the same :meth:`check`, what check
    says will be decomposed is exactly what gets decomposed.
    """

    name: str = "pass"

    def check(self, info: NodeInfo, ctx: PlanContext) -> Match | None:
        """:func:`rewrite_as` / :func:`skip` for a node this pass is about, ``None`` for any other."""
        raise NotImplementedError

    def rewrites(self, info: NodeInfo, ctx: PlanContext) -> str | None:
        """A short description of the replacement if this pass rewrites ``info``'s node, else ``None``."""
        match = self.check(info, ctx)
        return match.detail if match is not None and match.applies else None

    def rewrite(self, gm: torch.fx.GraphModule, info: NodeInfo, ctx: PlanContext) -> None:
        """Replace ``info.node`` in ``gm`` (the caller cleans up dead code and recompiles)."""
        raise NotImplementedError

    def run(self, gm: torch.fx.GraphModule, ctx: PlanContext) -> int:
        """Rewrite every selected node; return how many were rewritten."""
        selected = [info for info in describe(gm.graph) if self.rewrites(info, ctx)]
        for info in selected:
            self.rewrite(gm, info, ctx)
        return len(selected)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

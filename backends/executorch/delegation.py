"""Which nodes of a lowered ExecuTorch program run in the XNNPACK delegate and which stay on portable kernels.

XNNPACK runs multi-threaded, fused, channels-last kernels; ExecuTorch's portable kernels are single-threaded
reference code, and every boundary between the two costs a layout conversion. So "fully delegated" is what an
xport ``.pte`` promises, and this report says where that promise is broken: per op and per module path, with
XNNPACK's own reason for each node it refused (its partitioner logs one through ``WhyNoPartition``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx

from xport.capture import module_path
from xport.errors import UnsupportedNode

# XNNPACK's partitioner configs log their refusals (at DEBUG) to loggers under this name.
_WHY_LOGGER = "executorch.backends.xnnpack.partition.config"
_DELEGATE_CALL = "executorch_call_delegate"

# What to do about ops XNNPACK refuses in efficient video models; anything else gets the generic advice.
_HINTS = {
    "aten.mean.dim": "XNNPACK averages only the last two dims of a 4-D tensor with keepdim=True: view the "
                     "clip as (N, C, T, H*W) or (N, C*T, H, W) and take mean(dim=(2, 3), keepdim=True)",
    "aten.sum.dim_IntList": "XNNPACK has no sum: use mean (times the count) over the last two dims of a 4-D view",
    "aten.select_copy.int": "XNNPACK has no select: slice one index (x[:, i:i+1]) and drop the axis with a view",
    "aten.slice_copy.Tensor": "XNNPACK slices with step 1 only: slice with step 1, or reshape so that the step "
                              "becomes an axis of its own and slice that axis with step 1",
    "aten.full.default": "ExecuTorch fills it at run time (it does not fold full into a constant): zero-pad with "
                         "F.pad instead of a cat with zeros, or keep the constant as a module buffer",
    "aten.squeeze_copy.dims": "reshape to the squeezed shape instead (XNNPACK takes views)",
    "aten.unsqueeze_copy.default": "reshape to the unsqueezed shape instead (XNNPACK takes views)",
    "aten.avg_pool2d.default": "XNNPACK leaves padding out of averages: pass count_include_pad=False, or pad with "
                               "F.pad and pool without padding; no ceil_mode",
}
_GENERIC_HINT = ("rewrite the module with ops XNNPACK takes (backends/executorch/caps.py lists them), or export "
                 "with strict=False to accept single-threaded portable kernels for these nodes")


def op_name(target: Any) -> str:
    """``aten.convolution.default`` for an edge or ATen op overload; the function name otherwise."""
    op = getattr(target, "_op", target)  # EdgeOpOverload wraps the ATen OpOverload
    if isinstance(op, torch._ops.OpOverload):
        return str(op)
    return getattr(target, "__name__", str(target))


def _is_compute(node: torch.fx.Node) -> bool:
    return node.op == "call_function" and op_name(node.target) not in ("getitem", _DELEGATE_CALL)


@dataclass(frozen=True)
class PortableNode:
    """A node ExecuTorch runs on a portable (non-XNNPACK) kernel, and why XNNPACK did not take it."""

    node: str
    op: str
    module_path: str
    reason: str

    def as_unsupported(self, backend: str) -> UnsupportedNode:
        return UnsupportedNode(self.node, self.op, self.module_path, backend,
                               f"stays on ExecuTorch's portable kernels ({self.reason})",
                               _HINTS.get(self.op, _GENERIC_HINT))


@dataclass(frozen=True)
class DelegationReport:
    """Delegated vs portable-kernel nodes of one lowered program (edge dialect, before emission)."""

    delegate: str
    subgraphs: int
    delegated_by_op: dict[str, int]
    delegated_by_module: dict[str, int]
    portable: tuple[PortableNode, ...]

    @property
    def delegated(self) -> int:
        return sum(self.delegated_by_op.values())

    @property
    def fully_delegated(self) -> bool:
        return not self.portable

    def portable_by_op(self) -> dict[str, int]:
        return dict(sorted(Counter(p.op for p in self.portable).items()))

    def portable_by_module(self) -> dict[str, int]:
        return dict(sorted(Counter(p.module_path or "<top>" for p in self.portable).items()))

    def summary(self) -> dict[str, Any]:
        """The short form kept in the artifact's manifest (``manifest.extra["delegation"]``)."""
        return {"delegate": self.delegate, "delegated_nodes": self.delegated, "portable_nodes": len(self.portable),
                "delegate_subgraphs": self.subgraphs, "portable_ops": self.portable_by_op()}

    def to_json(self) -> str:
        return json.dumps({
            **self.summary(),
            "delegated_by_op": self.delegated_by_op, "delegated_by_module": self.delegated_by_module,
            "portable_by_module": self.portable_by_module(),
            "portable": [vars(p) for p in self.portable],
        }, indent=2)

    def headline(self) -> str:
        return (f"{self.delegated} node(s) delegated to {self.delegate} in {self.subgraphs} subgraph(s), "
                f"{len(self.portable)} on portable kernels")

    def brief(self, modules_shown: int = 2) -> str:
        """The headline and one line per op left on portable kernels (for progress logs)."""
        lines = [self.headline()]
        for op in self.portable_by_op():
            nodes = [p for p in self.portable if p.op == op]
            where = sorted({p.module_path or "<top>" for p in nodes})
            more = f" and {len(where) - modules_shown} more" if len(where) > modules_shown else ""
            lines.append(f"  portable: {op} x{len(nodes)} in {', '.join(where[:modules_shown])}{more} "
                         f"({nodes[0].reason})")
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [self.headline()] + [f"  portable {p.op:<26} {p.module_path or '<top>':<40} {p.reason}"
                                     for p in self.portable]
        return "\n".join(lines)


def _lowered_modules(gm: torch.fx.GraphModule) -> list[Any]:
    return [getattr(gm, n.target) for n in gm.graph.nodes
            if n.op == "get_attr" and hasattr(getattr(gm, n.target, None), "original_module")]


def xnnpack_ops() -> frozenset[str]:
    """The ops XNNPACK's partitioner has a config for (``mean.dim``, ``convolution.default``, ...)."""
    from executorch.backends.xnnpack.partition.config import ALL_PARTITIONER_CONFIGS

    return frozenset(c.target_name for c in ALL_PARTITIONER_CONFIGS if getattr(c, "target_name", None))


def _reason(node: torch.fx.Node, refusals: dict[str, str], known: frozenset[str]) -> str:
    if node.name in refusals:
        return refusals[node.name]
    op = op_name(node.target)
    if op.split(".", 1)[-1] in known:  # it has a config, whose constraints refused the node without a message
        return f"XNNPACK takes {op} only with some attribute values, not these"
    return f"XNNPACK has no kernel for {op}"


def delegation_report(gm: torch.fx.GraphModule, refusals: dict[str, str], delegate: str,
                      xnnpack_ops: frozenset[str] = frozenset()) -> DelegationReport:
    """Count the compute nodes inside ``gm``'s delegate calls and those left outside, with the reason for each:
    XNNPACK's message from ``refusals`` where it gave one, else whether ``xnnpack_ops`` has the op at all."""
    by_op, by_module = Counter(), Counter()
    lowered = _lowered_modules(gm)
    for module in lowered:
        for node in module.original_module.graph.nodes:
            if _is_compute(node):
                by_op[op_name(node.target)] += 1
                by_module[module_path(node) or "<top>"] += 1
    portable = tuple(PortableNode(n.name, op_name(n.target), module_path(n), _reason(n, refusals, xnnpack_ops))
                     for n in gm.graph.nodes if _is_compute(n))
    return DelegationReport(delegate, len(lowered), dict(sorted(by_op.items())), dict(sorted(by_module.items())),
                            portable)


class _RefusalCollector(logging.Handler):
    """Keeps XNNPACK's refusal reasons; passes records the logger would have let through on to its parent."""

    def __init__(self, forward_from: int, parent: logging.Logger):
        super().__init__(logging.DEBUG)
        self.reasons: dict[str, str] = {}
        self.forward_from, self.parent = forward_from, parent

    def emit(self, record: logging.LogRecord) -> None:
        # The record's message is the partitioner's WhyNoPartition object; read it now, it is reused.
        why = record.msg
        node, reason = getattr(why, "node", None), getattr(why, "reason", None)
        if isinstance(node, torch.fx.Node) and reason:
            self.reasons.setdefault(node.name, str(reason))
        if record.levelno >= self.forward_from:
            self.parent.handle(record)


@contextlib.contextmanager
def xnnpack_refusals() -> Iterator[dict[str, str]]:
    """Collect, while lowering, XNNPACK's reason for each node it refuses: node name → reason.

    The partitioner's loggers go to DEBUG for the block only; the DEBUG records stop at the collector, and the
    others reach the user's handlers as before.
    """
    logger = logging.getLogger(_WHY_LOGGER)
    collector = _RefusalCollector(logger.getEffectiveLevel(), logger.parent)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(collector)
    try:
        yield collector.reasons
    finally:
        logger.removeHandler(collector)
        logger.setLevel(level)
        logger.propagate = propagate
